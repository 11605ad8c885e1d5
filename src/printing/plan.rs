//! The print plan: for one ticket change, which printer prints what.
//!
//! It reads the change's log entries (`received`, `cart`, `status`, `bump`)
//! and each printer's `print_on`:
//!
//! | change | `arrival` printer | `accepted` printer | `demand` printer | backup printer |
//! |---|---|---|---|---|
//! | the order arrives | ticket | ticket, if it arrives accepted | – | ticket marked BACKUP, while backup printing is on |
//! | it is accepted (klikit status, or a bump out of New) | – | ticket, once | – | – |
//! | its cart changes | CHANGED chit, where a ticket was printed | same | same | same |
//! | it is cancelled | CANCELLED chit, where a ticket was printed | same | same | same |
//!
//! A printer with `stations` (or a station's backup printer) prints a ticket
//! only when the order has lines of its stations, and a CHANGED chit only
//! when one of those lines changed: a ticket per station.
//!
//! "Where a ticket was printed" and "once" are checked by the store, inside
//! the same transaction ([`PrintWhen`]). The plan is pure: the backup flags
//! are read, never decided, here.

use crate::kitchen::{Column, Event, EventKind, Ticket, TicketLine};
use crate::store::{PlannedPrint, PrintKind, PrintWhen};

use super::printer::{PrintOn, Printer};

/// What a change did, read from its log entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Change {
    arrived: bool,
    accepted: bool,
    cart: bool,
    cancelled: bool,
}

fn column_of(v: &serde_json::Value) -> Option<Column> {
    v.as_str().and_then(Column::parse)
}

fn read(ticket: &Ticket, events: &[Event]) -> Change {
    let started = |c: Option<Column>| matches!(c, Some(Column::Preparing | Column::Ready | Column::Done));
    let mut change = Change::default();
    for e in events {
        match e.kind {
            EventKind::Received => change.arrived = true,
            EventKind::Cart => change.cart = true,
            // A screen's reject or cancel (sent to klikit) cancels the ticket too.
            EventKind::Rejected | EventKind::Cancelled => change.cancelled = true,
            EventKind::Status | EventKind::Bump => {
                let (from, to) = (column_of(&e.detail["from"]), column_of(&e.detail["to"]));
                if to == Some(Column::Cancelled) {
                    change.cancelled = true;
                } else if started(to) && !started(from) {
                    change.accepted = true;
                }
            }
            _ => {}
        }
    }
    if change.arrived {
        change.cart = false;
        change.accepted |= started(Some(ticket.column));
    }
    change
}

