//! All-day counts: how many of each item a screen still has to cook, by
//! name and modifiers, across every ticket on the board.
//!
//! What it owns: which lines count (still to cook, on a ticket that is
//! cooking: New or Preparing) and how they group (same name and the same
//! modifiers). It never reads storage; the API hands it the open tickets.

use serde::{Deserialize, Serialize};

use super::screen::Screen;
use super::{Column, Ticket};
use crate::klikit::order::Modifier;

/// One all-day row.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllDayItem {
    pub name: String,
    pub modifiers: Vec<Modifier>,
    /// Total quantity still to cook.
    pub quantity: u32,
    /// On how many tickets.
    pub tickets: u32,
    /// The station that cooks it.
    pub station: String,
}

/// The counts for `screen` (a station: its lines; any other: every line),
/// largest first, then by name.
pub fn counts(screen: &Screen, tickets: &[Ticket]) -> Vec<AllDayItem> {
    let mut rows: Vec<AllDayItem> = Vec::new();
    for t in tickets.iter().filter(|t| t.open && matches!(t.column, Column::New | Column::Preparing)) {
        let mut counted_here: Vec<usize> = Vec::new();
        for line in t.lines.iter().filter(|l| l.to_cook() && screen.station().is_none_or(|s| s == l.station)) {
            let i = match rows.iter().position(|r| r.name == line.name && r.modifiers == line.modifiers && r.station == line.station) {
                Some(i) => i,
                None => {
                    rows.push(AllDayItem { name: line.name.clone(), modifiers: line.modifiers.clone(), quantity: 0, tickets: 0, station: line.station.clone() });
                    rows.len() - 1
                }
            };
            rows[i].quantity = rows[i].quantity.saturating_add(line.quantity);
            if !counted_here.contains(&i) {
                counted_here.push(i);
                rows[i].tickets += 1;
            }
        }
    }
    rows.sort_by(|a, b| b.quantity.cmp(&a.quantity).then_with(|| a.name.cmp(&b.name)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::progress::tests::kitchen;
    use crate::klikit::decode_orders;
    use time::OffsetDateTime;

    #[test]
    fn counts_what_is_still_to_cook_for_the_station() {
        let k = kitchen();
        let now = OffsetDateTime::UNIX_EPOCH;
        let ticket = |id: i64, satay: u32| {
            let body = serde_json::json!({"orders": [{"id": id, "status": 1, "cart_v2": [
                {"name": "Satay", "quantity": satay, "klikit_category_name": "Mains"},
                {"name": "Es Teh", "quantity": 1, "klikit_category_name": "Drinks"}]}]});
            k.apply(None, &decode_orders(&serde_json::to_vec(&body).unwrap()).unwrap()[0], now).record
        };
        let (a, b) = (ticket(1, 2), ticket(2, 3));
        let setup = k.setup.get();
        let grill = Screen::parse(Some("grill"), &setup);
        let rows = counts(&grill, &[a.ticket.clone(), b.ticket.clone()]);
        assert_eq!(rows.iter().map(|r| (r.name.as_str(), r.quantity, r.tickets)).collect::<Vec<_>>(), [("Satay", 5, 2)], "only the grill's lines");
        let (a, _) = k.bump_station(&a, "grill", None, now).unwrap();
        assert_eq!(counts(&grill, &[a.ticket.clone(), b.ticket.clone()])[0].quantity, 3, "bumped lines leave the count");
        assert_eq!(counts(&Screen::Expo, &[a.ticket, b.ticket]).len(), 2, "the expo counts every station");
    }
}
