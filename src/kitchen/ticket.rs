//! The ticket as screens see it (the JSON contract of the app API), its
//! columns, the per-line diff of a replaced cart, and each line's station
//! and done state (carried across a cart change for the lines it left as
//! they were).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::klikit::order::{Brand, Line, Modifier, OrderType};

/// A kitchen column. The order of the variants is the forward order of the
/// board; `Cancelled` stands apart (terminal).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Scheduled,
    New,
    Preparing,
    Ready,
    Done,
    Cancelled,
}

impl Column {
    /// Every column, in the order of the variants.
    pub const ALL: [Column; 6] = [Column::Scheduled, Column::New, Column::Preparing, Column::Ready, Column::Done, Column::Cancelled];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Scheduled => "scheduled",
            Column::New => "new",
            Column::Preparing => "preparing",
            Column::Ready => "ready",
            Column::Done => "done",
            Column::Cancelled => "cancelled",
        }
    }

    /// Parses a JSON name.
    pub fn parse(s: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The column a bump moves to.
    pub fn next(self) -> Option<Column> {
        match self {
            Column::Scheduled => Some(Column::New),
            Column::New => Some(Column::Preparing),
            Column::Preparing => Some(Column::Ready),
            Column::Ready => Some(Column::Done),
            Column::Done | Column::Cancelled => None,
        }
    }

    /// The column a recall moves to.
    pub(super) fn previous(self) -> Option<Column> {
        match self {
            Column::Done => Some(Column::Ready),
            Column::Ready => Some(Column::Preparing),
            Column::Preparing => Some(Column::New),
            Column::New | Column::Scheduled | Column::Cancelled => None,
        }
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The driver badge (klikit statuses 7 and 8). It moves no column.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    Assigned,
    Arrived,
}

/// How a line differs from the cart the kitchen last acknowledged.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Added,
    Removed,
    Quantity,
    Modifiers,
}

/// A line as shown on a ticket: the cart line plus its change mark, its
/// station and whether that station has finished it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketLine {
    pub name: String,
    pub quantity: u32,
    pub comment: Option<String>,
    pub modifiers: Vec<Modifier>,
    pub change: Option<LineChange>,
    pub previous_quantity: Option<u32>,
    /// The station that cooks it (see `kitchen::station`); empty only in a
    /// ticket stored before stations, until it is next routed.
    #[serde(default)]
    pub station: String,
    /// When its station bumped it; `null` while it is still to cook.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub done_at: Option<OffsetDateTime>,
    /// klikit's category name and id, which routing reads.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub category_id: Option<String>,
}

impl TicketLine {
    /// Still to cook: not removed, and not done by its station.
    pub fn to_cook(&self) -> bool {
        self.change != Some(LineChange::Removed) && self.done_at.is_none()
    }

    fn same_content(&self, other: &TicketLine) -> bool {
        self.name == other.name && self.quantity == other.quantity && self.comment == other.comment && self.modifiers == other.modifiers
    }
}

/// One station's part of a ticket, for the expo's progress marks.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationProgress {
    pub station: String,
    /// Lines of this station (removed ones not counted).
    pub lines: u32,
    /// Of those, the ones its station has bumped.
    pub done: u32,
    /// When the last of them was bumped, once all are.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub done_at: Option<OffsetDateTime>,
}

