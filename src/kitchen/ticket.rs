//! The ticket as screens see it (the JSON contract of the app API), its
//! columns, and the per-line diff of a replaced cart.

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

/// A line as shown on a ticket: the cart line plus its change mark.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketLine {
    pub name: String,
    pub quantity: u32,
    pub comment: Option<String>,
    pub modifiers: Vec<Modifier>,
    pub change: Option<LineChange>,
    pub previous_quantity: Option<u32>,
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
    #[serde(with = "time::serde::rfc3339::option")]
    pub placed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
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
    #[serde(with = "time::serde::rfc3339::option")]
    pub klikit_updated_at: Option<OffsetDateTime>,
}

impl Ticket {
    /// Recomputes the fields that follow from the others.
    pub(super) fn refresh_derived(&mut self) {
        self.changed = self.lines.iter().any(|l| l.change.is_some());
        self.item_count = self.lines.iter().filter(|l| l.change != Some(LineChange::Removed)).map(|l| l.quantity).sum();
        self.open = match self.column {
            Column::Done => false,
            Column::Cancelled => !self.cancellation_acknowledged,
            _ => true,
        };
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
