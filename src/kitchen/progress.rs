//! A station's progress on a ticket: its bump (that station's lines done),
//! its recall (done lines back to cook), and moving lines when the station
//! setup changes.
//!
//! What it owns: the rules of item-level bumping. A station acts only on a
//! ticket that is cooking (New or Preparing): once the expo has moved it to
//! Ready, or it is done or cancelled, the stations are finished with it. A
//! bump needs at least one line of the station still to cook, and a recall
//! at least one done, so two screens bumping the same station at once move
//! its lines once: the second is refused with the ticket as it is now. The
//! optional `from` column guards against a ticket that moved meanwhile, as
//! for a whole-ticket action. Whole-ticket columns are the expo's: a
//! station's bump never moves the ticket (and so never tells klikit
//! anything).
//!
//! What it never does: I/O or reading the clock.

use serde_json::json;
use time::OffsetDateTime;

use super::station::Setup;
use super::{Column, Event, EventKind, Kitchen, Record, Refusal, Source};

impl Kitchen {
    /// `station` bumps its lines of the ticket: each one still to cook is
    /// marked done at `now`.
    pub fn bump_station(&self, record: &Record, station: &str, from: Option<Column>, now: OffsetDateTime) -> Result<(Record, Event), Refusal> {
        self.station_action(record, station, from, now, EventKind::StationBump)
    }

    /// `station` recalls its done lines of the ticket (within the recall
    /// window of when it bumped them): they are to cook again.
    pub fn recall_station(&self, record: &Record, station: &str, from: Option<Column>, now: OffsetDateTime) -> Result<(Record, Event), Refusal> {
        self.station_action(record, station, from, now, EventKind::StationRecall)
    }

    fn station_action(&self, record: &Record, station: &str, from: Option<Column>, now: OffsetDateTime, kind: EventKind) -> Result<(Record, Event), Refusal> {
        let mut next = record.clone();
        // Route first: lines of a station deleted meanwhile belong elsewhere now.
        self.settle(&mut next);
        let t = &next.ticket;
        let refuse = |reason: String| Err(Refusal { reason, ticket: t.clone() });
        if let Some(seen) = from {
            if seen != t.column {
                return refuse(format!("the ticket is no longer in {seen}: it is in {}", t.column));
            }
        }
        if !matches!(t.column, Column::New | Column::Preparing) {
            return refuse(format!("stations act only on tickets that are cooking (new or preparing); this one is {}", t.column));
        }
        let mine = |l: &super::TicketLine| l.station == station && l.change != Some(super::LineChange::Removed);
        let bump = kind == EventKind::StationBump;
        let chosen: Vec<usize> = t.lines.iter().enumerate().filter(|(_, l)| mine(l) && (l.done_at.is_none() == bump)).map(|(i, _)| i).collect();
        if chosen.is_empty() {
            let what = if bump { "still to cook" } else { "done" };
            return refuse(format!("{station} has no lines {what} on this ticket"));
        }
        if !bump {
            let last = chosen.iter().filter_map(|&i| t.lines[i].done_at).max();
            if last.is_some_and(|at| now - at > self.recall_window) {
                return refuse(format!("the recall window ({} min) has passed", self.recall_window.whole_minutes()));
            }
        }
        let n = &mut next.ticket;
        let names: Vec<&str> = chosen.iter().map(|&i| n.lines[i].name.as_str()).collect();
        // For reports (per-station times): how long after the kitchen first
        // saw the order this station acted.
        let since_received_s = (now - record.first_seen_at()).whole_seconds();
        let detail = json!({"station": station, "lines": names, "column": n.column, "since_received_s": since_received_s});
        for &i in &chosen {
            n.lines[i].done_at = bump.then_some(now);
        }
        n.updated_at = now;
        n.refresh_derived();
        Ok((next, Event { at: now, source: Source::Screen, kind, detail }))
    }

