//! Reports on a known data set give known numbers.
//!
//! The data set is built through the real store and kitchen rules at fixed
//! times (deliveries committed and applied, screens bumping), in a kitchen
//! in Asia/Jakarta (UTC+7, no daylight saving). Every expected figure below
//! was worked out by hand from the table in [`build`]; the messages say
//! why each should hold. Then the same file is served by a real kds and the
//! report is read over HTTP.

mod support;

use std::path::Path;

use jiff::tz::TimeZone;
use kds::kitchen::{Action, Column, Kitchen, Setup, Station};
use kds::applier::{apply_stored, AppliedAt};
use kds::reports::{self, ReportFilter};
use kds::store::{DeliveryApplied, NewDelivery, Store, StoreOptions};
use serde_json::{json, Value};
use time::macros::{date, datetime};
use time::OffsetDateTime;

fn jakarta() -> TimeZone {
    TimeZone::get("Asia/Jakarta").expect("the machine's time zone database knows Asia/Jakarta")
}

/// A klikit order record (fixture 01, re-numbered), as a delivery body.
fn order_body(id: u64, brand: &str, provider: i64, order_type: i64, placed: OffsetDateTime, status: i64, updated: OffsetDateTime, reason: &str) -> Vec<u8> {
    let mut body: Value = serde_json::from_str(include_str!("fixtures/01-order-created-single.json")).unwrap();
    let o = &mut body["orders"][0];
    let rfc = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    o["id"] = json!(id);
    o["short_id"] = json!(format!("R{id}"));
    o["brands"][0]["title"] = json!(brand);
    o["provider_id"] = json!(provider);
    o["type"] = json!(order_type);
    o["created_at"] = json!(rfc(placed));
    o["updated_at"] = json!(rfc(updated));
    o["status"] = json!(status);
    o["cancellation_reason"] = json!(reason);
    serde_json::to_vec(&body).unwrap()
}

/// Commits one delivery received at `at` and applies it at `at`, as the
/// intake and the applier would.
async fn deliver(store: &Store, kitchen: &std::sync::Arc<Kitchen>, event_id: &str, body: Vec<u8>, at: OffsetDateTime) {
    store
        .insert_delivery(NewDelivery {
            event_id: event_id.into(),
            event_type: "klikit.order.created.v2".into(),
            body_sha256: format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&body)),
            body,
            headers: json!({}),
            received_at: at,
            unprocessable: None,
        })
        .await
        .unwrap();
    let pending = store.pending_deliveries(0, 10).await.unwrap();
    let applied = apply_stored(store, kitchen, pending, AppliedAt::Time(at)).await.unwrap();
    assert!(applied.iter().all(|a| matches!(a, DeliveryApplied::Applied { .. })), "{event_id} applies: {applied:?}");
}

/// What a screen does to a ticket.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// The expo bumps the whole ticket one column on.
    Bump,
    /// A station bumps its lines.
    Station(&'static str),
    /// A station recalls its lines.
    Recall(&'static str),
}

async fn act(store: &Store, kitchen: &std::sync::Arc<Kitchen>, order_id: u64, at: OffsetDateTime, op: Op) {
    let kitchen = kitchen.clone();
    let result = store
        .update_ticket(&order_id.to_string(), move |r| match op {
            Op::Bump => kitchen.act(r, Action::Bump, None, at),
            Op::Station(s) => kitchen.bump_station(r, s, None, at),
            Op::Recall(s) => kitchen.recall_station(r, s, None, at),
        })
        .await
        .unwrap();
    assert!(matches!(result, Some(Ok(_))), "{op:?} of {order_id} at {at} is allowed: {result:?}");
}

/// Local Jakarta time on a day, as an instant.
fn local(day: time::Date, h: u8, m: u8) -> OffsetDateTime {
    day.with_hms(h, m, 0).unwrap().assume_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap()).to_offset(time::UtcOffset::UTC)
}

const WARUNG: &str = "Warung Sambal Ijo";
const NASI: &str = "Nasi Goreng Co";

