//! Stations: which screen cooks each cart line, and the kitchen's station
//! setup (the stations in order, the default station, brand colours and
//! prep times), with the rules that check it.
//!
//! What it owns:
//! - **Routing** ([`Setup::route`]). A line goes to the first station whose
//!   rules match it, else to the default station (`kitchen` when none is
//!   named). A station's rules are lists; an empty list does not constrain.
//!   The order's brand, type and channel must each be in the station's list
//!   when it has one; then the line must match one of its categories (klikit
//!   category name, any case, or id) or one of its item names (exact, any
//!   case, or a pattern with `*`), when it has either. A line without a
//!   category never matches a category rule, only an item rule. The expo is
//!   not a station: it sees every line.
//! - **Validation** ([`Setup::validate`]): unique, non-empty names, sane
//!   patterns and colours, bounded prep times; every refusal says which
//!   field and why.
//! - **Brand colours** ([`Setup::brand_color`]): a brand's own colour when
//!   set, else one from a fixed palette by the order in which brands were
//!   first seen.
//! - **Prep times** ([`Setup::prep`]): how long before its scheduled time a
//!   scheduled order fires (the brand's, else the order type's, else the
//!   default of 20 minutes).
//!
//! What it never does: I/O. The store keeps the setup; the API edits it.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::klikit::order::{Brand, OrderType};

/// The default station's name when the setup names none.
pub const DEFAULT_STATION: &str = "kitchen";
/// The screen that sees every line with each station's progress.
pub const EXPO: &str = "expo";
/// Prep time when neither the brand nor the order type sets one.
pub const DEFAULT_PREP_MINUTES: u32 = 20;
/// Longest prep time accepted (a day).
pub const MAX_PREP_MINUTES: u32 = 24 * 60;
/// Colours given to brands in the order they are first seen.
pub const PALETTE: [&str; 10] = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#9a6324", "#808000"];
/// Most stations in a setup.
pub const MAX_STATIONS: usize = 50;
/// Longest station name.
pub const MAX_NAME_CHARS: usize = 40;
/// Longest category or item rule.
pub const MAX_RULE_CHARS: usize = 100;

/// One station and its routing rules (empty lists do not constrain).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// Shown in the header and used in `?screen=NAME`; unique (any case).
    pub name: String,
    /// klikit brand ids.
    #[serde(default)]
    pub brands: Vec<i64>,
    /// klikit category names (any case) or ids.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Item names: exact (any case), or a pattern where `*` stands for any text.
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub order_types: Vec<OrderType>,
    /// Channel names as tickets show them (`GrabFood`, …), any case.
    #[serde(default)]
    pub channels: Vec<String>,
}

/// A brand's colour and prep time, as set by a person.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandSetting {
    pub id: i64,
    /// `#rrggbb`; `null`: the palette's.
    #[serde(default)]
    pub color: Option<String>,
    /// Minutes before its scheduled time that a scheduled order fires.
    #[serde(default)]
    pub prep_minutes: Option<u32>,
}

/// Prep times by order type (minutes), and the default.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepTimes {
    pub default_minutes: u32,
    #[serde(default)]
    pub pickup: Option<u32>,
    #[serde(default)]
    pub delivery: Option<u32>,
    #[serde(default)]
    pub dine_in: Option<u32>,
}

impl Default for PrepTimes {
    fn default() -> PrepTimes {
        PrepTimes { default_minutes: DEFAULT_PREP_MINUTES, pickup: None, delivery: None, dine_in: None }
    }
}

/// The kitchen's station setup: what `PUT /api/stations` takes.
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "StationSetup"))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// In order: a line goes to the first that matches.
    #[serde(default)]
    pub stations: Vec<Station>,
    /// Where lines no station matches go; `null` or empty: `kitchen`.
    #[serde(default)]
    pub default_station: Option<String>,
    #[serde(default)]
    pub brands: Vec<BrandSetting>,
    #[serde(default)]
    pub prep: PrepTimes,
}

/// Why a setup was refused: the field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct SetupError {
    pub field: String,
    pub why: String,
}

/// What routing needs to know about a line.
#[derive(Debug, Clone, Copy)]
pub struct LineFacts<'a> {
    pub name: &'a str,
    pub category: Option<&'a str>,
    pub category_id: Option<&'a str>,
}

/// What routing needs to know about the order.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts<'a> {
    pub brand: Option<i64>,
    pub order_type: OrderType,
    pub channel: Option<&'a str>,
}

impl Setup {
    /// The default station's name (spelled as the configured station of
    /// that name, if there is one).
    pub fn default_station(&self) -> &str {
        let name = self.default_station.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(DEFAULT_STATION);
        self.stations.iter().map(|s| s.name.as_str()).find(|s| s.eq_ignore_ascii_case(name)).unwrap_or(name)
    }