/// A ticket, exactly as the API and the live stream send it. Field names are
/// a contract with the board: add fields, never rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub order_id: String,
    pub short_id: String,
    pub brand: Option<Brand>,
    pub branch_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub channel: Option<String>,
    pub order_type: OrderType,
    pub table_no: Option<String>,
    /// The klikit number of the furthest status applied (`None` before any).
    pub status_code: Option<i64>,
    /// Its name from the status table, `UNKNOWN` for a code none knows.
    pub status: String,
    pub column: Column,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub placed_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub scheduled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub column_since: OffsetDateTime,
    /// When this ticket last changed (kitchen time).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub lines: Vec<TicketLine>,
    pub order_comment: Option<String>,
    /// Some line carries a change mark not yet acknowledged.
    pub changed: bool,
    pub cancelled: bool,
    pub cancellation_reason: Option<String>,
    pub driver: Option<Driver>,
    /// A self-test ticket (`kds_test`), done by itself after a minute.
    pub test: bool,
    /// Sum of the quantities of the lines not removed.
    pub item_count: u32,
    // Additions beyond the first contract:
    /// Whether the ticket belongs on the board (`GET /api/tickets`): not done,
    /// and not a cancellation someone has acknowledged.
    pub open: bool,
    /// A screen acknowledged the cancellation.
    pub cancellation_acknowledged: bool,
    /// klikit's `updated_at` of the newest snapshot applied.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub klikit_updated_at: Option<OffsetDateTime>,
    /// Where the last action sent to klikit for this order stands; `None`
    /// when nothing went to klikit (no partner keys, or no action yet).
    #[serde(default)]
    pub klikit_sync: Option<super::sync::KlikitSync>,
    /// An order of a branch this kitchen does not serve: stored, never
    /// shown or rung.
    #[serde(default)]
    pub other_branch: bool,
    /// The expo marked it rush: it sorts first on every screen.
    #[serde(default)]
    pub rush: bool,
    /// A scheduled order: when it fires (moves to New), its scheduled time
    /// minus the prep time of its brand or order type.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub fire_at: Option<OffsetDateTime>,
    /// Each station's progress on this ticket, by station name.
    #[serde(default)]
    pub stations: Vec<StationProgress>,
    /// Every station has bumped all its lines: complete at expo.
    #[serde(default)]
    pub complete: bool,
}

impl Ticket {
    /// Recomputes the fields that follow from the others.
    pub(super) fn refresh_derived(&mut self) {
        self.changed = self.lines.iter().any(|l| l.change.is_some());
        // Saturating: quantities are bounded where they are decoded, and a
        // sum must never panic (debug) or wrap (release) if one gets past.
        self.item_count = self.lines.iter().filter(|l| l.change != Some(LineChange::Removed)).fold(0u32, |n, l| n.saturating_add(l.quantity));
        self.open = !self.other_branch
            && match self.column {
            Column::Done => false,
            Column::Cancelled => !self.cancellation_acknowledged,
            _ => true,
        };
        let mut stations: Vec<StationProgress> = Vec::new();
        for line in self.lines.iter().filter(|l| l.change != Some(LineChange::Removed)) {
            let i = match stations.iter().position(|p| p.station == line.station) {
                Some(i) => i,
                None => {
                    stations.push(StationProgress { station: line.station.clone(), lines: 0, done: 0, done_at: None });
                    stations.len() - 1
                }
            };
            let p = &mut stations[i];
            p.lines += 1;
            if let Some(at) = line.done_at {
                p.done += 1;
                p.done_at = p.done_at.max(Some(at));
            }
        }
        for p in &mut stations {
            if p.done < p.lines {
                p.done_at = None;
            }
        }
        stations.sort_by(|a, b| a.station.cmp(&b.station));
        self.complete = !stations.is_empty() && stations.iter().all(|p| p.done == p.lines);
        self.stations = stations;
    }
}

/// Gives each line of `new` the done state of a line of `old` with the same
/// content (name, quantity, comment, modifiers), each old line at most once,
/// preferring one with the same change mark. A line the cart change added
/// or altered has no such line: it is to cook again.
pub fn carry_done(old: &[TicketLine], new: &mut [TicketLine]) {
    let mut used = vec![false; old.len()];
    let mut given = vec![false; new.len()];
    for same_mark in [true, false] {
        for (i, line) in new.iter_mut().enumerate() {
            if given[i] {
                continue;
            }
            let found = (0..old.len()).find(|&j| !used[j] && old[j].same_content(line) && (!same_mark || old[j].change == line.change));
            if let Some(j) = found {
                used[j] = true;
                given[i] = true;
                line.done_at = old[j].done_at;
            }
        }
    }
}