    /// Routes the lines of an open ticket under `setup` (the one about to
    /// be put in force), if that moves any: the moved lines keep their done
    /// state. `None` when nothing moves.
    pub fn reroute(&self, record: &Record, setup: &Setup, now: OffsetDateTime) -> Option<(Record, Event)> {
        let t = &record.ticket;
        if !t.open {
            return None;
        }
        let order = super::station::OrderFacts { brand: t.brand.as_ref().map(|b| b.id), order_type: t.order_type, channel: t.channel.as_deref() };
        let mut next = record.clone();
        let mut moves = Vec::new();
        for line in &mut next.ticket.lines {
            let facts = super::station::LineFacts { name: &line.name, category: line.category.as_deref(), category_id: line.category_id.as_deref() };
            let to = setup.route(order, facts);
            if line.station != to {
                moves.push(json!({"name": line.name, "from": line.station, "to": to}));
                line.station = to.to_string();
            }
        }
        let fire_at = t.scheduled_at.map(|s| s - setup.prep(t.brand.as_ref(), t.order_type));
        let refired = fire_at != t.fire_at;
        if moves.is_empty() && !refired {
            return None;
        }
        next.ticket.fire_at = fire_at;
        next.ticket.updated_at = now;
        next.ticket.refresh_derived();
        let detail = json!({"moves": moves, "fire_at": fire_at.and_then(|f| f.format(&time::format_description::well_known::Rfc3339).ok())});
        Some((next, Event { at: now, source: Source::Kitchen, kind: EventKind::Rerouted, detail }))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;
    use time::macros::datetime;
    use time::Duration;

    use crate::kitchen::station::Station;
    use crate::kitchen::{Action, Column, EventKind, Kitchen, Record, Setup};
    use crate::klikit::order::decode_orders;

    const T0: OffsetDateTime = datetime!(2026-06-25 09:00 UTC);
    use time::OffsetDateTime;

    pub(crate) fn kitchen() -> Kitchen {
        let k = Kitchen::default();
        k.setup.set(Setup {
            stations: vec![
                Station { name: "grill".into(), categories: vec!["Mains".into()], ..Station::default() },
                Station { name: "drinks".into(), categories: vec!["Drinks".into()], ..Station::default() },
            ],
            ..Setup::default()
        });
        k
    }

    fn order(status: i64, minute: i64, cart: &[(&str, u32, &str)]) -> crate::klikit::order::Order {
        let lines: Vec<_> = cart.iter().map(|(n, q, c)| json!({"name": n, "quantity": q, "klikit_category_name": c})).collect();
        let at = (T0 + Duration::minutes(minute)).format(&time::format_description::well_known::Rfc3339).unwrap();
        let body = json!({"orders": [{"id": 1, "status": status, "updated_at": at, "cart_v2": lines}]});
        decode_orders(&serde_json::to_vec(&body).unwrap()).unwrap().remove(0)
    }

    fn open(k: &Kitchen) -> Record {
        k.apply(None, &order(1, 0, &[("Satay", 2, "Mains"), ("Es Teh", 1, "Drinks"), ("Krupuk", 1, "")]), T0).record
    }

    fn done_by(r: &Record, station: &str) -> Vec<bool> {
        r.ticket.lines.iter().filter(|l| l.station == station).map(|l| l.done_at.is_some()).collect()
    }

    #[test]
    fn lines_are_routed_and_a_station_bump_marks_only_its_own() {
        let k = kitchen();
        let r = open(&k);
        let stations: Vec<&str> = r.ticket.lines.iter().map(|l| l.station.as_str()).collect();
        assert_eq!(stations, ["grill", "drinks", "kitchen"], "by category, and the rest to the default station");
        let (r, event) = k.bump_station(&r, "grill", Some(Column::New), T0).unwrap();
        assert_eq!((event.kind, &event.detail["lines"]), (EventKind::StationBump, &json!(["Satay"])));
        let (_, later) = k.bump_station(&r, "drinks", None, T0 + Duration::seconds(90)).unwrap();
        assert_eq!(later.detail["since_received_s"], 90, "the log says how long the station took, for per-station reports");
        assert_eq!((done_by(&r, "grill"), done_by(&r, "drinks")), (vec![true], vec![false]));
        assert_eq!(r.ticket.column, Column::New, "a station's bump never moves the ticket");
        let refused = k.bump_station(&r, "grill", None, T0).unwrap_err();
        assert!(refused.reason.contains("no lines still to cook"), "a second bump of the same station moves nothing: {}", refused.reason);
        let (r, _) = k.bump_station(&r, "drinks", None, T0).unwrap();
        assert!(!r.ticket.complete, "the default station still has a line");
        let (r, _) = k.bump_station(&r, "kitchen", None, T0).unwrap();
        assert!(r.ticket.complete, "every station done: complete at expo");
        assert!(r.ticket.stations.iter().all(|p| p.done == p.lines && p.done_at == Some(T0)), "{:?}", r.ticket.stations);
    }

    #[test]
    fn recall_restores_a_stations_lines_within_the_window() {
        let k = kitchen();
        let (r, _) = k.bump_station(&open(&k), "grill", None, T0).unwrap();
        assert!(k.recall_station(&r, "grill", None, T0 + Duration::minutes(11)).is_err(), "out of the recall window");
        let (r, event) = k.recall_station(&r, "grill", None, T0 + Duration::minutes(2)).unwrap();
        assert_eq!((event.kind, done_by(&r, "grill")), (EventKind::StationRecall, vec![false]));
        assert!(k.recall_station(&r, "grill", None, T0).is_err(), "nothing done: nothing to recall");
    }

    #[test]
    fn stations_leave_a_ticket_once_the_expo_moved_it_to_ready() {
        let k = kitchen();
        let r = open(&k);
        let (r, _) = k.act(&r, Action::Bump, None, T0).unwrap();
        let (r, _) = k.act(&r, Action::Bump, None, T0).unwrap();
        assert_eq!(r.ticket.column, Column::Ready, "the expo may bump a ticket whose stations are not done");
        assert!(k.bump_station(&r, "grill", None, T0).unwrap_err().reason.contains("cooking"));
        assert!(k.bump_station(&open(&k), "grill", Some(Column::Preparing), T0).is_err(), "the from guard holds for stations too");
    }

    #[test]
    fn a_cart_change_reopens_the_changed_lines_on_their_station() {
        let k = kitchen();
        let r = open(&k);
        let (r, _) = k.bump_station(&r, "grill", None, T0).unwrap();
        let (r, _) = k.bump_station(&r, "drinks", None, T0).unwrap();
        let changed = k.apply(Some(&r), &order(1, 5, &[("Satay", 3, "Mains"), ("Es Teh", 1, "Drinks"), ("Krupuk", 1, "")]), T0 + Duration::minutes(5));
        let r = changed.record;
        assert_eq!((done_by(&r, "grill"), done_by(&r, "drinks")), (vec![false], vec![true]), "only the line whose quantity changed is to cook again");
        assert!(r.ticket.changed, "and it carries a change mark");
        let reopened = changed.events.iter().find(|e| e.kind == EventKind::Reopened).expect("a finished station got work again: logged");
        assert_eq!(reopened.detail["lines"][0]["station"], "grill");
        let (acked, _) = k.act(&r, Action::Acknowledge, None, T0).unwrap();
        assert_eq!(done_by(&acked, "drinks"), vec![true], "acknowledging the marks keeps what the stations did");
    }

    #[test]
    fn a_new_setup_moves_lines_and_a_deleted_stations_lines_fall_back() {
        let k = kitchen();
        let (r, _) = k.bump_station(&open(&k), "grill", None, T0).unwrap();
        let only_drinks = Setup { stations: vec![Station { name: "drinks".into(), categories: vec!["Drinks".into()], ..Station::default() }], ..Setup::default() };
        let (moved, event) = k.reroute(&r, &only_drinks, T0).expect("the grill's line must move");
        assert_eq!(event.detail["moves"], json!([{"name": "Satay", "from": "grill", "to": "kitchen"}]));
        assert_eq!(done_by(&moved, "kitchen"), vec![true, false], "a moved line keeps its done state");
        assert!(k.reroute(&moved, &only_drinks, T0).is_none(), "nothing to move twice");
    }
}
