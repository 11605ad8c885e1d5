//! End to end: signed deliveries posted to the real intake, tickets read
//! back from the real app API and live stream, over HTTP on 127.0.0.1:0.

mod support;

use std::time::Duration;

use kds::alert::Alert;
use kds::klikit::EventType::{CartUpdated, OrderCreated, StatusUpdated};
use serde_json::{json, Value};
use support::sse::SseStream;
use support::{batch_with_future_schedule, fixture_json, with, Kds, DEADLINE};

fn marks(ticket: &Value) -> Vec<(String, Value)> {
    ticket["lines"].as_array().unwrap().iter().map(|l| (l["name"].as_str().unwrap().to_string(), l["change"].clone())).collect()
}

/// Fixture 03 is the table-7 order after its cart edit; this is the same
/// order before it: two coffees, toast with Srikaya, no fried banana.
fn table_seven_before_edit() -> Value {
    let mut body = with(fixture_json("03-order-cart-updated.json"), Some(1), "2026-06-25T09:40:02Z");
    let cart = body["orders"][0]["cart_v2"].as_array_mut().unwrap();
    cart[0]["quantity"] = 2.into();
    cart[1]["modifier_groups"][0]["modifiers"][0]["name"] = "Srikaya".into();
    cart.truncate(2);
    body
}

#[tokio::test]
async fn create_then_status_then_cart_replace_marks_the_changes() {
    let kds = Kds::start().await;
    kds.send(OrderCreated, &table_seven_before_edit()).await;
    let t = kds.ticket_when("8120533", "a created order opens a ticket", |t| t["column"] == "new").await;
    assert_eq!((t["short_id"].as_str(), t["order_type"].as_str(), t["table_no"].as_str()), (Some("M4Q9"), Some("dine_in"), Some("7")));
    assert_eq!(t["channel"], "klikit");
    assert_eq!(t["changed"], false, "a fresh ticket has nothing to highlight");

    kds.send(StatusUpdated, &with(table_seven_before_edit(), Some(2), "2026-06-25T09:45:00Z")).await;
    kds.ticket_when("8120533", "status 2 moves the ticket to preparing", |t| t["column"] == "preparing" && t["status"] == "ACCEPTED").await;

    // The edited cart still says status 1, but it is newer: the cart is
    // replaced, and the status does not move the ticket backwards.
    kds.send(CartUpdated, &fixture_json("03-order-cart-updated.json")).await;
    let t = kds.ticket_when("8120533", "the cart update is applied", |t| t["changed"] == true).await;
    assert_eq!(t["column"], "preparing", "an older status in a newer snapshot never pulls the ticket back");
    assert_eq!(
        marks(&t),
        [
            ("Kopi Susu Gula Aren".to_string(), json!("quantity")),
            ("Roti Bakar".to_string(), json!("modifiers")),
            ("Pisang Goreng".to_string(), json!("added")),
        ],
        "each changed line carries its mark"
    );
    assert_eq!(t["lines"][0]["previous_quantity"], 2);
    assert_eq!(t["lines"][1]["modifiers"][0]["name"], "Coklat Keju", "the cart is replaced whole");

    let (status, t) = kds.post("/api/tickets/8120533/acknowledge", "").await;
    assert_eq!(status, 200, "acknowledging a change is allowed: {t}");
    assert_eq!(t["changed"], false);
    assert!(marks(&t).iter().all(|(_, m)| m.is_null()), "acknowledging clears the marks: {t}");
    let (_, deliveries) = kds.get("/api/deliveries?limit=10").await;
    let outcomes: Vec<_> = deliveries["deliveries"].as_array().unwrap().iter().map(|d| d["outcome"].clone()).collect();
    assert_eq!(outcomes, vec![json!("applied"); 3], "every delivery is recorded as applied");
    assert_eq!(deliveries["deliveries"][0]["order_ids"], json!(["8120533"]));
}