    /// The station a line goes to.
    pub fn route(&self, order: OrderFacts<'_>, line: LineFacts<'_>) -> &str {
        self.stations.iter().find(|s| s.matches(order, line)).map(|s| s.name.as_str()).unwrap_or_else(|| self.default_station())
    }

    /// Every station a line can go to: the configured ones, then the default
    /// station when no configured one has its name.
    pub fn station_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.stations.iter().map(|s| s.name.as_str()).collect();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(self.default_station())) {
            names.push(self.default_station());
        }
        names
    }

    /// The station named `name` (any case), as spelled in the setup.
    pub fn find_station(&self, name: &str) -> Option<&str> {
        self.station_names().into_iter().find(|n| n.eq_ignore_ascii_case(name.trim()))
    }

    /// How long before its scheduled time an order of `brand` and
    /// `order_type` fires: the brand's prep time, else the order type's,
    /// else the default.
    pub fn prep(&self, brand: Option<&Brand>, order_type: OrderType) -> Duration {
        let by_brand = brand.and_then(|b| self.brands.iter().find(|s| s.id == b.id)).and_then(|s| s.prep_minutes);
        let by_type = match order_type {
            OrderType::Pickup => self.prep.pickup,
            OrderType::Delivery => self.prep.delivery,
            OrderType::DineIn => self.prep.dine_in,
            OrderType::Unknown => None,
        };
        Duration::minutes(by_brand.or(by_type).unwrap_or(self.prep.default_minutes).into())
    }

    /// A brand's colour: its own, else the palette's by `seen` (0 for the
    /// first brand the kitchen saw, 1 for the next, …).
    pub fn brand_color(&self, brand: i64, seen: usize) -> String {
        self.brands.iter().find(|b| b.id == brand).and_then(|b| b.color.clone()).unwrap_or_else(|| PALETTE[seen % PALETTE.len()].to_string())
    }

    /// The setup as it will be stored: names and rules trimmed, empty
    /// default station dropped. Validate the result.
    pub fn normalized(mut self) -> Setup {
        for s in &mut self.stations {
            s.name = s.name.trim().to_string();
            for list in [&mut s.categories, &mut s.items, &mut s.channels] {
                for r in list.iter_mut() {
                    *r = r.trim().to_string();
                }
            }
        }
        self.default_station = self.default_station.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
        for b in &mut self.brands {
            b.color = b.color.take().map(|c| c.trim().to_ascii_lowercase()).filter(|c| !c.is_empty());
        }
        self
    }

    /// Checks a (normalized) setup; the first problem found is the answer.
    pub fn validate(&self) -> Result<(), SetupError> {
        let err = |field: String, why: &str| Err(SetupError { field, why: why.to_string() });
        if self.stations.len() > MAX_STATIONS {
            return err("stations".into(), &format!("at most {MAX_STATIONS} stations"));
        }
        let mut seen: Vec<String> = Vec::new();
        for (i, s) in self.stations.iter().enumerate() {
            let field = |f: &str| format!("stations[{i}].{f}");
            if let Some(why) = name_problem(&s.name) {
                return err(field("name"), &why);
            }
            let lower = s.name.to_lowercase();
            if seen.contains(&lower) {
                return err(field("name"), &format!("{:?} is used by another station (names are unique, in any case)", s.name));
            }
            seen.push(lower);
            for (list, what) in [(&s.categories, "categories"), (&s.items, "items"), (&s.channels, "channels")] {
                for (j, rule) in list.iter().enumerate() {
                    if let Some(why) = rule_problem(rule) {
                        return err(format!("stations[{i}].{what}[{j}]"), &why);
                    }
                }
            }
        }
        if let Some(d) = &self.default_station {
            if let Some(why) = name_problem(d) {
                return err("default_station".into(), &why);
            }
        }
        let mut brands: Vec<i64> = Vec::new();
        for (i, b) in self.brands.iter().enumerate() {
            if brands.contains(&b.id) {
                return err(format!("brands[{i}].id"), &format!("brand {} is listed twice", b.id));
            }
            brands.push(b.id);
            if let Some(c) = &b.color {
                if !is_hex_color(c) {
                    return err(format!("brands[{i}].color"), &format!("{c:?} is not a colour like #1a2b3c"));
                }
            }
            if b.prep_minutes.is_some_and(|m| m > MAX_PREP_MINUTES) {
                return err(format!("brands[{i}].prep_minutes"), &format!("at most {MAX_PREP_MINUTES} minutes"));
            }
        }
        let p = &self.prep;
        for (m, f) in [(Some(p.default_minutes), "default_minutes"), (p.pickup, "pickup"), (p.delivery, "delivery"), (p.dine_in, "dine_in")] {
            if m.is_some_and(|m| m > MAX_PREP_MINUTES) {
                return err(format!("prep.{f}"), &format!("at most {MAX_PREP_MINUTES} minutes"));
            }
        }
        Ok(())
    }
}

