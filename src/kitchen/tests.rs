use proptest::prelude::*;
use serde_json::{json, Value};
use time::macros::datetime;

use super::*;
use crate::klikit::order::decode_orders;

const T0: OffsetDateTime = datetime!(2026-06-25 09:00 UTC);

fn order(record: Value) -> Order {
    decode_orders(&serde_json::to_vec(&json!({"brand_id": 2041, "orders": [record]})).unwrap()).unwrap().remove(0)
}

fn fixture(bytes: &[u8]) -> Vec<Order> {
    decode_orders(bytes).unwrap()
}

/// A minimal record: status, `updated_at` minutes after T0, and a cart of
/// `(name, quantity, modifier)` lines.
fn snapshot(status: i64, minute: i64, cart: &[(&str, i64, &str)]) -> Order {
    let lines: Vec<Value> = cart
        .iter()
        .map(|(n, q, m)| json!({"name": n, "quantity": q, "modifier_groups": [{"modifiers": [{"name": m, "quantity": 1}]}]}))
        .collect();
    let at = (T0 + Duration::minutes(minute)).format(&time::format_description::well_known::Rfc3339).unwrap();
    order(json!({"id": 42, "short_id": "A1", "status": status, "updated_at": at, "cart_v2": lines}))
}

fn run(kitchen: &Kitchen, orders: &[Order]) -> Record {
    let mut record: Option<Record> = None;
    for (i, o) in orders.iter().enumerate() {
        record = Some(kitchen.apply(record.as_ref(), o, T0 + Duration::seconds(i as i64)).record);
    }
    record.expect("at least one order")
}

#[test]
fn a_created_order_opens_a_new_ticket_with_its_details() {
    let k = Kitchen::default();
    let o = &fixture(include_bytes!("../../tests/fixtures/01-order-created-single.json"))[0];
    let a = k.apply(None, o, T0);
    let t = &a.record.ticket;
    assert!(a.changed);
    assert_eq!(a.notices, [Notice::NewOrder], "a first sight of an order is worth a notification");
    assert_eq!((t.column, t.status_code, t.status.as_str()), (Column::New, Some(1), "PLACED"));
    assert_eq!((t.short_id.as_str(), t.channel.as_deref(), t.item_count), ("K7X2", Some("GrabFood"), 5));
    assert!(t.open && !t.changed && t.lines.iter().all(|l| l.change.is_none()), "a fresh cart carries no change marks");
}

#[test]
fn a_duplicate_create_changes_nothing() {
    let k = Kitchen::default();
    let o = &fixture(include_bytes!("../../tests/fixtures/01-order-created-single.json"))[0];
    let first = k.apply(None, o, T0).record;
    let again = k.apply(Some(&first), o, T0 + Duration::minutes(1));
    assert!(!again.changed, "the same record again must leave the ticket as it was");
    assert!(again.notices.is_empty(), "no second notification");
    assert_eq!(again.record, first);
}

#[test]
fn batched_create_places_each_order_by_its_status() {
    let k = Kitchen::default();
    let orders = fixture(include_bytes!("../../tests/fixtures/04-order-created-batched.json"));
    let columns: Vec<_> = orders.iter().map(|o| k.apply(None, o, T0).record.ticket.column).collect();
    assert_eq!(columns, [Column::Preparing, Column::Scheduled], "status 2 cooks now, status 6 waits");
}

#[test]
fn status_moves_forward_by_rank_and_stale_snapshots_are_ignored() {
    let k = Kitchen::default();
    let cart = [("Kopi", 1, "Hot")];
    let r = run(&k, &[snapshot(1, 0, &cart), snapshot(4, 10, &cart)]);
    assert_eq!(r.ticket.column, Column::Ready);
    let stale = k.apply(Some(&r), &snapshot(2, 5, &[("Teh", 1, "Cold")]), T0 + Duration::hours(1));
    assert!(!stale.changed, "an older snapshot neither moves the ticket back nor replaces its cart");
    assert!(stale.events.iter().any(|e| e.kind == EventKind::Stale), "the stale snapshot is recorded: {:?}", stale.events);
    assert_eq!(stale.record.ticket.lines[0].name, "Kopi");
}