/// The data set. Times are Jakarta local on Monday 2026-11-30 unless said.
///
/// | order | brand, channel, type | placed | arrives | preparing | ready | done | notes |
/// |---|---|---|---|---|---|---|---|
/// | 1 A | Warung, GrabFood, delivery | 12:00 | 12:00 | 12:02 | 12:10 | 12:12 | 12 min on the timer: late |
/// | 2 B | Warung, GrabFood, pickup | 12:27 | 12:30 | 12:31 | 12:35 | 12:38 | 8 min from arrival, but 11 on the timer (placed 12:27): late |
/// | 3 C | Nasi, klikit, delivery | 13:00 | 13:05 | 13:10 | 13:25 | 13:26 | late |
/// | 4 D | Warung, GrabFood, delivery | 13:40 | 13:40 | | | | cancelled by klikit 13:45, "Out of stock" |
/// | 5 E | Warung, GrabFood, delivery | 08:00 | 08:00 | 08:30 | | | never finished: open more than 4 h, left out of timings |
/// | 6 G | Warung, GrabFood, delivery | 03:00 | 03:00 | 03:01 | 03:04 | 03:05 | 20:00 UTC the day before |
/// | 7 H | Warung, GrabFood, delivery | | Dec 1 01:30 (18:30 UTC Nov 30) | | | | Nov 30 in UTC, Dec 1 in Jakarta |
///
/// Earlier Mondays: Nov 23 at 12:15 and 12:45, Nov 16 at 13:20, Nov 9
/// none, Nov 2 at 12:05 (all Warung, GrabFood, delivery, left open).
///
/// Stations: each order has a rice dish (station `rice`), a drink
/// (`drinks`) and a chicken dish (the default station, `kitchen`). Seconds
/// after arrival each station bumped its lines:
///
/// | order | drinks | rice | kitchen |
/// |---|---|---|---|
/// | A | 180 | 360 | 480 |
/// | B | 60 | 180 | 240 |
/// | C | 60 | 420, recalled at 540, bumped again at 900 | 1140 |
/// | G | 120 | 180 | never |
/// | E | | 2400 (left out: E is open more than 4 h) | |
async fn build(path: &Path) {
    let store = Store::open(path, StoreOptions::default()).unwrap();
    let kitchen = Kitchen::default();
    kitchen.setup.set(Setup {
        stations: vec![
            Station { name: "rice".into(), categories: vec!["Nasi".into()], ..Station::default() },
            Station { name: "drinks".into(), categories: vec!["Minuman".into()], ..Station::default() },
        ],
        ..Setup::default()
    });
    let kitchen = std::sync::Arc::new(kitchen);
    let day = date!(2026 - 11 - 30);
    let t = |h, m| local(day, h, m);
    let mut n = 0;
    let mut order = |id: u64, brand: &str, provider: i64, kind: i64, placed: OffsetDateTime, arrives: OffsetDateTime| {
        n += 1;
        (format!("evt-{n}"), order_body(id, brand, provider, kind, placed, 1, arrives, ""), arrives, id)
    };
    let orders = vec![
        order(1, WARUNG, 6, 2, t(12, 0), t(12, 0)),
        order(2, WARUNG, 6, 1, t(12, 27), t(12, 30)),
        order(3, NASI, 1, 2, t(13, 0), t(13, 5)),
        order(4, WARUNG, 6, 2, t(13, 40), t(13, 40)),
        order(5, WARUNG, 6, 2, t(8, 0), t(8, 0)),
        order(6, WARUNG, 6, 2, t(3, 0), t(3, 0)),
        order(7, WARUNG, 6, 2, datetime!(2026-11-30 18:30 UTC), datetime!(2026-11-30 18:30 UTC)),
        order(11, WARUNG, 6, 2, local(date!(2026 - 11 - 23), 12, 15), local(date!(2026 - 11 - 23), 12, 15)),
        order(12, WARUNG, 6, 2, local(date!(2026 - 11 - 23), 12, 45), local(date!(2026 - 11 - 23), 12, 45)),
        order(13, WARUNG, 6, 2, local(date!(2026 - 11 - 16), 13, 20), local(date!(2026 - 11 - 16), 13, 20)),
        order(14, WARUNG, 6, 2, local(date!(2026 - 11 - 02), 12, 5), local(date!(2026 - 11 - 02), 12, 5)),
    ];
    for (event_id, body, at, _) in orders {
        deliver(&store, &kitchen, &event_id, body, at).await;
    }
    let cancel = order_body(4, WARUNG, 6, 2, t(13, 40), 3, t(13, 45), "Out of stock");
    deliver(&store, &kitchen, "evt-cancel", cancel, t(13, 45)).await;
    use Op::{Bump, Recall, Station as At};
    for (id, ops) in [
        (1, vec![(t(12, 2), Bump), (t(12, 3), At("drinks")), (t(12, 6), At("rice")), (t(12, 8), At("kitchen")), (t(12, 10), Bump), (t(12, 12), Bump)]),
        (2, vec![(t(12, 31), Bump), (t(12, 31), At("drinks")), (t(12, 33), At("rice")), (t(12, 34), At("kitchen")), (t(12, 35), Bump), (t(12, 38), Bump)]),
        (
            3,
            vec![
                (t(13, 6), At("drinks")),
                (t(13, 10), Bump),
                (t(13, 12), At("rice")),
                (t(13, 14), Recall("rice")),
                (t(13, 20), At("rice")),
                (t(13, 24), At("kitchen")),
                (t(13, 25), Bump),
                (t(13, 26), Bump),
            ],
        ),
        (5, vec![(t(8, 30), Bump), (t(8, 40), At("rice"))]),
        (6, vec![(t(3, 1), Bump), (t(3, 2), At("drinks")), (t(3, 3), At("rice")), (t(3, 4), Bump), (t(3, 5), Bump)]),
    ] {
        for (at, op) in ops {
            act(&store, &kitchen, id, at, op).await;
        }
    }
    store.close();
}