/// The jobs for one change. `backup_on[i]` says whether printer `i` is
/// printing as the board's backup right now.
pub fn plan(printers: &[Printer], backup_on: &[bool], ticket: &Ticket, events: &[Event]) -> Vec<PlannedPrint> {
    let change = read(ticket, events);
    let mut jobs = Vec::new();
    for (i, p) in printers.iter().enumerate() {
        let job = |kind, when| PlannedPrint { printer: p.name.clone(), kind, backup: p.backup, when };
        if change.cancelled {
            jobs.push(job(PrintKind::Cancelled, PrintWhen::AlreadyPrinted));
            continue;
        }
        // A station printer prints only when the change has lines of its stations.
        let mine = |l: &&TicketLine| p.prints_station(&l.station);
        // A chit first: a ticket written by this same change already shows the new cart.
        if change.cart && (p.station_label().is_none() || ticket.lines.iter().filter(mine).any(|l| l.change.is_some())) {
            jobs.push(job(PrintKind::Changed, PrintWhen::AlreadyPrinted));
        }
        if ticket.cancelled || !ticket.lines.iter().any(|l| mine(&l)) {
            continue;
        }
        let print_ticket = if p.backup {
            change.arrived && backup_on.get(i).copied().unwrap_or(false)
        } else {
            match p.print_on {
                PrintOn::Arrival => change.arrived,
                PrintOn::Accepted => change.accepted,
                PrintOn::Demand => false,
            }
        };
        if print_ticket {
            jobs.push(job(PrintKind::Ticket, PrintWhen::NotYetPrinted));
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::{Kitchen, Source};
    use crate::printing::printer::Address;
    use serde_json::json;
    use time::OffsetDateTime;

    fn printer(name: &str, print_on: PrintOn, backup: bool) -> Printer {
        let mut p = Printer::new(name, Address::Tcp { host: "h".into(), port: 9100 });
        p.print_on = print_on;
        p.backup = backup;
        p
    }

    fn printers() -> Vec<Printer> {
        vec![printer("pass", PrintOn::Arrival, false), printer("hot", PrintOn::Accepted, false), printer("spare", PrintOn::Demand, false), printer("backup", PrintOn::Arrival, true)]
    }

    fn new_ticket() -> (Ticket, Vec<Event>) {
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/01-order-created-single.json")).unwrap();
        let orders = crate::klikit::decode_orders(&body).unwrap();
        let applied = Kitchen::default().apply(None, &orders[0], OffsetDateTime::now_utc());
        (applied.record.ticket, applied.events)
    }

    fn event(kind: EventKind, detail: serde_json::Value) -> Event {
        Event { at: OffsetDateTime::now_utc(), source: Source::Klikit, kind, detail }
    }

    fn summary(jobs: &[PlannedPrint]) -> Vec<(String, PrintKind, PrintWhen)> {
        jobs.iter().map(|j| (j.printer.clone(), j.kind, j.when)).collect()
    }

    #[test]
    fn an_arrival_prints_on_arrival_printers_and_the_backup_only_while_it_is_on() {
        let (t, events) = new_ticket();
        assert_eq!(t.column, Column::New, "the fixture arrives placed, not accepted");
        let jobs = plan(&printers(), &[false, false, false, false], &t, &events);
        assert_eq!(summary(&jobs), vec![("pass".into(), PrintKind::Ticket, PrintWhen::NotYetPrinted)], "only the arrival printer prints a new order");
        let jobs = plan(&printers(), &[false, false, false, true], &t, &events);
        assert_eq!(jobs.len(), 2);
        assert!(jobs[1].printer == "backup" && jobs[1].backup, "the backup printer prints, marked BACKUP, while backup printing is on");
    }

    #[test]
    fn acceptance_prints_once_on_accepted_printers() {
        let (t, _) = new_ticket();
        for kind in [EventKind::Status, EventKind::Bump] {
            let jobs = plan(&printers(), &[false; 4], &t, &[event(kind, json!({"from": "new", "to": "preparing"}))]);
            assert_eq!(summary(&jobs), vec![("hot".into(), PrintKind::Ticket, PrintWhen::NotYetPrinted)], "a {kind:?} out of New is the acceptance");
        }
        let jobs = plan(&printers(), &[false; 4], &t, &[event(EventKind::Bump, json!({"from": "preparing", "to": "ready"}))]);
        assert!(jobs.is_empty(), "a later bump prints nothing");
    }

    #[test]
    fn changes_and_cancellations_print_chits_where_the_ticket_went() {
        let (mut t, _) = new_ticket();
        let jobs = plan(&printers(), &[false; 4], &t, &[event(EventKind::Cart, json!({}))]);
        assert!(jobs.iter().all(|j| j.kind == PrintKind::Changed && j.when == PrintWhen::AlreadyPrinted) && jobs.len() == 4, "{jobs:?}");
        t.cancelled = true;
        t.column = Column::Cancelled;
        let jobs = plan(&printers(), &[false; 4], &t, &[event(EventKind::Status, json!({"from": "new", "to": "cancelled"}))]);
        assert!(jobs.iter().all(|j| j.kind == PrintKind::Cancelled && j.when == PrintWhen::AlreadyPrinted) && jobs.len() == 4, "{jobs:?}");
        for kind in [EventKind::Rejected, EventKind::Cancelled] {
            let jobs = plan(&printers(), &[false; 4], &t, &[event(kind, json!({"from": "new", "reason_code": "out_of_items"}))]);
            assert!(jobs.iter().all(|j| j.kind == PrintKind::Cancelled) && jobs.len() == 4, "a screen's {kind:?} (sent to klikit) prints the CANCELLED chit like klikit's own: {jobs:?}");
        }
    }
}
