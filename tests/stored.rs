//! Stored records stay readable: tickets that today's kds wrote to SQLite
//! (as JSON) must still decode with the current types after an upgrade, so
//! that adding a field can never strand a kitchen's open tickets.
//!
//! The fixtures in `tests/fixtures/stored/` were written once by the kds of
//! commit 715eaef (the storage format of main at 6bfa939): `kds serve` on a fresh data dir, then `kds send` of
//! `tests/fixtures/` 01, 04, 02, 03 and 05 in that order. `records.json` is
//! `SELECT record FROM tickets`, `ticket-changes.json` is `SELECT ticket FROM
//! ticket_changes`, and `kds.sqlite` is the database itself. Never regenerate
//! them: they stand for databases already in kitchens. A new format adds new
//! fixtures beside them.

use kds::kitchen::{Column, Record, Ticket};
use kds::store::Store;
use serde_json::Value;

const RECORDS: &str = include_str!("fixtures/stored/records.json");
const CHANGES: &str = include_str!("fixtures/stored/ticket-changes.json");

fn values(text: &str) -> Vec<Value> {
    serde_json::from_str(text).expect("the fixture is a JSON array")
}

#[test]
fn todays_stored_records_decode_with_the_current_types() {
    let records: Vec<Record> = values(RECORDS)
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap_or_else(|e| panic!("a record a kitchen already stores must decode: {e}")))
        .collect();
    assert_eq!(records.len(), 4, "four orders were sent (one delivery carried two)");
    let columns: Vec<Column> = records.iter().map(|r| r.ticket.column).collect();
    for column in [Column::New, Column::Preparing, Column::Ready, Column::Cancelled] {
        assert!(columns.contains(&column), "the stored tickets sit in {column:?} among others, so decoding must keep their columns: {columns:?}");
    }
    let changes: Vec<Ticket> = values(CHANGES)
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap_or_else(|e| panic!("a change on the feed a screen may resume from must decode: {e}")))
        .collect();
    assert_eq!(changes.len(), 6, "one change per applied order and status move");
}

#[test]
fn a_field_this_version_does_not_know_is_ignored() {
    // A newer kds may have added a field; a downgrade must not strand tickets either.
    for mut v in values(RECORDS) {
        v["field_from_a_later_version"] = Value::from(1);
        v["ticket"]["another_later_field"] = Value::from("x");
        let r: Record = serde_json::from_value(v).expect("unknown fields are ignored, never an error");
        assert!(!r.ticket.order_id.is_empty());
    }
}

#[test]
fn optional_fields_missing_from_an_older_record_default_to_none() {
    // Optional fields written as null today may be absent in a record an
    // older kds wrote (or one that skips nulls later).
    for v in values(RECORDS) {
        let full: Record = serde_json::from_value(v.clone()).unwrap();
        let mut stripped = v;
        let ticket = stripped["ticket"].as_object_mut().unwrap();
        let before = ticket.len();
        ticket.retain(|_, value| !value.is_null());
        assert!(ticket.len() < before, "every stored ticket has some null field to leave out");
        let r: Record = serde_json::from_value(stripped).unwrap_or_else(|e| panic!("a missing optional field must read as None: {e}"));
        assert_eq!(r, full, "leaving out a null field changes nothing");
    }
}

#[test]
fn a_ticket_stored_before_stations_decodes_and_is_routed_when_the_kitchen_starts() {
    let kitchen = kds::kitchen::Kitchen::default();
    let setup = kds::kitchen::Setup::default();
    let now = time::OffsetDateTime::now_utc();
    for v in values(RECORDS) {
        let r: Record = serde_json::from_value(v).unwrap();
        let t = &r.ticket;
        assert!(!t.rush && t.fire_at.is_none() && t.stations.is_empty() && !t.complete, "the new ticket fields default when absent");
        assert!(t.lines.iter().all(|l| l.station.is_empty() && l.done_at.is_none()), "no line of an old ticket has a station yet");
        match kitchen.reroute(&r, &setup, now) {
            Some((routed, event)) => {
                assert!(t.open, "only open tickets are routed at start");
                assert_eq!(event.kind, kds::kitchen::EventKind::Rerouted);
                let lines = &routed.ticket.lines;
                assert!(lines.iter().all(|l| l.station == "kitchen" && l.done_at.is_none()), "every line goes to the default station, still to cook");
                assert_eq!(routed.ticket.stations.iter().map(|p| p.station.as_str()).collect::<Vec<_>>(), ["kitchen"]);
            }
            None => assert!(!t.open || t.lines.is_empty(), "an open ticket with lines must be routed: {}", t.order_id),
        }
    }
}

#[tokio::test]
async fn todays_database_opens_migrates_and_shows_its_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kds.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stored/kds.sqlite"), &path).unwrap();
    let store = tokio::task::spawn_blocking(move || Store::open(&path, Default::default()))
        .await
        .unwrap()
        .expect("a database today's kds wrote opens, and any newer migrations run on it");
    let (seq, open) = store.open_tickets().await.expect("its tickets read back");
    assert_eq!(seq, 6, "the change feed goes on from where it was");
    let mut ids: Vec<&str> = open.iter().map(|t| t.order_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["8120457", "8120533", "8120610", "8120611"], "every stored open ticket is on the board after the upgrade");
    let events = store.ticket_events("8120457").await.expect("its log reads back");
    assert!(!events.is_empty(), "the ticket's history survives the upgrade");
}