/// When the report is read: 03:00 in Jakarta the next morning.
const NOW: OffsetDateTime = datetime!(2026-11-30 20:00 UTC);

fn hours(counts: &[u32]) -> Vec<(usize, u32)> {
    counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(h, c)| (h, *c)).collect()
}

#[tokio::test]
async fn a_known_day_gives_known_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kds.sqlite");
    build(&path).await;
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let zone = jakarta();
    let day = date!(2026 - 11 - 30);
    let all = ReportFilter::default();
    let r = reports::day_report(&store, day, &zone, all.clone(), 10, NOW).await.unwrap();

    assert_eq!((r.date.as_str(), r.timezone.as_str(), r.empty), ("2026-11-30", "Asia/Jakarta", false));
    assert_eq!(r.summary.orders, 6, "A, B, C, D, E and G arrived on Jakarta's Nov 30; H arrived on Dec 1 there");
    assert_eq!(hours(&r.orders_per_hour.day.counts), [(3, 1), (8, 1), (12, 2), (13, 2)], "G at 03, E at 08, A and B at 12, C and D at 13 (local hours)");
    let weeks: Vec<(String, Vec<(usize, u32)>)> = r.orders_per_hour.weeks.iter().map(|w| (w.date.clone(), hours(&w.counts))).collect();
    assert_eq!(
        weeks,
        [
            ("2026-11-23".to_string(), vec![(12, 2)]),
            ("2026-11-16".to_string(), vec![(13, 1)]),
            ("2026-11-09".to_string(), vec![]),
            ("2026-11-02".to_string(), vec![(12, 1)])
        ],
        "the same Monday of each of the four weeks before, one week back first"
    );

    let col = |c: Column| r.columns.iter().find(|x| x.column == c).map(|x| (x.tickets, x.median_seconds, x.p90_seconds)).unwrap();
    // Timed: A, B, C, G (D is cancelled; E has been open 19 h > 4 h).
    assert_eq!(col(Column::New), (4, Some(60), Some(300)), "New: A 120 s, B 60, C 300, G 60: sorted 60 60 120 300, nearest-rank median 60, p90 300 (E's 1800 s left out)");
    assert_eq!(col(Column::Preparing), (4, Some(240), Some(900)), "Preparing: A 480, B 240, C 900, G 180: median 240, p90 900");
    assert_eq!(col(Column::Ready), (4, Some(60), Some(180)), "Ready: A 120, B 180, C 60, G 60: median 60, p90 180");
    let stations: Vec<(&str, u32, Option<u32>, Option<u32>)> = r.stations.iter().map(|s| (s.station.as_str(), s.tickets, s.median_seconds, s.p90_seconds)).collect();
    assert_eq!(
        stations,
        [("drinks", 4, Some(60), Some(180)), ("kitchen", 3, Some(480), Some(1140)), ("rice", 4, Some(180), Some(900))],
        "drinks 60 60 120 180; kitchen 240 480 1140 (G's never bumped); rice 180 180 360 900 (C's last bump after its recall, E left out); \
         nearest-rank median and p90, stations by name"
    );

    assert_eq!((r.late.tickets, r.late.late), (4, 3), "A (12 min), B (11 min from placed 12:27) and C (26 min) passed 10 minutes; G took 5");
    assert_eq!(r.late.share, Some(0.75));

    assert_eq!(r.summary.done, 4, "A, B, C and G were done");
    assert_eq!(r.summary.average_ticket_seconds, Some(690), "arrival to done: (720 + 480 + 1260 + 300) / 4 = 690 s");
    assert_eq!(r.summary.cancelled, 1);
    assert_eq!((r.summary.cancellations[0].reason.as_str(), r.summary.cancellations[0].count), ("Out of stock", 1), "D's reason from klikit");

    assert_eq!(r.options.brands, [NASI, WARUNG], "the brands of the day, for the filter");
    assert_eq!(r.options.channels, ["GrabFood", "klikit"]);
    assert_eq!(r.options.order_types, ["delivery", "pickup"]);

    // Filters apply to everything.
    let nasi = reports::day_report(&store, day, &zone, ReportFilter { brand: Some(NASI.into()), ..all.clone() }, 10, NOW).await.unwrap();
    assert_eq!((nasi.summary.orders, hours(&nasi.orders_per_hour.day.counts)), (1, vec![(13, 1)]), "only C is Nasi Goreng's");
    assert_eq!(nasi.columns[1].median_seconds, Some(900), "C's 15 minutes in Preparing");
    assert_eq!(
        nasi.stations.iter().map(|s| (s.station.as_str(), s.median_seconds)).collect::<Vec<_>>(),
        [("drinks", Some(60)), ("kitchen", Some(1140)), ("rice", Some(900))],
        "the brand filter applies to station times too: only C's"
    );
    assert!(nasi.orders_per_hour.weeks.iter().all(|w| w.counts.iter().all(|c| *c == 0)), "the earlier weeks had no Nasi Goreng orders");
    let pickup = reports::day_report(&store, day, &zone, ReportFilter { order_type: Some("pickup".into()), ..all.clone() }, 10, NOW).await.unwrap();
    assert_eq!((pickup.summary.orders, pickup.summary.average_ticket_seconds), (1, Some(480)), "only B is a pickup, 8 minutes arrival to done");
    let grab = reports::day_report(&store, day, &zone, ReportFilter { channel: Some("GrabFood".into()), ..all.clone() }, 10, NOW).await.unwrap();
    assert_eq!((grab.summary.orders, grab.late.tickets, grab.late.late), (5, 3, 2), "GrabFood: A B D E G; timed A B G, of which A and B were late");

    // A red threshold of 12 minutes: B (11) is no longer late; A (exactly 12) is, as the board turns red at 12:00.
    let r12 = reports::day_report(&store, day, &zone, all.clone(), 12, NOW).await.unwrap();
    assert_eq!((r12.late.tickets, r12.late.late), (4, 2), "A at exactly 12 minutes and C are late at a 12-minute threshold");

    // The same instants in UTC fall on other days.
    let utc = reports::day_report(&store, day, &TimeZone::UTC, all.clone(), 10, NOW).await.unwrap();
    assert_eq!(
        hours(&utc.orders_per_hour.day.counts),
        [(1, 1), (5, 2), (6, 2), (18, 1)],
        "in UTC Nov 30 holds E (01:00), A and B (05), C and D (06) and H (18:30), but not G (Nov 29 20:00)"
    );

    // An empty range is an empty report, not an error.
    let empty = reports::day_report(&store, date!(2026 - 10 - 01), &zone, all, 10, NOW).await.unwrap();
    assert!(empty.empty, "no orders that day");
    assert_eq!((empty.summary.orders, empty.summary.average_ticket_seconds, empty.late.share), (0, None, None));
    assert!(empty.columns.iter().all(|c| c.tickets == 0 && c.median_seconds.is_none()), "no times without tickets");
    assert!(empty.stations.is_empty(), "no station times without tickets");
    assert_eq!(empty.orders_per_hour.day.counts, vec![0; 24], "24 zero hours, ready to draw");
    store.close();
}