#[test]
fn cancelled_is_terminal_and_sticky_and_a_late_cancel_still_counts() {
    let k = Kitchen::default();
    let cart = [("Kopi", 1, "Hot")];
    let r = run(&k, &[snapshot(2, 0, &cart), snapshot(3, 5, &cart), snapshot(4, 10, &cart)]);
    assert_eq!((r.ticket.column, r.ticket.cancelled, r.ticket.status.as_str()), (Column::Cancelled, true, "CANCELLED"));
    let r = run(&k, &[snapshot(2, 0, &cart), snapshot(2, 10, &[("Teh", 1, "x")]), snapshot(3, 5, &cart)]);
    assert_eq!(r.ticket.column, Column::Cancelled, "a cancellation older than the newest snapshot is still a cancellation");
    assert_eq!(r.ticket.lines[0].name, "Teh", "but its cart is not the newest");
    let a = k.apply(None, &snapshot(3, 0, &cart), T0);
    assert_eq!(a.notices, [Notice::Cancelled], "an order first seen cancelled is not announced as new");
}

#[test]
fn driver_states_are_a_badge_and_unknown_codes_show_raw() {
    let k = Kitchen::default();
    let cart = [("Kopi", 1, "Hot")];
    let r = run(&k, &[snapshot(2, 0, &cart), snapshot(8, 1, &cart), snapshot(7, 2, &cart)]);
    assert_eq!((r.ticket.column, r.ticket.driver), (Column::Preparing, Some(Driver::Arrived)), "driver states move no column and never go back");
    let r = run(&k, &[snapshot(2, 0, &cart), snapshot(77, 1, &cart)]);
    assert_eq!((r.ticket.column, r.ticket.status_code, r.ticket.status.as_str()), (Column::Preparing, Some(77), "UNKNOWN"));
}

#[test]
fn cart_replace_marks_lines_until_acknowledged() {
    let k = Kitchen::default();
    let r = run(
        &k,
        &[snapshot(1, 0, &[("Kopi", 2, "Less Ice"), ("Roti", 1, "Srikaya"), ("Teh", 1, "Hot")]), snapshot(1, 5, &[("Kopi", 3, "Less Ice"), ("Roti", 1, "Coklat Keju"), ("Pisang", 1, "Caramel")])],
    );
    let marks: Vec<_> = r.ticket.lines.iter().map(|l| (l.name.as_str(), l.change)).collect();
    assert_eq!(
        marks,
        [("Kopi", Some(LineChange::Quantity)), ("Roti", Some(LineChange::Modifiers)), ("Pisang", Some(LineChange::Added)), ("Teh", Some(LineChange::Removed))]
    );
    assert!(r.ticket.changed);
    assert_eq!(r.ticket.item_count, 5, "removed lines do not count");
    let (acked, event) = k.act(&r, Action::Acknowledge, None, T0 + Duration::minutes(6)).unwrap();
    assert_eq!(event.source, Source::Screen);
    assert!(!acked.ticket.changed && acked.ticket.lines.len() == 3, "acknowledging drops removed lines and clears the marks");
    assert!(k.act(&acked, Action::Acknowledge, None, T0).is_err(), "nothing left to acknowledge is a refusal");
}

#[test]
fn bump_recall_and_the_from_guard() {
    let k = Kitchen::default();
    let r = run(&k, &[snapshot(1, 0, &[("Kopi", 1, "Hot")])]);
    let (r, _) = k.act(&r, Action::Bump, Some(Column::New), T0).unwrap();
    assert_eq!(r.ticket.column, Column::Preparing);
    let refused = k.act(&r, Action::Bump, Some(Column::New), T0).unwrap_err();
    assert_eq!(refused.ticket.column, Column::Preparing, "a screen that saw New is refused once the ticket moved");
    let (r, _) = k.act(&r, Action::Bump, None, T0).unwrap();
    let (r, _) = k.act(&r, Action::Bump, None, T0).unwrap();
    assert_eq!((r.ticket.column, r.ticket.open), (Column::Done, false));
    assert!(k.act(&r, Action::Bump, None, T0).is_err(), "done is the last column");
    assert!(k.act(&r, Action::Recall, None, T0 + Duration::minutes(11)).is_err(), "recall out of Done only within the window");
    let (r, _) = k.act(&r, Action::Recall, None, T0 + Duration::minutes(9)).unwrap();
    assert_eq!(r.ticket.column, Column::Ready);
    let late = k.apply(Some(&r), &snapshot(5, 30, &[("Kopi", 1, "Hot")]), T0 + Duration::minutes(30));
    assert_eq!(late.record.ticket.column, Column::Done, "a later klikit status still moves it forward");
    let again = k.apply(Some(&r), &snapshot(4, 20, &[("Kopi", 1, "Hot")]), T0);
    assert_eq!(again.record.ticket.column, Column::Ready, "klikit never pulls a ticket backwards");
}