fn name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("a station needs a name".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Some(format!("at most {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Some("no control characters".into());
    }
    if name.eq_ignore_ascii_case(EXPO) {
        return Some("\"expo\" is the screen that sees every station, not a station".into());
    }
    None
}

fn rule_problem(rule: &str) -> Option<String> {
    if rule.is_empty() {
        return Some("an empty rule matches nothing: remove it".into());
    }
    if rule.chars().count() > MAX_RULE_CHARS {
        return Some(format!("at most {MAX_RULE_CHARS} characters"));
    }
    if rule.chars().any(char::is_control) {
        return Some("no control characters".into());
    }
    if rule.contains("**") {
        return Some("a pattern needs only one `*` in a row".into());
    }
    None
}

fn is_hex_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|h| h.is_ascii_hexdigit())
}

impl Station {
    /// Whether this station cooks `line` of an order with `order`'s facts.
    pub fn matches(&self, order: OrderFacts<'_>, line: LineFacts<'_>) -> bool {
        let brand_ok = self.brands.is_empty() || order.brand.is_some_and(|b| self.brands.contains(&b));
        let type_ok = self.order_types.is_empty() || self.order_types.contains(&order.order_type);
        let channel_ok = self.channels.is_empty() || order.channel.is_some_and(|c| self.channels.iter().any(|r| r.eq_ignore_ascii_case(c)));
        if !(brand_ok && type_ok && channel_ok) {
            return false;
        }
        if self.categories.is_empty() && self.items.is_empty() {
            return true;
        }
        let category = self.categories.iter().any(|r| {
            line.category.is_some_and(|c| c.trim().eq_ignore_ascii_case(r)) || line.category_id.is_some_and(|id| id.trim() == r)
        });
        category || self.items.iter().any(|pattern| item_matches(pattern, line.name))
    }
}

/// An item rule: exact (any case), or `*` standing for any text.
pub fn item_matches(pattern: &str, name: &str) -> bool {
    let name = name.trim();
    if !pattern.contains('*') {
        return pattern.trim().to_lowercase() == name.to_lowercase();
    }
    // Everything but `*` is literal: escape the pieces between them.
    let escaped: Vec<String> = pattern.split('*').map(glob::Pattern::escape).collect();
    let options = glob::MatchOptions { case_sensitive: false, require_literal_separator: false, require_literal_leading_dot: false };
    glob::Pattern::new(&escaped.join("*")).is_ok_and(|p| p.matches_with(name, options))
}

/// The setup in force, shared by everything that routes lines (the
/// applier, the API): replaced whole when a person saves a new one.
#[derive(Debug, Clone, Default)]
pub struct SetupCell(Arc<RwLock<Arc<Setup>>>);

impl SetupCell {
    pub fn new(setup: Setup) -> SetupCell {
        SetupCell(Arc::new(RwLock::new(Arc::new(setup))))
    }

    /// The setup in force now.
    pub fn get(&self) -> Arc<Setup> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Puts `setup` in force.
    pub fn set(&self, setup: Setup) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(setup);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(name: &str) -> Station {
        Station { name: name.into(), ..Station::default() }
    }