#[tokio::test]
async fn the_report_over_http_uses_the_kitchens_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    build(&dir.path().join("kds.sqlite")).await;
    let kds = support::TestServer::start_in(dir, |c| c.timezone = jakarta()).await;
    let get = |path: &str| {
        let url = kds.app_url(path);
        async move {
            let res = reqwest::get(url).await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, r) = get("/api/reports/day?date=2026-11-30").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!((r["timezone"].as_str(), r["summary"]["orders"].as_u64()), (Some("Asia/Jakarta"), Some(6)), "the configured zone decides the day: {r}");
    assert_eq!(r["late"]["late_after_minutes"], 10, "the board's default red threshold");
    assert_eq!(r["columns"][1]["median_seconds"], 240, "the same Preparing median as in the store-level test");
    assert_eq!((&r["stations"][2]["station"], &r["stations"][2]["p90_seconds"]), (&json!("rice"), &json!(900)), "and the same station times: {r}");
    let (_, r) = get("/api/reports/day?date=2026-11-30&brand=Nasi%20Goreng%20Co&channel=&order_type=").await;
    assert_eq!(r["summary"]["orders"], 1, "a filter with empty parts means any for those parts: {r}");
    let (status, r) = get("/api/reports/day?date=2026-10-01").await;
    assert_eq!((status, &r["empty"]), (200, &json!(true)), "an empty day is an empty report: {r}");
    let (status, r) = get("/api/reports/day?date=last-monday").await;
    assert_eq!(status, 400, "a date kds cannot read is refused: {r}");
    kds.stop().await;
}