#[test]
fn cancelled_tickets_refuse_bump_and_leave_the_board_when_acknowledged() {
    let k = Kitchen::default();
    let r = run(&k, &[snapshot(2, 0, &[("Kopi", 1, "Hot")]), snapshot(3, 1, &[("Kopi", 1, "Hot")])]);
    let refusal = k.act(&r, Action::Bump, None, T0).unwrap_err();
    assert!(refusal.reason.contains("cancelled"), "the refusal says why: {}", refusal.reason);
    assert!(r.ticket.open, "a cancellation stays on the board until acknowledged");
    let (r, _) = k.act(&r, Action::Acknowledge, Some(Column::Cancelled), T0).unwrap();
    assert!(!r.ticket.open && r.ticket.cancellation_acknowledged);
}

#[test]
fn clock_rules_finish_self_tests_and_start_scheduled_orders() {
    let k = Kitchen::default();
    let test = order(json!({"id": 7, "status": 1, "kds_test": true, "cart_v2": [{"name": "Test", "quantity": 1}]}));
    let r = k.apply(None, &test, T0).record;
    assert!(r.ticket.test);
    assert!(k.tick(&r, T0 + Duration::seconds(59)).is_none(), "a self-test ticket stays a minute");
    let (done, event) = k.tick(&r, T0 + Duration::seconds(60)).unwrap();
    assert_eq!((done.ticket.column, event.kind, event.source), (Column::Done, EventKind::SelfTestDone, Source::Kitchen));
    assert_eq!(done.due_at(), None);

    let at = (T0 + Duration::hours(2)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let scheduled = k.apply(None, &order(json!({"id": 8, "status": 6, "scheduled_time": at})), T0).record;
    assert_eq!(scheduled.ticket.column, Column::Scheduled);
    assert!(k.tick(&scheduled, T0 + Duration::minutes(99)).is_none());
    assert_eq!(k.tick(&scheduled, T0 + Duration::minutes(100)).unwrap().0.ticket.column, Column::New);
}

#[test]
fn scheduled_orders_fire_at_their_brands_or_order_types_prep_time() {
    let k = Kitchen::default();
    k.setup.set(Setup {
        brands: vec![station::BrandSetting { id: 2041, color: None, prep_minutes: Some(45) }],
        prep: station::PrepTimes { pickup: Some(30), ..station::PrepTimes::default() },
        ..Setup::default()
    });
    let at = T0 + Duration::hours(2);
    let scheduled = |id: i64, brand: i64, order_type: i64| {
        let when = at.format(&time::format_description::well_known::Rfc3339).unwrap();
        k.apply(None, &order(json!({"id": id, "status": 6, "brand_id": brand, "type": order_type, "scheduled_time": when})), T0).record
    };
    for (record, lead, why) in [
        (scheduled(1, 2041, 1), 45, "the brand's prep time wins"),
        (scheduled(2, 9, 1), 30, "else the order type's"),
        (scheduled(3, 9, 2), 20, "else the default 20 minutes"),
    ] {
        let fire = at - Duration::minutes(lead);
        assert_eq!((record.ticket.fire_at, record.due_at()), (Some(fire), Some(fire)), "{why}: the fire time is on the ticket for the countdown");
        assert!(k.tick(&record, fire - Duration::seconds(1)).is_none(), "{why}: not before");
        assert_eq!(k.tick(&record, fire).unwrap().0.ticket.column, Column::New, "{why}: at the fire time it moves to New");
    }
}

#[test]
fn status_overrides_change_meaning() {
    let k = Kitchen::new(StatusTable::with_overrides(&[(5, "READY".to_string())].into()));
    let r = run(&k, &[snapshot(1, 0, &[]), snapshot(5, 1, &[])]);
    assert_eq!(r.ticket.column, Column::Ready, "with 5 = READY configured, 5 means ready, not delivered");
}

/// What must not depend on the order of arrival: the furthest status, the
/// badge, and the newest cart (change marks depend on what was seen first,
/// so they are left out).
fn outcome(r: &Record) -> (Column, Option<u8>, bool, Option<Driver>, Vec<Line>) {
    (r.ticket.column, r.status_rank, r.ticket.cancelled, r.ticket.driver, r.cart.clone())
}

/// One order's life in klikit's order: a path of statuses with rising
/// `updated_at`, and carts that change along the way.
fn life() -> impl Strategy<Value = Vec<Order>> {
    let path = prop_oneof![
        Just(vec![1, 2, 4, 5]),
        Just(vec![1, 2, 7, 4, 8, 9]),
        Just(vec![2, 4, 9]),
        Just(vec![6, 2, 4, 5]),
        Just(vec![1, 3]),
        Just(vec![1, 2, 7, 3]),
        Just(vec![6, 3]),
        Just(vec![2]),
    ];
    (path, prop::collection::vec((0usize..4, 1i64..4), 1..6)).prop_map(|(statuses, carts)| {
        let names = ["Kopi", "Roti", "Teh", "Pisang"];
        let mut out = Vec::new();
        let mut cart: Vec<(&str, i64, &str)> = vec![("Kopi", 1, "Hot")];
        let mut minute = 0;
        let mut edits = carts.into_iter();
        for status in statuses {
            out.push(snapshot(status, minute, &cart));
            minute += 1;
            if let Some((i, q)) = edits.next() {
                cart.push((names[i], q, "x"));
                out.push(snapshot(status, minute, &cart));
                minute += 1;
            }
        }
        out
    })
}

proptest! {
    #[test]
    fn any_interleaving_ends_like_the_in_order_sequence(
        (orders, arrival) in life().prop_flat_map(|orders| {
            let n = orders.len();
            (Just(orders), prop::collection::vec(0..n, n..n * 3).prop_shuffle())
        })
    ) {
        let k = Kitchen::default();
        let in_order = run(&k, &orders);
        // Every delivery arrives at least once, some several times, in any order.
        let mut deliveries: Vec<Order> = arrival.iter().map(|&i| orders[i].clone()).collect();
        deliveries.extend(orders.iter().cloned());
        let shuffled_tail = deliveries.split_off(arrival.len());
        let mut all = deliveries;
        for (i, o) in shuffled_tail.into_iter().enumerate() {
            all.insert((i * 7919) % (all.len() + 1), o);
        }
        let any_order = run(&k, &all);
        prop_assert_eq!(outcome(&any_order), outcome(&in_order));
    }
}

#[test]
fn event_kinds_keep_their_stored_names() {
    use EventKind::*;
    let all = [Received, Status, StatusIgnored, Driver, UnknownStatus, Cart, Details, Stale, Unchanged, Bump, Recall, Acknowledge, SelfTestDone, ScheduledDue, OtherBranch, Rejected, Cancelled, KlikitRetry, KlikitSync, StationBump, StationRecall, Reopened, Rush, Rerouted];
    let names: Vec<&str> = all.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        ["received", "status", "status_ignored", "driver", "unknown_status", "cart", "details", "stale", "unchanged", "bump", "recall", "acknowledge", "self_test_done", "scheduled_due", "other_branch", "rejected", "cancelled", "klikit_retry", "klikit_sync", "station_bump", "station_recall", "reopened", "rush", "rerouted"],
        "logs already stored and the API carry these names: they never change"
    );
    for k in all {
        assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()), "serde and as_str must agree for {k:?}");
    }
    assert_eq!(EventKind::from(Action::Recall), Recall);
}