    fn order(brand: i64, order_type: OrderType, channel: &str) -> OrderFacts<'_> {
        OrderFacts { brand: Some(brand), order_type, channel: Some(channel) }
    }

    fn line<'a>(name: &'a str, category: Option<&'a str>) -> LineFacts<'a> {
        LineFacts { name, category, category_id: None }
    }

    fn setup() -> Setup {
        Setup {
            stations: vec![
                Station { categories: vec!["Drinks".into()], ..station("bar") },
                Station { items: vec!["*burger*".into(), "Fries".into()], ..station("grill") },
                Station { brands: vec![7], ..station("sushi") },
                Station { categories: vec!["Mains".into()], order_types: vec![OrderType::DineIn], ..station("pass") },
            ],
            default_station: None,
            ..Setup::default()
        }
    }

    #[test]
    fn the_first_matching_station_wins_else_the_default() {
        let s = setup();
        let o = order(1, OrderType::Delivery, "GrabFood");
        assert_eq!(s.route(o, line("Es Teh", Some("drinks"))), "bar", "category names match in any case");
        assert_eq!(s.route(o, line("Cheese Burger Deluxe", Some("Mains"))), "grill", "a pattern with * matches inside the name, any case");
        assert_eq!(s.route(o, line("fries", None)), "grill", "an exact item rule matches in any case, without a category");
        assert_eq!(s.route(order(7, OrderType::Delivery, "x"), line("Es Teh", Some("Drinks"))), "bar", "first match wins over the brand station");
        assert_eq!(s.route(order(7, OrderType::Delivery, "x"), line("Salmon", None)), "sushi", "a brand-only station takes any of its lines");
        assert_eq!(s.route(o, line("Rendang", Some("Mains"))), "kitchen", "the dine-in only station refuses a delivery order");
        assert_eq!(s.route(order(1, OrderType::DineIn, "x"), line("Rendang", Some("Mains"))), "pass");
        assert_eq!(s.route(order(1, OrderType::DineIn, "x"), line("Rendang", None)), "kitchen", "a line without a category matches only item rules");
        let named = Setup { default_station: Some("hot".into()), ..setup() };
        assert_eq!(named.route(o, line("Soup", None)), "hot", "the configured default station");
        let one_of_them = Setup { default_station: Some("GRILL".into()), ..setup() };
        assert_eq!(one_of_them.route(o, line("Soup", None)), "grill", "a default station that is a configured one is spelled like it");
        assert_eq!(one_of_them.station_names(), ["bar", "grill", "sushi", "pass"], "and is listed once");
    }

    #[test]
    fn category_ids_and_channels_route_too() {
        let s = Setup {
            stations: vec![Station { categories: vec!["42".into()], channels: vec!["grabfood".into()], ..station("grab") }],
            ..Setup::default()
        };
        let l = LineFacts { name: "Nasi", category: Some("Rice"), category_id: Some("42") };
        assert_eq!(s.route(order(1, OrderType::Pickup, "GrabFood"), l), "grab");
        assert_eq!(s.route(order(1, OrderType::Pickup, "ShopeeFood"), l), "kitchen", "another channel is not this station's");
        assert_eq!(s.route(OrderFacts { brand: None, order_type: OrderType::Pickup, channel: None }, l), "kitchen", "no channel matches no channel rule");
    }

    #[test]
    fn patterns_treat_only_the_star_as_special() {
        assert!(item_matches("Nasi*", "nasi goreng"));
        assert!(item_matches("*[spicy]*", "Wings [Spicy] x6"), "brackets are literal, not a character class");
        assert!(!item_matches("*[spicy]*", "Wings s x6"));
        assert!(!item_matches("Nasi", "Nasi Goreng"), "without * the name must match whole");
        assert!(item_matches("Es Teh", "  es teh "), "names are compared trimmed");
    }

    #[test]
    fn validation_names_the_field_and_the_reason() {
        let bad = |s: Setup| s.normalized().validate().unwrap_err();
        let e = bad(Setup { stations: vec![station("Grill"), station(" grill ")], ..Setup::default() });
        assert_eq!(e.field, "stations[1].name", "duplicates are found in any case after trimming: {e}");
        assert_eq!(bad(Setup { stations: vec![station("  ")], ..Setup::default() }).field, "stations[0].name");
        assert_eq!(bad(Setup { stations: vec![station("Expo")], ..Setup::default() }).field, "stations[0].name", "expo is reserved");
        let e = bad(Setup { stations: vec![Station { items: vec!["ok".into(), " ".into()], ..station("a") }], ..Setup::default() });
        assert_eq!(e.field, "stations[0].items[1]");
        assert_eq!(bad(Setup { stations: vec![Station { items: vec!["a**".into()], ..station("a") }], ..Setup::default() }).field, "stations[0].items[0]");
        let e = bad(Setup { brands: vec![BrandSetting { id: 1, color: Some("red".into()), prep_minutes: None }], ..Setup::default() });
        assert_eq!(e.field, "brands[0].color");
        let e = bad(Setup { prep: PrepTimes { default_minutes: 100_000, ..PrepTimes::default() }, ..Setup::default() });
        assert_eq!(e.field, "prep.default_minutes");
        assert!(setup().normalized().validate().is_ok());
    }

    #[test]
    fn prep_times_and_colours_have_defaults_and_overrides() {
        let mut s = Setup::default();
        let brand = Brand { id: 9, title: None };
        assert_eq!(s.prep(Some(&brand), OrderType::Pickup), Duration::minutes(20), "20 minutes by default");
        s.prep.pickup = Some(30);
        assert_eq!(s.prep(Some(&brand), OrderType::Pickup), Duration::minutes(30), "the order type's");
        s.brands.push(BrandSetting { id: 9, color: Some("#112233".into()), prep_minutes: Some(45) });
        assert_eq!(s.prep(Some(&brand), OrderType::Pickup), Duration::minutes(45), "the brand's wins over the order type's");
        assert_eq!(s.brand_color(9, 0), "#112233");
        assert_eq!(s.brand_color(10, 1), PALETTE[1], "an unset brand takes the palette's colour by when it was seen");
        assert_eq!(s.brand_color(11, PALETTE.len()), PALETTE[0], "the palette wraps");
        assert_eq!(s.station_names(), ["kitchen"], "with no stations every line goes to the default station");
    }
}
