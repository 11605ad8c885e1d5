//! Decoding the order record klikit sends in `orders[]` (REFERENCE §4),
//! tolerantly. The tables that name its numbers are elsewhere: status codes
//! (§5) in `status`, provider ids (§6) in `channel`.
//!
//! Tolerance rules (REFERENCE §8, item 8): unknown fields are ignored; ids may
//! be integers or strings; `created_at` and `placed_at` are aliases, as are
//! `brands[]` and `brand_id`; `cart_v2` is preferred and `cart` (v1) is the
//! fallback; modifier groups nest to any depth. Only the order `id` is
//! required: a KDS can live without every other field, so a missing or
//! mistyped optional field is read as absent, never as an error.
//!
//! Pure: no I/O, no clock, no kitchen rules (those are in `kitchen`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::envelope::order_id;

/// Deepest modifier nesting read; deeper levels are cut off rather than
/// letting a hostile body recurse without bound.
const MAX_MODIFIER_DEPTH: usize = 8;
/// Largest quantity believed on a line or a modifier. A kitchen never makes
/// ten thousand of anything for one order; more is a broken or hostile
/// record, and the delivery is kept as unprocessable rather than shown.
pub const MAX_QUANTITY: u32 = 9_999;
/// Most lines believed in one order's cart, for the same reason.
pub const MAX_LINES: usize = 500;

/// Why a delivery's orders cannot be decoded. Written for a person: it is
/// stored as the delivery's unprocessable reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("body has no \"orders\" array of objects")]
    NoOrders,
    #[error("order #{0} in \"orders\" is not an object")]
    NotObject(usize),
    #[error("order #{0} in \"orders\" has no usable \"id\"")]
    NoId(usize),
    #[error("order #{0} in \"orders\" is not believable: {1}")]
    Absurd(usize, String),
}

/// A brand as shown on a ticket.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brand {
    pub id: i64,
    pub title: Option<String>,
}

/// Pickup, delivery or dine-in (klikit's `type`: 1, 2, 3).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    Pickup,
    Delivery,
    DineIn,
    Unknown,
}

impl OrderType {
    fn from_code(code: Option<i64>) -> OrderType {
        match code {
            Some(1) => OrderType::Pickup,
            Some(2) => OrderType::Delivery,
            Some(3) => OrderType::DineIn,
            _ => OrderType::Unknown,
        }
    }

    /// The JSON name (`pickup`, `delivery`, `dine_in`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Pickup => "pickup",
            OrderType::Delivery => "delivery",
            OrderType::DineIn => "dine_in",
            OrderType::Unknown => "unknown",
        }
    }
}

/// A modifier on a line (or on another modifier), with its own nested ones.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modifier {
    pub name: String,
    pub quantity: u32,
    #[serde(default)]
    pub modifiers: Vec<Modifier>,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Line {
    pub name: String,
    pub quantity: u32,
    pub comment: Option<String>,
    #[serde(default)]
    pub modifiers: Vec<Modifier>,
    /// klikit's `klikit_category_name`, for routing to a station.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// klikit's `klikit_category_id` (as text), for routing to a station.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<String>,
}

/// The part of an order record a kitchen needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// klikit's order id, as a decimal string.
    pub id: String,
    /// The docket number: `short_id`, else `external_id`, else `id`.
    pub short_id: String,
    pub brand: Option<Brand>,
    pub branch_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub order_type: OrderType,
    /// Dine-in table; `None` when empty.
    pub table_no: Option<String>,
    /// klikit's numeric status, if present.
    pub status: Option<i64>,
    pub placed_at: Option<OffsetDateTime>,
    pub scheduled_at: Option<OffsetDateTime>,
    /// When klikit last changed the order; decides which snapshot is newer.
    pub updated_at: Option<OffsetDateTime>,
    pub order_comment: Option<String>,
    pub cancellation_reason: Option<String>,
    /// The cart, from `cart_v2`, else `cart`. `None` when the record carries
    /// neither (a status-only record), which is not the same as an empty cart.
    pub lines: Option<Vec<Line>>,
    /// A self-test order (`"kds_test": true`).
    pub test: bool,
}