/// Station bumps, recalls and cart changes, each belonging to one station
/// (the expo's rush toggles count as a stream of their own).
#[derive(Debug, Clone)]
enum StationOp {
    Bump,
    Recall,
    /// Adds the station's line `name` (if it is not on the cart yet).
    Add(usize),
    /// Sets the quantity of the station's line `name` (if on the cart).
    Quantity(usize, i64),
    /// Sets the modifier of the station's line `name` (if on the cart).
    Modifier(usize, usize),
    /// The expo's stream only.
    Rush(bool),
}

/// Three stations by category (the third is the default station, for lines
/// without one), each with its own item names.
const STREAMS: [(&str, Option<&str>, [&str; 3]); 3] =
    [("grill", Some("Mains"), ["Satay", "Ayam Bakar", "Sate Kambing"]), ("drinks", Some("Drinks"), ["Es Teh", "Kopi", "Jus"]), ("kitchen", None, ["Krupuk", "Nasi", "Sambal"])];
const MODIFIERS: [&str; 3] = ["Hot", "Less Ice", "Extra"];

fn station_kitchen() -> Kitchen {
    let k = Kitchen::default();
    let station = |(name, category, _): (&str, Option<&str>, [&str; 3])| station::Station { name: name.into(), categories: category.into_iter().map(String::from).collect(), ..station::Station::default() };
    k.setup.set(Setup { stations: STREAMS[..2].iter().map(|s| station(*s)).collect(), ..Setup::default() });
    k
}