#[tokio::test]
async fn a_removed_line_stays_marked_until_acknowledged() {
    let kds = Kds::start().await;
    kds.send(OrderCreated, &fixture_json("01-order-created-single.json")).await;
    kds.ticket_when("8120457", "the order opens a ticket", |_| true).await;
    let mut edited = with(fixture_json("01-order-created-single.json"), None, "2026-06-25T09:20:00Z");
    edited["orders"][0]["cart_v2"].as_array_mut().unwrap().remove(1);
    kds.send(CartUpdated, &edited).await;
    let t = kds.ticket_when("8120457", "the edit is applied", |t| t["changed"] == true).await;
    let removed: Vec<_> = t["lines"].as_array().unwrap().iter().filter(|l| l["change"] == "removed").collect();
    assert_eq!(removed.len(), 1, "the dropped line stays, marked removed: {t}");
    assert_eq!(removed[0]["name"], "Es Teh Manis");
    assert_eq!(t["item_count"], 3, "a removed line no longer counts");
    let (_, t) = kds.post("/api/tickets/8120457/acknowledge", "").await;
    assert_eq!(t["lines"].as_array().unwrap().len(), 2, "acknowledged, the removed line goes");
}

#[tokio::test]
async fn a_batch_of_two_orders_opens_two_tickets() {
    let kds = Kds::start().await;
    let mut alerts = kds.server.alerts().subscribe();
    kds.send(OrderCreated, &batch_with_future_schedule()).await;
    kds.ticket_when("8120611", "the second order of the batch is applied", |t| t["column"] == "scheduled").await;
    let t = kds.ticket_when("8120610", "the first order of the batch is applied", |_| true).await;
    assert_eq!((t["column"].as_str(), t["order_type"].as_str()), (Some("preparing"), Some("pickup")), "status 2 on arrival means cooking");
    let (_, open) = kds.get("/api/tickets").await;
    let ids: Vec<_> = open["tickets"].as_array().unwrap().iter().map(|t| t["order_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["8120610", "8120611"]);
    assert_eq!(open["seq"], 2, "two ticket changes so far");
    for expected in ["8120610", "8120611"] {
        match tokio::time::timeout(DEADLINE, alerts.recv()).await {
            Ok(Ok(Alert::NewOrder(a))) => assert_eq!(a.order_id, expected, "one new-order alert per order, in order"),
            other => panic!("expected a new-order alert for {expected}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_duplicate_create_under_a_new_event_id_changes_nothing() {
    let kds = Kds::start().await;
    kds.send(OrderCreated, &fixture_json("01-order-created-single.json")).await;
    let first = kds.ticket_when("8120457", "the order opens a ticket", |_| true).await;
    let first_id = kds.send(OrderCreated, &fixture_json("01-order-created-single.json")).await;
    kds.settled().await;
    let (_, second) = kds.get("/api/tickets/8120457").await;
    assert_eq!(second, first, "the same record under another event id leaves the ticket as it was");
    let (_, open) = kds.get("/api/tickets").await;
    assert_eq!(open["seq"], 1, "and publishes no change");
    let (_, deliveries) = kds.get("/api/deliveries").await;
    assert_eq!(deliveries["deliveries"][0]["event_id"], first_id.as_str());
    assert_eq!(deliveries["deliveries"][0]["outcome"], "applied", "the duplicate is still recorded as applied");
}

#[tokio::test]
async fn a_stale_status_is_recorded_and_ignored() {
    let kds = Kds::start().await;
    kds.send(OrderCreated, &fixture_json("01-order-created-single.json")).await;
    kds.send(StatusUpdated, &fixture_json("02-order-status-ready.json")).await;
    kds.ticket_when("8120457", "status 4 makes it ready", |t| t["column"] == "ready").await;
    kds.send(StatusUpdated, &with(fixture_json("02-order-status-ready.json"), Some(2), "2026-06-25T09:20:00Z")).await;
    kds.settled().await;
    let (_, t) = kds.get("/api/tickets/8120457").await;
    assert_eq!((t["column"].as_str(), t["status"].as_str()), (Some("ready"), Some("READY")), "an older snapshot changes nothing");
    let events = kds.server.store().ticket_events("8120457").await.unwrap();
    assert!(events.iter().any(|e| e.kind == "stale"), "the stale snapshot is in the log: {events:?}");
}

#[tokio::test]
async fn cancel_then_ready_stays_cancelled() {
    let kds = Kds::start().await;
    let mut alerts = kds.server.alerts().subscribe();
    kds.send(OrderCreated, &fixture_json("04-order-created-batched.json")).await;
    kds.send(StatusUpdated, &fixture_json("05-order-status-cancelled.json")).await;
    kds.send(StatusUpdated, &with(fixture_json("05-order-status-cancelled.json"), Some(4), "2026-06-25T10:05:00Z")).await;
    kds.settled().await;
    let (_, t) = kds.get("/api/tickets/8120611").await;
    assert_eq!((t["column"].as_str(), t["cancelled"].as_bool()), (Some("cancelled"), Some(true)), "cancelled is terminal: {t}");
    assert_eq!(t["cancellation_reason"], "Customer requested cancellation");
    let (status, refused) = kds.post("/api/tickets/8120611/bump", "").await;
    assert_eq!(status, 409, "a cancelled ticket cannot be bumped");
    assert!(refused["error"].as_str().unwrap().contains("cancelled"), "the error says why: {refused}");
    assert_eq!(refused["ticket"]["column"], "cancelled", "a 409 carries the current ticket");
    let mut cancelled = 0;
    while let Ok(Ok(a)) = tokio::time::timeout(Duration::from_millis(500), alerts.recv()).await {
        cancelled += matches!(a, Alert::Cancelled(ref t) if t.order_id == "8120611") as usize;
    }
    assert_eq!(cancelled, 1, "exactly one cancellation alert");
    let (_, t) = kds.post("/api/tickets/8120611/acknowledge", r#"{"from":"cancelled"}"#).await;
    assert_eq!(t["open"], false);
    let (_, open) = kds.get("/api/tickets").await;
    assert!(open["tickets"].as_array().unwrap().iter().all(|t| t["order_id"] != "8120611"), "an acknowledged cancellation leaves the board");
}

#[tokio::test]
async fn a_status_for_an_unknown_order_creates_its_ticket() {
    let kds = Kds::start().await;
    kds.send(StatusUpdated, &fixture_json("02-order-status-ready.json")).await;
    let t = kds.ticket_when("8120457", "the full record in a status event opens the ticket", |_| true).await;
    assert_eq!((t["column"].as_str(), t["status_code"].as_i64()), (Some("ready"), Some(4)));
    assert_eq!(t["lines"].as_array().unwrap().len(), 3, "with the cart the record carries");
}

#[tokio::test]
async fn a_bump_race_between_two_screens_moves_the_ticket_once() {
    let kds = Kds::start().await;
    kds.send(OrderCreated, &fixture_json("01-order-created-single.json")).await;
    kds.ticket_when("8120457", "the order opens a ticket", |_| true).await;
    let body = r#"{"from":"new"}"#;
    let (a, b) = tokio::join!(kds.post("/api/tickets/8120457/bump", body), kds.post("/api/tickets/8120457/bump", body));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "one screen wins, the other hears the ticket moved");
    let loser = if a.0 == 409 { a.1 } else { b.1 };
    assert_eq!(loser["ticket"]["column"], "preparing", "the 409 carries the ticket as it is now");
    let (_, t) = kds.get("/api/tickets/8120457").await;
    assert_eq!(t["column"], "preparing", "two bumps that saw New move it one step");

    assert_eq!(kds.post("/api/tickets/404/bump", "").await.0, 404, "unknown ticket");
    assert_eq!(kds.post("/api/tickets/8120457/bump", "{not json").await.0, 400, "malformed JSON");
    assert_eq!(kds.post("/api/tickets/8120457/bump", r#"{"from":"kitchen"}"#).await.0, 400, "unknown column");
    let (status, _) = kds.post("/api/tickets/8120457/recall", r#"{"from":"preparing"}"#).await;
    assert_eq!(status, 200, "recall moves it back a column");
}

#[tokio::test]
async fn the_live_stream_resumes_with_exactly_the_missed_changes() {
    let kds = Kds::start().await;
    let wait = Duration::from_secs(10);
    let mut live = SseStream::connect(&kds.app("/api/live"), &[]).await;
    let snapshot = live.next(wait).await.expect("a snapshot comes first");
    assert_eq!((snapshot.event.as_str(), snapshot.id.as_deref()), ("snapshot", Some("0")));
    assert_eq!(snapshot.json()["tickets"], json!([]));
    assert_eq!(live.next(wait).await.expect("then health").event, "health");

    kds.send(OrderCreated, &fixture_json("01-order-created-single.json")).await;
    let created = live.next_named("ticket", wait).await.expect("the new ticket is streamed");
    assert_eq!(created.json()["ticket"]["order_id"], "8120457");
    let seen = created.id.clone().expect("ticket events carry their seq as id");
    drop(live);

    kds.send(StatusUpdated, &fixture_json("02-order-status-ready.json")).await;
    kds.send(OrderCreated, &batch_with_future_schedule()).await;
    kds.settled().await;

    let mut live = SseStream::connect(&kds.app("/api/live"), &[("last-event-id", seen.clone())]).await;
    let mut missed = Vec::new();
    loop {
        let e = live.next(wait).await.expect("the missed changes, then health");
        if e.event == "health" {
            break;
        }
        assert_eq!(e.event, "ticket", "a screen that resumes gets changes, not a snapshot");
        missed.push((e.id.clone().unwrap(), e.json()["ticket"]["order_id"].as_str().unwrap().to_string(), e.json()["ticket"]["column"].clone()));
    }
    assert_eq!(
        missed,
        [
            ("2".to_string(), "8120457".to_string(), json!("ready")),
            ("3".to_string(), "8120610".to_string(), json!("preparing")),
            ("4".to_string(), "8120611".to_string(), json!("scheduled")),
        ],
        "exactly the changes after seq {seen}, in order"
    );
    let (_, t) = kds.post("/api/tickets/8120457/bump", "").await;
    assert_eq!(t["column"], "done");
    let bumped = live.next_named("ticket", wait).await.expect("a screen's change is streamed too");
    assert_eq!((bumped.id.as_deref(), bumped.json()["ticket"]["column"].as_str()), (Some("5"), Some("done")), "a ticket leaving the board arrives with its new column");

    let mut behind = SseStream::connect(&kds.app("/api/live?since=999"), &[]).await;
    assert_eq!(behind.next(wait).await.unwrap().event, "snapshot", "a seq the feed does not know gets a snapshot");
    let (_, done) = kds.get("/api/done").await;
    assert_eq!(done["tickets"][0]["order_id"], "8120457", "a done ticket is listed as recallable");
}

#[tokio::test]
async fn the_app_listener_refuses_foreign_hosts_and_origins() {
    let kds = Kds::start().await;
    let url = kds.app("/api/tickets");
    let res = kds.http.get(&url).header("host", "evil.example").send().await.unwrap();
    assert_eq!(res.status(), 403, "a DNS name in Host is how a rebinding page gets in");
    let res = kds.http.get(&url).header("origin", "http://evil.example").send().await.unwrap();
    assert_eq!(res.status(), 403, "another site's page must not drive the API");
    let res = kds.http.get(&url).header("origin", "tauri://localhost").send().await.unwrap();
    assert_eq!(res.status(), 200, "the desktop window is allowed");
    let own = format!("http://{}", kds.server.app_addr());
    let res = kds.http.get(&url).header("origin", own).send().await.unwrap();
    assert_eq!(res.status(), 200, "the board's own origin is allowed");
    let (_, health) = kds.get("/api/health").await;
    assert_eq!(health["tunnel"], json!({"state": "off", "url": null, "reason": null, "mode": "off"}));
    assert_eq!(health["applier"]["lag_ms"], 0);
}

#[tokio::test]
async fn a_scheduled_order_whose_time_has_come_moves_to_new_by_itself() {
    let kds = Kds::start().await;
    // The fixture's scheduled time (2026-06-25 12:30 UTC) is long past.
    kds.send(OrderCreated, &fixture_json("04-order-created-batched.json")).await;
    let t = kds.ticket_when("8120611", "the clock rule starts a scheduled order that is due", |t| t["column"] == "new").await;
    assert_eq!(t["status"], "SCHEDULED", "the klikit status is unchanged; only the column moved");
    let events = kds.server.store().ticket_events("8120611").await.unwrap();
    assert!(events.iter().any(|e| e.kind == "scheduled_due" && e.source == "kitchen"), "the move is logged as the kitchen's: {events:?}");
}

#[tokio::test]
async fn after_a_crash_the_applier_resumes_with_what_was_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    // Deliveries acknowledged by an intake whose applier never ran (a crash
    // right after the commit): they are in the inbox, pending.
    {
        let store = kds::store::Store::open(&dir.path().join(kds::config::DATABASE_FILE), Default::default()).unwrap();
        for (id, name) in [("evt-a", "01-order-created-single.json"), ("evt-b", "02-order-status-ready.json")] {
            let body = serde_json::to_vec(&fixture_json(name)).unwrap();
            store
                .insert_delivery(kds::store::NewDelivery {
                    event_id: id.into(),
                    event_type: "klikit.order.status.updated".into(),
                    body_sha256: kds::klikit::body_sha256(&body),
                    body,
                    headers: json!({}),
                    received_at: time::OffsetDateTime::now_utc(),
                    unprocessable: None,
                })
                .await
                .unwrap();
        }
        store.close();
    }
    let server = kds::server::Server::start(kds::config::Config::for_data_dir(dir.path())).await.unwrap();
    let url = format!("http://{}/api/tickets/8120457", server.app_addr());
    let started = std::time::Instant::now();
    loop {
        let t: Value = reqwest::get(&url).await.unwrap().json().await.unwrap_or(Value::Null);
        if t["column"] == "ready" {
            break;
        }
        assert!(started.elapsed() < DEADLINE, "at start the applier applies what was pending, in order: {t}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let store = server.store().clone();
    assert_eq!(store.delivery("evt-b").await.unwrap().unwrap().state, kds::store::DeliveryState::Applied);
    let changes = store.changes_since(0, 100).await.unwrap().unwrap();
    assert_eq!(changes.len(), 2, "each delivery applied once: one change each");
    server.shutdown().await;
    // A second start finds nothing to apply again.
    let server = kds::server::Server::start(kds::config::Config::for_data_dir(dir.path())).await.unwrap();
    let health: Value = reqwest::get(format!("http://{}/api/health", server.app_addr())).await.unwrap().json().await.unwrap();
    assert_eq!(health["applier"]["pending"], 0);
    assert_eq!(server.store().changes_since(0, 100).await.unwrap().unwrap().len(), 2, "a restart applies nothing twice");
    server.shutdown().await;
}

#[tokio::test]
async fn beyond_loopback_the_api_needs_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = kds::config::Config::for_data_dir(dir.path());
    config.listen = "0.0.0.0:0".parse().unwrap();
    config.api_token = kds::config::Secret::new("kitchen-token");
    let server = kds::server::Server::start(config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/api/tickets", server.app_addr().port());
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401, "no token, no API");
    assert_eq!(http.get(&url).bearer_auth("wrong").send().await.unwrap().status(), 401);
    assert_eq!(http.get(&url).bearer_auth("kitchen-token").send().await.unwrap().status(), 200);
    let live = format!("http://127.0.0.1:{}/api/live?token=kitchen-token", server.app_addr().port());
    let mut stream = SseStream::connect(&live, &[]).await;
    assert_eq!(stream.next(Duration::from_secs(5)).await.unwrap().event, "snapshot", "EventSource can pass the token in the query");
    drop(stream);
    server.shutdown().await;
}

#[tokio::test]
async fn a_quiet_live_stream_sends_ping_events_a_page_can_see() {
    // SSE comments never reach a page's script, so a board could not tell a
    // quiet kitchen from a dead connection; named `ping` events can.
    let kds = Kds::start().await;
    let wait = Duration::from_secs(10);
    let mut live = SseStream::connect(&kds.app("/api/live"), &[]).await;
    assert_eq!(live.next(wait).await.expect("a snapshot comes first").event, "snapshot");
    assert_eq!(live.next(wait).await.expect("then health").event, "health");
    let ping = live.next_named("ping", Duration::from_secs(20)).await.expect("after 15 quiet seconds the stream sends a ping event");
    assert!(!ping.data.is_empty(), "an event without data is never dispatched to the page");
}
