//! What each screen sees: everything (today's board), the expo (every
//! line, with each station's progress), or one station (only its lines).
//!
//! What it owns: reading a screen's name against the station setup, the
//! view of a ticket for a screen (a station's view keeps only that
//! station's lines, and says `open: false` once the station has nothing
//! left to do on it, so a screen drops it exactly as it drops a done
//! ticket), and the board's order (rush first). It never reads storage.

use time::OffsetDateTime;

use super::station::{Setup, EXPO};
use super::{Column, Ticket};

/// The screen a request or a live stream is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// No screen named: everything, as before stations.
    All,
    /// Every line, with each station's progress.
    Expo,
    /// One station, as spelled in the setup.
    Station(String),
    /// A station the setup no longer has: everything, with a notice.
    Gone(String),
}

impl Screen {
    /// The screen named by `?screen=NAME` (empty or absent: everything).
    pub fn parse(name: Option<&str>, setup: &Setup) -> Screen {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else { return Screen::All };
        if name.eq_ignore_ascii_case(EXPO) {
            return Screen::Expo;
        }
        match setup.find_station(name) {
            Some(station) => Screen::Station(station.to_string()),
            None => Screen::Gone(name.to_string()),
        }
    }

    /// The station whose lines this screen shows, if it is one.
    pub fn station(&self) -> Option<&str> {
        match self {
            Screen::Station(s) => Some(s),
            _ => None,
        }
    }

    /// The screen's name for answers: `expo`, a station, or `null`.
    pub fn name(&self) -> Option<String> {
        match self {
            Screen::All | Screen::Gone(_) => None,
            Screen::Expo => Some(EXPO.to_string()),
            Screen::Station(s) => Some(s.clone()),
        }
    }

    /// What the screen should tell its cooks, if anything.
    pub fn notice(&self) -> Option<String> {
        match self {
            Screen::Gone(name) => Some(format!("there is no station {name:?} any more: this screen shows every station")),
            _ => None,
        }
    }

    /// The ticket as this screen sees it.
    pub fn view(&self, ticket: &Ticket) -> Ticket {
        let Screen::Station(station) = self else { return ticket.clone() };
        let mut t = ticket.clone();
        t.lines.retain(|l| &l.station == station);
        let cooking = matches!(t.column, Column::New | Column::Preparing) && t.lines.iter().any(|l| l.to_cook());
        let cancelled_here = t.column == Column::Cancelled && !t.lines.is_empty();
        t.open = t.open && (cooking || cancelled_here);
        t
    }

    /// The open tickets this screen shows, in the board's order.
    pub fn board(&self, tickets: &[Ticket]) -> Vec<Ticket> {
        let mut shown: Vec<Ticket> = tickets.iter().map(|t| self.view(t)).filter(|t| t.open).collect();
        board_order(&mut shown);
        shown
    }

    /// A station's recall list: the tickets still cooking on which it has
    /// bumped every line, at or after `since`, most recent first (as this
    /// screen sees them). Empty for a screen that is not a station.
    pub fn recallable(&self, tickets: &[Ticket], since: OffsetDateTime) -> Vec<Ticket> {
        let Screen::Station(station) = self else { return Vec::new() };
        let mut found: Vec<(OffsetDateTime, Ticket)> = tickets
            .iter()
            .filter(|t| t.open && matches!(t.column, Column::New | Column::Preparing))
            .filter_map(|t| t.stations.iter().find(|p| &p.station == station).and_then(|p| p.done_at).map(|at| (at, self.view(t))))
            .filter(|(at, _)| *at >= since)
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0));
        found.into_iter().map(|(_, t)| t).collect()
    }
}

/// Rush tickets first; otherwise the order given (oldest change first).
pub fn board_order(tickets: &mut [Ticket]) {
    tickets.sort_by_key(|t| !t.rush);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::progress::tests::kitchen;
    use crate::klikit::decode_orders;

    #[test]
    fn a_station_sees_only_its_lines_until_it_has_bumped_them() {
        let k = kitchen();
        let body = br#"{"orders": [{"id": 5, "status": 1, "cart_v2": [{"name": "Satay", "quantity": 1, "klikit_category_name": "Mains"}, {"name": "Es Teh", "quantity": 1, "klikit_category_name": "Drinks"}]}]}"#;
        let r = k.apply(None, &decode_orders(body).unwrap()[0], OffsetDateTime::UNIX_EPOCH).record;
        let setup = k.setup.get();
        let grill = Screen::parse(Some("Grill"), &setup);
        assert_eq!(grill, Screen::Station("grill".into()), "screen names match stations in any case");
        let seen = grill.view(&r.ticket);
        assert_eq!((seen.lines.len(), seen.lines[0].name.as_str(), seen.open), (1, "Satay", true));
        assert!(grill.recallable(std::slice::from_ref(&r.ticket), OffsetDateTime::UNIX_EPOCH).is_empty(), "nothing bumped: nothing to recall");
        let (r, _) = k.bump_station(&r, "grill", None, OffsetDateTime::UNIX_EPOCH).unwrap();
        assert!(!grill.view(&r.ticket).open, "once bumped the ticket leaves the grill");
        let recall = grill.recallable(std::slice::from_ref(&r.ticket), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(recall.len(), 1, "and joins its recall list");
        assert!(grill.recallable(&[r.ticket.clone()], OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1)).is_empty(), "bumped before `since`: too old to recall");
        assert!(Screen::parse(Some("drinks"), &setup).view(&r.ticket).open, "and stays on drinks");
        assert_eq!(Screen::parse(Some("expo"), &setup).view(&r.ticket), r.ticket, "the expo sees every line");
        let gone = Screen::parse(Some("fryer"), &setup);
        assert_eq!((gone.view(&r.ticket).lines.len(), gone.notice().is_some()), (2, true), "an unknown station sees everything, with a notice");
        assert_eq!(Screen::parse(Some(" "), &setup), Screen::All);
    }
}