/// An order snapshot with `cart` as `(name, quantity, modifier, category)`.
fn cart_snapshot(minute: i64, cart: &[(String, u32, String, Option<String>)]) -> Order {
    let lines: Vec<Value> = cart
        .iter()
        .map(|(n, q, m, c)| json!({"name": n, "quantity": q, "klikit_category_name": c, "modifier_groups": [{"modifiers": [{"name": m, "quantity": 1}]}]}))
        .collect();
    let at = (T0 + Duration::minutes(minute)).format(&time::format_description::well_known::Rfc3339).unwrap();
    order(json!({"id": 77, "short_id": "P1", "status": 2, "updated_at": at, "cart_v2": lines}))
}

/// Applies one op of stream `s` as step `i`; refusals change nothing.
fn apply_op(k: &Kitchen, r: Record, s: usize, op: &StationOp, i: i64) -> Record {
    let now = T0 + Duration::seconds(i);
    let (station, category, names) = STREAMS[s.min(2)];
    let mut cart: Vec<(String, u32, String, Option<String>)> = r
        .cart()
        .iter()
        .map(|l| (l.name.clone(), l.quantity, l.modifiers.first().map(|m| m.name.clone()).unwrap_or_default(), l.category.clone()))
        .collect();
    let edit = |cart: &mut Vec<(String, u32, String, Option<String>)>, n: usize, f: &dyn Fn(&mut (String, u32, String, Option<String>))| {
        if let Some(line) = cart.iter_mut().find(|l| l.0 == names[n]) {
            f(line);
        }
    };
    let result = match op {
        StationOp::Bump => k.bump_station(&r, station, None, now).ok().map(|(r, _)| r),
        StationOp::Recall => k.recall_station(&r, station, None, now).ok().map(|(r, _)| r),
        StationOp::Rush(on) => k.set_rush(&r, *on, now).ok().map(|(r, _)| r),
        StationOp::Add(n) => {
            if !cart.iter().any(|l| l.0 == names[*n]) {
                cart.push((names[*n].to_string(), 1, MODIFIERS[0].to_string(), category.map(String::from)));
            }
            Some(k.apply(Some(&r), &cart_snapshot(i + 1, &cart), now).record)
        }
        StationOp::Quantity(n, q) => {
            edit(&mut cart, *n, &|l| l.1 = *q as u32);
            Some(k.apply(Some(&r), &cart_snapshot(i + 1, &cart), now).record)
        }
        StationOp::Modifier(n, m) => {
            edit(&mut cart, *n, &|l| l.2 = MODIFIERS[*m].to_string());
            Some(k.apply(Some(&r), &cart_snapshot(i + 1, &cart), now).record)
        }
    };
    result.unwrap_or(r)
}