/// Decodes every order of a delivery body. The envelope's `brand_id` and
/// `branch_id` fill in for orders that lack their own.
pub fn decode_orders(body: &[u8]) -> Result<Vec<Order>, OrderError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| OrderError::NotJson(e.to_string()))?;
    let obj = value.as_object().ok_or(OrderError::NoOrders)?;
    let orders = obj.get("orders").and_then(Value::as_array).filter(|o| !o.is_empty()).ok_or(OrderError::NoOrders)?;
    let envelope_brand = obj.get("brand_id").and_then(int);
    let envelope_branch = obj.get("branch_id").and_then(int);
    orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let o = o.as_object().ok_or(OrderError::NotObject(i))?;
            let mut order = Order::decode(o).ok_or(OrderError::NoId(i))?;
            order.check_bounds().map_err(|why| OrderError::Absurd(i, why))?;
            if order.brand.is_none() {
                order.brand = envelope_brand.map(|id| Brand { id, title: None });
            }
            order.branch_id = order.branch_id.or(envelope_branch);
            Ok(order)
        })
        .collect()
}

impl Order {
    /// Decodes one order record; `None` only when it has no usable `id`.
    pub fn decode(o: &Map<String, Value>) -> Option<Order> {
        let id = o.get("id").and_then(order_id)?;
        let short_id = text(o, "short_id").or_else(|| text(o, "external_id")).unwrap_or_else(|| id.clone());
        let brand = o
            .get("brands")
            .and_then(Value::as_array)
            .and_then(|b| b.iter().find_map(brand))
            .or_else(|| o.get("brand").and_then(brand))
            .or_else(|| o.get("brand_id").and_then(int).map(|id| Brand { id, title: None }));
        let lines = [("cart_v2", true), ("cart", false)]
            .into_iter()
            .find_map(|(key, v2)| o.get(key).and_then(Value::as_array).filter(|c| !c.is_empty()).map(|c| cart(c, v2)))
            .or_else(|| ["cart_v2", "cart"].iter().any(|k| o.get(*k).is_some_and(Value::is_array)).then(Vec::new));
        Some(Order {
            short_id,
            brand,
            branch_id: o.get("branch_id").and_then(int),
            provider_id: o.get("provider_id").and_then(int),
            order_type: OrderType::from_code(o.get("type").and_then(int).or_else(|| o.get("order_type").and_then(int))),
            table_no: text(o, "table_no"),
            status: o.get("status").and_then(int),
            placed_at: timestamp(o, "created_at").or_else(|| timestamp(o, "placed_at")),
            scheduled_at: timestamp(o, "scheduled_time").or_else(|| timestamp(o, "scheduled_at")),
            updated_at: timestamp(o, "updated_at"),
            order_comment: text(o, "order_comment"),
            cancellation_reason: text(o, "cancellation_reason"),
            lines,
            test: o.get("kds_test").and_then(Value::as_bool).unwrap_or(false),
            id,
        })
    }

    /// Total quantity of all lines (saturating: no sum of quantities can
    /// overflow, whatever got past [`Order::check_bounds`]).
    pub fn item_count(lines: &[Line]) -> u32 {
        lines.iter().fold(0u32, |n, l| n.saturating_add(l.quantity))
    }

    /// Whether the numbers are believable: at most [`MAX_LINES`] lines, and
    /// no line or modifier quantity over [`MAX_QUANTITY`] (a negative one
    /// was already read as 0). Says what is wrong when they are not.
    pub fn check_bounds(&self) -> Result<(), String> {
        fn modifiers(ms: &[Modifier]) -> Result<(), String> {
            for m in ms {
                if m.quantity > MAX_QUANTITY {
                    return Err(format!("modifier {:?} has quantity {} (more than {MAX_QUANTITY})", m.name, m.quantity));
                }
                modifiers(&m.modifiers)?;
            }
            Ok(())
        }
        let lines = self.lines.as_deref().unwrap_or_default();
        if lines.len() > MAX_LINES {
            return Err(format!("{} cart lines (more than {MAX_LINES})", lines.len()));
        }
        for line in lines {
            if line.quantity > MAX_QUANTITY {
                return Err(format!("line {:?} has quantity {} (more than {MAX_QUANTITY})", line.name, line.quantity));
            }
            modifiers(&line.modifiers)?;
        }
        Ok(())
    }
}

/// An integer, whether sent as a number or as a string of digits.
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-empty, trimmed string field.
fn text(o: &Map<String, Value>, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An RFC 3339 timestamp (also accepting a space for the `T`).
fn timestamp(o: &Map<String, Value>, key: &str) -> Option<OffsetDateTime> {
    let s = o.get(key)?.as_str()?.trim();
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| OffsetDateTime::parse(&s.replacen(' ', "T", 1), &Rfc3339).ok())
}

fn brand(v: &Value) -> Option<Brand> {
    let o = v.as_object()?;
    Some(Brand { id: o.get("id").and_then(int)?, title: text(o, "title").or_else(|| text(o, "name")) })
}

fn quantity(o: &Map<String, Value>, keys: &[&str]) -> u32 {
    keys.iter().find_map(|k| o.get(*k).and_then(int)).map(|q| q.clamp(0, u32::MAX as i64) as u32).unwrap_or(1)
}