/// The lines of `cart` marked against `baseline` (the cart the kitchen last
/// acknowledged). Lines match by name, preferring one with the same
/// modifiers; lines of the baseline left unmatched come last, as removed.
pub fn diff(baseline: &[Line], cart: &[Line]) -> Vec<TicketLine> {
    let mut used = vec![false; baseline.len()];
    let mut matched: Vec<Option<usize>> = vec![None; cart.len()];
    let passes: [&dyn Fn(&Line, &Line) -> bool; 2] =
        [&|a, b| a.name == b.name && a.modifiers == b.modifiers && a.comment == b.comment, &|a, b| a.name == b.name];
    for same in passes {
        for (i, line) in cart.iter().enumerate() {
            if matched[i].is_some() {
                continue;
            }
            if let Some(j) = (0..baseline.len()).find(|&j| !used[j] && same(&baseline[j], line)) {
                used[j] = true;
                matched[i] = Some(j);
            }
        }
    }
    let mut out: Vec<TicketLine> = cart
        .iter()
        .zip(&matched)
        .map(|(line, m)| {
            let (change, previous_quantity) = match m.map(|j| &baseline[j]) {
                None => (Some(LineChange::Added), None),
                Some(old) => {
                    let quantity = (old.quantity != line.quantity).then_some(old.quantity);
                    let change = if old.modifiers != line.modifiers || old.comment != line.comment {
                        Some(LineChange::Modifiers)
                    } else if quantity.is_some() {
                        Some(LineChange::Quantity)
                    } else {
                        None
                    };
                    (change, quantity)
                }
            };
            marked(line, change, previous_quantity)
        })
        .collect();
    out.extend(baseline.iter().zip(&used).filter(|(_, u)| !**u).map(|(old, _)| marked(old, Some(LineChange::Removed), None)));
    out
}

fn marked(line: &Line, change: Option<LineChange>, previous_quantity: Option<u32>) -> TicketLine {
    TicketLine {
        name: line.name.clone(),
        quantity: line.quantity,
        comment: line.comment.clone(),
        modifiers: line.modifiers.clone(),
        change,
        previous_quantity,
        station: String::new(),
        done_at: None,
        category: line.category.clone(),
        category_id: line.category_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, q: u32, mods: &[&str]) -> Line {
        Line {
            name: name.into(),
            quantity: q,
            comment: None,
            modifiers: mods.iter().map(|m| Modifier { name: m.to_string(), quantity: 1, modifiers: vec![] }).collect(),
            ..Line::default()
        }
    }

    #[test]
    fn diff_marks_each_kind_of_change() {
        let before = [line("Kopi", 2, &["Less Ice"]), line("Roti", 1, &["Srikaya"]), line("Teh", 1, &[])];
        let after = [line("Kopi", 3, &["Less Ice"]), line("Roti", 1, &["Coklat Keju"]), line("Pisang", 1, &[])];
        let d = diff(&before, &after);
        let marks: Vec<_> = d.iter().map(|l| (l.name.as_str(), l.change, l.previous_quantity)).collect();
        assert_eq!(
            marks,
            [
                ("Kopi", Some(LineChange::Quantity), Some(2)),
                ("Roti", Some(LineChange::Modifiers), None),
                ("Pisang", Some(LineChange::Added), None),
                ("Teh", Some(LineChange::Removed), None),
            ]
        );
    }

    #[test]
    fn same_cart_has_no_marks_and_duplicates_pair_up() {
        let cart = [line("A", 1, &["x"]), line("A", 1, &["y"])];
        assert!(diff(&cart, &cart).iter().all(|l| l.change.is_none()));
        let swapped = [cart[1].clone(), cart[0].clone()];
        assert!(diff(&cart, &swapped).iter().all(|l| l.change.is_none()), "reordering lines is not a change");
    }

    #[test]
    fn columns_move_one_step() {
        assert_eq!(Column::Ready.next(), Some(Column::Done));
        assert_eq!(Column::Done.previous(), Some(Column::Ready));
        assert_eq!(Column::Cancelled.next(), None);
        assert_eq!(Column::parse("preparing"), Some(Column::Preparing));
        assert_eq!(Column::parse("Preparing"), None);
    }
}