/// What "the same ticket state" means: the same lines as a multiset (each
/// with its station, content, change mark and whether it is done), the
/// same column, rush mark and completeness, and the same per-station
/// counts. Left out, because they legitimately differ: the order of lines
/// on the cart (an added line goes to the end whenever it is added), the
/// times (each step happens at its own moment) and `updated_at`.
type LineState = (String, String, u32, Vec<String>, Option<LineChange>, Option<u32>, bool);

fn station_state(r: &Record) -> (Vec<LineState>, Column, bool, bool, Vec<(String, u32, u32)>) {
    let t = &r.ticket;
    let mut lines: Vec<LineState> = t
        .lines
        .iter()
        .map(|l| (l.station.clone(), l.name.clone(), l.quantity, l.modifiers.iter().map(|m| m.name.clone()).collect(), l.change, l.previous_quantity, l.done_at.is_some()))
        .collect();
    lines.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let progress = t.stations.iter().map(|p| (p.station.clone(), p.lines, p.done)).collect();
    (lines, t.column, t.rush, t.complete, progress)
}

fn station_op(stream: usize) -> BoxedStrategy<StationOp> {
    if stream == 3 {
        return any::<bool>().prop_map(StationOp::Rush).boxed();
    }
    prop_oneof![
        3 => Just(StationOp::Bump),
        2 => Just(StationOp::Recall),
        2 => (0usize..3).prop_map(StationOp::Add),
        2 => (0usize..3, 1i64..4).prop_map(|(n, q)| StationOp::Quantity(n, q)),
        1 => (0usize..3, 0usize..3).prop_map(|(n, m)| StationOp::Modifier(n, m)),
    ]
    .boxed()
}

proptest! {
    /// Station bumps, recalls and cart changes in any interleaving end in
    /// the same ticket state (see [`station_state`]) as the canonical order
    /// (every op of the grill, then the drinks', then the default
    /// station's, then the expo's rush toggles), as long as each station's
    /// own ops keep their order. Why it holds: every op touches only the
    /// lines of one station (routing is per line, and an edit keeps a
    /// line's category); a bump or recall reads and writes only its
    /// station's lines; a cart change marks each line against the same
    /// baseline by its name, and a line it left unchanged keeps its done
    /// state, so each line's state is a function of its own station's ops.
    /// The generator keeps to what makes that true: item names are unique
    /// on the cart (the diff pairs lines by name, and with duplicates the
    /// pairing could follow cart order), and there are no acknowledges or
    /// whole-ticket bumps (each acts on every station at once: an
    /// acknowledge resets the baseline for all, and a bump past Preparing
    /// ends every station's turn), so those are not reorderable by nature.
    #[test]
    fn station_ops_in_any_interleaving_end_like_the_canonical_order(
        streams in (
            prop::collection::vec(station_op(0), 0..6),
            prop::collection::vec(station_op(1), 0..6),
            prop::collection::vec(station_op(2), 0..6),
            prop::collection::vec(station_op(3), 0..3),
        ),
        picks in prop::collection::vec(0usize..4, 24),
    ) {
        let k = station_kitchen();
        let first: Vec<(String, u32, String, Option<String>)> =
            STREAMS.iter().map(|(_, c, names)| (names[0].to_string(), 1, MODIFIERS[0].to_string(), c.map(String::from))).collect();
        let start = k.apply(None, &cart_snapshot(0, &first), T0).record;
        let streams = [streams.0, streams.1, streams.2, streams.3];

        let mut canonical = start.clone();
        let mut step = 0;
        for (s, ops) in streams.iter().enumerate() {
            for op in ops {
                step += 1;
                canonical = apply_op(&k, canonical, s, op, step);
            }
        }

        // A merge of the streams that keeps each one's order, chosen by `picks`.
        let mut next = [0usize; 4];
        let mut merged = start;
        let mut picks = picks.into_iter().cycle();
        for step in 1..=streams.iter().map(Vec::len).sum::<usize>() as i64 {
            let open: Vec<usize> = (0..4).filter(|&s| next[s] < streams[s].len()).collect();
            let s = open[picks.next().unwrap() % open.len()];
            merged = apply_op(&k, merged, s, &streams[s][next[s]], step);
            next[s] += 1;
        }
        prop_assert_eq!(station_state(&merged), station_state(&canonical));
    }
}