fn name(o: &Map<String, Value>, keys: &[&str]) -> String {
    keys.iter().find_map(|k| text(o, k)).unwrap_or_else(|| "(unnamed item)".to_string())
}

fn cart(lines: &[Value], v2: bool) -> Vec<Line> {
    lines
        .iter()
        .filter_map(Value::as_object)
        .map(|l| {
            let (names, groups): (&[&str], &str) =
                if v2 { (&["name", "klikit_name", "title"], "modifier_groups") } else { (&["title", "klikit_name", "name"], "groups") };
            Line {
                name: name(l, names),
                quantity: quantity(l, &["quantity"]),
                comment: text(l, "comment"),
                modifiers: modifier_groups(l.get(groups), v2, 0),
                category: text(l, "klikit_category_name"),
                category_id: text(l, "klikit_category_id"),
            }
        })
        .collect()
}

/// Flattens modifier groups into the modifiers they hold, recursively.
fn modifier_groups(groups: Option<&Value>, v2: bool, depth: usize) -> Vec<Modifier> {
    let Some(groups) = groups.and_then(Value::as_array) else { return Vec::new() };
    if depth >= MAX_MODIFIER_DEPTH {
        return Vec::new();
    }
    let (names, quantities, nested): (&[&str], &[&str], &str) = if v2 {
        (&["name", "klikit_name", "title"], &["quantity", "modifier_quantity"], "modifier_groups")
    } else {
        (&["title", "klikit_name", "name"], &["modifier_quantity", "quantity"], "groups")
    };
    groups
        .iter()
        .filter_map(|g| g.get("modifiers").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object)
        .map(|m| Modifier { name: name(m, names), quantity: quantity(m, quantities), modifiers: modifier_groups(m.get(nested), v2, depth + 1) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(v: Value) -> Order {
        decode_orders(&serde_json::to_vec(&v).unwrap()).unwrap().remove(0)
    }

    #[test]
    fn decodes_the_single_order_fixture() {
        let orders = decode_orders(include_bytes!("../../tests/fixtures/01-order-created-single.json")).unwrap();
        let o = &orders[0];
        assert_eq!(o.id, "8120457");
        assert_eq!(o.short_id, "K7X2");
        assert_eq!(o.brand, Some(Brand { id: 2041, title: Some("Warung Sambal Ijo".into()) }));
        assert_eq!((o.provider_id, o.order_type, o.status), (Some(6), OrderType::Delivery, Some(1)));
        assert_eq!(o.order_comment.as_deref(), Some("Please add extra cutlery"));
        assert_eq!(o.table_no, None, "an empty table_no is no table");
        let lines = o.lines.as_ref().expect("the fixture carries a cart");
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].name, "Nasi Goreng Kampung");
        assert_eq!(lines[0].quantity, 2);
        assert_eq!(lines[0].modifiers.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["Extra Pedas", "Telur Mata Sapi"]);
        assert_eq!(lines[1].comment, None, "an empty comment is no comment");
        assert_eq!(o.placed_at.unwrap().unix_timestamp(), OffsetDateTime::parse("2026-06-25T09:14:11Z", &Rfc3339).unwrap().unix_timestamp());
    }

    #[test]
    fn batched_fixture_decodes_both_orders() {
        let orders = decode_orders(include_bytes!("../../tests/fixtures/04-order-created-batched.json")).unwrap();
        assert_eq!(orders.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["8120610", "8120611"]);
        assert!(orders[1].scheduled_at.is_some(), "the second order is scheduled");
        assert_eq!(orders[1].short_id, "P2D9");
    }

    #[test]
    fn aliases_and_fallbacks() {
        let o = one(json!({"brand_id": 9, "branch_id": 3, "orders": [{
            "id": "77", "external_id": "GF-1", "placed_at": "2026-06-25T09:00:00+07:00", "brand_id": "12",
            "cart": [{"title": "Toast", "quantity": "2", "groups": [{"modifiers": [
                {"title": "Butter", "modifier_quantity": 1, "groups": [{"modifiers": [{"title": "Salted"}]}]}]}]}],
            "status": "4", "kds_test": true, "something_new": {"x": 1}
        }]}));
        assert_eq!(o.id, "77", "string ids are kept as strings");
        assert_eq!(o.short_id, "GF-1", "external_id stands in for a missing short_id");
        assert_eq!(o.brand, Some(Brand { id: 12, title: None }), "per-order brand_id is read when brands[] is absent");
        assert_eq!(o.branch_id, Some(3), "the envelope's branch fills in");
        assert!(o.placed_at.is_some(), "placed_at is an alias of created_at");
        assert_eq!(o.status, Some(4), "a numeric string status is read as a number");
        assert!(o.test);
        let lines = o.lines.unwrap();
        assert_eq!(lines[0].name, "Toast");
        assert_eq!(lines[0].quantity, 2);
        assert_eq!(lines[0].modifiers[0].name, "Butter");
        assert_eq!(lines[0].modifiers[0].modifiers[0].name, "Salted", "v1 groups nest too");
        assert_eq!(lines[0].modifiers[0].modifiers[0].quantity, 1, "a missing quantity means one");
    }

    #[test]
    fn cart_v2_is_preferred_and_missing_fields_are_absent() {
        let o = one(json!({"orders": [{"id": 5, "cart": [{"title": "Old"}], "cart_v2": [{"name": "New", "quantity": 1}]}]}));
        assert_eq!(o.lines.unwrap()[0].name, "New");
        let o = one(json!({"orders": [{"id": 5, "cart": [{"title": "Old"}], "cart_v2": []}]}));
        assert_eq!(o.lines.unwrap()[0].name, "Old", "an empty cart_v2 falls back to cart");
        let o = one(json!({"envelope": 1, "orders": [{"id": 6, "brands": "nonsense", "type": 9, "updated_at": "yesterday"}]}));
        assert_eq!(o.lines, None, "no cart at all is not an empty cart");
        assert_eq!((o.brand, o.order_type, o.updated_at, o.short_id.as_str()), (None, OrderType::Unknown, None, "6"));
    }

    #[test]
    fn undecodable_bodies_name_their_reason() {
        assert!(matches!(decode_orders(b"nope"), Err(OrderError::NotJson(_))));
        assert_eq!(decode_orders(br#"{"orders": []}"#), Err(OrderError::NoOrders));
        assert_eq!(decode_orders(br#"{"orders": [{"id": 1}, {"x": 1}]}"#), Err(OrderError::NoId(1)));
        assert_eq!(decode_orders(br#"{"orders": [3]}"#), Err(OrderError::NotObject(0)));
    }

    #[test]
    fn absurd_quantities_and_carts_are_unprocessable_with_their_reason() {
        let near_max = u32::MAX as i64 - 5;
        let body = |cart: Value| serde_json::to_vec(&json!({"orders": [{"id": 1}, {"id": 2, "cart_v2": cart}]})).unwrap();
        let two_huge = body(json!([{"name": "Rice", "quantity": near_max}, {"name": "Tea", "quantity": near_max}]));
        let e = decode_orders(&two_huge).unwrap_err();
        assert!(matches!(e, OrderError::Absurd(1, _)), "the second order is named: {e}");
        assert!(e.to_string().contains("Rice") && e.to_string().contains("9999"), "the reason says which line and the limit: {e}");
        let huge_modifier = body(json!([{"name": "Rice", "quantity": 1, "modifier_groups": [{"modifiers": [{"name": "Egg", "quantity": 1e12}]}]}]));
        assert!(decode_orders(&huge_modifier).unwrap_err().to_string().contains("Egg"));
        let many = body(Value::Array((0..=MAX_LINES).map(|i| json!({"name": format!("x{i}"), "quantity": 1})).collect()));
        assert!(decode_orders(&many).unwrap_err().to_string().contains("cart lines"));
        let fine = body(json!([{"name": "Rice", "quantity": MAX_QUANTITY}, {"name": "Tea", "quantity": -3}]));
        let orders = decode_orders(&fine).expect("the largest believable quantity, and a negative one read as 0, decode");
        assert_eq!(Order::item_count(orders[1].lines.as_deref().unwrap()), MAX_QUANTITY);
        let saturated = [Line { name: "a".into(), quantity: u32::MAX, ..Line::default() }, Line { name: "b".into(), quantity: 7, ..Line::default() }];
        assert_eq!(Order::item_count(&saturated), u32::MAX, "a sum of quantities saturates, never overflows");
    }

    #[test]
    fn deep_modifier_nesting_is_cut_off() {
        let mut m = json!({"name": "leaf"});
        for _ in 0..20 {
            m = json!({"name": "m", "modifier_groups": [{"modifiers": [m]}]});
        }
        let o = one(json!({"orders": [{"id": 1, "cart_v2": [{"name": "x", "modifier_groups": [{"modifiers": [m]}]}]}]}));
        let mut depth = 0;
        let mut cur = &o.lines.unwrap()[0].modifiers;
        while let Some(first) = cur.first() {
            depth += 1;
            cur = &first.modifiers;
        }
        assert_eq!(depth, MAX_MODIFIER_DEPTH);
    }
}
