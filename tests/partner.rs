//! Two-way klikit, end to end: the real kds (in process, and as a child
//! process for the crash test) against the fake klikit partner API, both
//! on 127.0.0.1:0. Each screen action must reach klikit as the right PATCH,
//! exactly once, under the key fixed when the action was written.

mod support;

use std::time::Duration;

use kds::alert::Alert;
use kds::fake_klikit::{Echo, FakeKlikit, Fault};
use kds::klikit::{EventType, WebhookSecret};
use kds::partner::PartnerConfig;
use serde_json::{json, Value};
use support::{eventually, fixture_json, TestServer, DEADLINE, SECRET};

const KEY: &str = "pk-test";
const SECRET_KEY: &str = "sk-test";
const ORDER: &str = "8120457";

/// The single-order fixture as `order_type` (1 pickup, 2 delivery, 3 dine-in).
fn order_body(order_type: i64) -> Value {
    let mut body = fixture_json("01-order-created-single.json");
    body["orders"][0]["type"] = order_type.into();
    body
}

async fn fake() -> FakeKlikit {
    FakeKlikit::start("127.0.0.1:0".parse().unwrap(), KEY, SECRET_KEY).await.expect("the fake klikit starts on port 0")
}

/// kds with partner keys for `fake` (the secret key given), and `body`
/// delivered by webhook and seeded into the fake.
async fn kds_with(fake: &FakeKlikit, secret_key: &str, body: &Value) -> TestServer {
    fake.seed(body);
    let base = fake.base_url();
    let secret_key = secret_key.to_string();
    let kds = TestServer::start_with(move |c| c.partner = PartnerConfig::new(base, KEY, &secret_key)).await;
    let answer = kds.send(&kds::client::new_event_id(), EventType::OrderCreated, &serde_json::to_vec(body).unwrap()).await;
    assert_eq!(answer.status, 200, "the order is acknowledged: {}", answer.body);
    ticket_when(&kds, ORDER, "the order reaches the board", |_| true).await;
    // The catch-up run at start is over, so it takes none of a test's injected faults.
    eventually("the catch-up at start is over", DEADLINE, || async { (!get(&kds, "/api/health").await["klikit"]["last_catchup"]["at"].is_null()).then_some(()) }).await;
    kds
}

async fn get(kds: &TestServer, path: &str) -> Value {
    kds.client.get(kds.app_url(path)).send().await.unwrap().json().await.unwrap_or(Value::Null)
}

async fn post(kds: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let res = kds.client.post(kds.app_url(path)).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn bump(kds: &TestServer, from: &str) -> Value {
    let (status, ticket) = post(kds, &format!("/api/tickets/{ORDER}/bump"), json!({"from": from})).await;
    assert_eq!(status, 200, "the bump from {from} is accepted: {ticket}");
    ticket
}

async fn ticket_when(kds: &TestServer, id: &str, why: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let url = format!("/api/tickets/{id}");
    eventually(why, DEADLINE, || async {
        let t = get(kds, &url).await;
        (t["order_id"] == id && ok(&t)).then_some(t)
    })
    .await
}

async fn sync_state(kds: &TestServer, state: &str) -> Value {
    ticket_when(kds, ORDER, &format!("the card's klikit sync becomes {state}"), |t| t["klikit_sync"]["state"] == state).await
}

fn statuses(fake: &FakeKlikit) -> Vec<String> {
    fake.patches().iter().filter(|p| p.answered == 200).map(|p| p.body["status"].as_str().unwrap_or("?").to_string()).collect()
}

#[tokio::test]
async fn each_screen_action_sends_the_right_patch_once_under_its_own_key() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    let before = time::OffsetDateTime::now_utc();
    for (from, sent) in [("new", 1), ("preparing", 2), ("ready", 3)] {
        bump(&kds, from).await;
        eventually("klikit receives the action", DEADLINE, || async { (statuses(&fake).len() == sent).then_some(()) }).await;
    }
    sync_state(&kds, "sent").await;
    assert_eq!(statuses(&fake), ["accepted", "ready", "picked_up"], "a pickup order's three bumps are accepted, ready and picked_up, in order");
    let patches = fake.patches();
    assert_eq!(fake.distinct_keys(), 3, "each action has its own idempotency key");
    assert_eq!(fake.effects(ORDER), 3, "each reached klikit exactly once");
    for p in &patches {
        let at = time::OffsetDateTime::parse(p.body["occurred_at"].as_str().expect("occurred_at is sent"), &time::format_description::well_known::Rfc3339).unwrap();
        assert!(at >= before - time::Duration::seconds(1), "occurred_at is the moment of the tap, not klikit's time: {at}");
    }
    assert_eq!(fake.order(ORDER).unwrap()["status"], 9, "klikit now has the order picked up");
    let health = get(&kds, "/api/health").await;
    assert_eq!((health["klikit"]["state"].as_str(), health["klikit"]["sent"].as_i64()), (Some("ok"), Some(3)), "{health}");
    kds.stop().await;
}

#[tokio::test]
async fn a_delivery_order_never_gets_picked_up() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(2)).await;
    bump(&kds, "new").await;
    bump(&kds, "preparing").await;
    sync_state(&kds, "sent").await;
    bump(&kds, "ready").await;
    let done = ticket_when(&kds, ORDER, "the ticket is done", |t| t["column"] == "done").await;
    // Give the sender every chance to (wrongly) send something more.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(statuses(&fake), ["accepted", "ready"], "the rider completes a delivery order: no picked_up from the kitchen ({done})");
    let health = get(&kds, "/api/health").await;
    assert_eq!(health["klikit"]["waiting"], 0, "nothing is left waiting: {health}");
    kds.stop().await;
}

#[tokio::test]
async fn a_recall_before_the_send_cancels_the_action_and_after_it_klikit_keeps_its_state() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    // The accept is answered slowly: the ready behind it (same order) waits while we recall it.
    fake.inject(Fault::Slow(Duration::from_secs(2)));
    bump(&kds, "new").await;
    eventually("the accept reaches klikit", DEADLINE, || async { (!fake.patches().is_empty()).then_some(()) }).await;
    bump(&kds, "preparing").await;
    let (status, t) = post(&kds, &format!("/api/tickets/{ORDER}/recall"), json!({"from": "ready"})).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!((t["klikit_sync"]["action"].as_str(), t["klikit_sync"]["state"].as_str()), (Some("ready"), Some("cancelled")), "{t}");
    assert_eq!(t["klikit_sync"]["note"], "recalled before it was sent: nothing reached klikit");
    eventually("the accept is confirmed", DEADLINE, || async {
        let h = get(&kds, "/api/health").await;
        (h["klikit"]["sent"] == 1 && h["klikit"]["waiting"] == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(statuses(&fake), ["accepted"], "the recalled ready never reached klikit");

    let (_, t) = post(&kds, &format!("/api/tickets/{ORDER}/recall"), json!({"from": "preparing"})).await;
    assert_eq!(t["column"], "new");
    assert_eq!(t["klikit_sync"]["note"], "klikit keeps its state: a recall is not sent to klikit", "accepted was already sent: {t}");
    assert_eq!(fake.order(ORDER).unwrap()["status"], 2, "klikit still has the order accepted");
    kds.stop().await;
}

#[tokio::test]
async fn a_rate_limit_is_honoured_and_three_server_errors_are_retried_under_one_key() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    fake.inject(Fault::RateLimited { retry_after_secs: 2 });
    bump(&kds, "new").await;
    sync_state(&kds, "sent").await;
    let p = fake.patches();
    assert_eq!(p.iter().map(|p| p.answered).collect::<Vec<_>>(), [429, 200], "one 429, then the retry succeeds");
    let waited = p[1].at - p[0].at;
    assert!(waited >= Duration::from_millis(1900), "Retry-After: 2 is honoured (waited {waited:?})");
    assert_eq!(p[0].key, p[1].key, "the retry sends the same key");

    for _ in 0..3 {
        fake.inject(Fault::ServerError);
    }
    bump(&kds, "preparing").await;
    eventually("the ready action is confirmed", Duration::from_secs(20), || async { (statuses(&fake).len() == 2).then_some(()) }).await;
    let ready: Vec<_> = fake.patches().into_iter().skip(2).collect();
    assert_eq!(ready.iter().map(|p| p.answered).collect::<Vec<_>>(), [500, 500, 500, 200], "three 500s, then 200");
    assert!(ready.iter().all(|p| p.key == ready[0].key), "every retry of an action sends its one key");
    assert_eq!(fake.effects(ORDER), 2, "accepted and ready, each applied once");
    sync_state(&kds, "sent").await;
    kds.stop().await;
}

#[tokio::test]
async fn an_invalid_transition_reconciles_the_ticket_from_klikit() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    // klikit's own app moved the order to READY; our webhook for it never came.
    fake.set_status(ORDER, 4);
    bump(&kds, "new").await;
    let t = sync_state(&kds, "superseded").await;
    assert!(t["klikit_sync"]["reason"].as_str().unwrap().contains("did not allow accepted"), "the reason is shown: {t}");
    let t = ticket_when(&kds, ORDER, "the ticket follows klikit's record into Ready", |t| t["column"] == "ready").await;
    assert_eq!(t["status_code"], 4, "{t}");
    assert_eq!(fake.effects(ORDER), 0, "klikit refused the change: nothing was applied there");
    kds.stop().await;
}

#[tokio::test]
async fn rejected_credentials_pause_and_alert_then_resume_when_the_keys_are_fixed() {
    let fake = fake().await;
    let kds = kds_with(&fake, "sk-wrong", &order_body(1)).await;
    let mut alerts = kds.server.alerts().subscribe();
    bump(&kds, "new").await;
    let health = eventually("health says klikit rejected our credentials", DEADLINE, || async {
        let h = get(&kds, "/api/health").await;
        (h["klikit"]["state"] == "rejected").then_some(h)
    })
    .await;
    assert_eq!(health["klikit"]["reason"], "klikit rejected our credentials");
    let alert = tokio::time::timeout(DEADLINE, alerts.recv()).await.expect("an alert comes").unwrap();
    assert!(matches!(&alert, Alert::KlikitProblem { reason } if reason.contains("credentials")), "{alert:?}");
    let tries = fake.patches().len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(fake.patches().len(), tries, "paused: no more tries with keys klikit refused");
    assert_eq!(fake.effects(ORDER), 0);

    let (status, settings) = {
        let res = kds.client.put(kds.app_url("/api/settings")).json(&json!({"klikit_partner_secret": SECRET_KEY})).send().await.unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200, "{settings}");
    assert!(!settings.to_string().contains(SECRET_KEY), "the answer never holds the key: {settings}");
    sync_state(&kds, "sent").await;
    assert_eq!(fake.effects(ORDER), 1, "the waiting action went through once the keys were fixed");
    let h = get(&kds, "/api/health").await;
    assert_eq!(h["klikit"]["state"], "ok", "{h}");
    kds.stop().await;
}

#[tokio::test]
async fn the_echo_webhook_leaves_the_ticket_in_place_and_rings_nothing() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    fake.set_echo(Some(Echo { intake_url: kds.intake_url(), secret: WebhookSecret::new(SECRET).unwrap() }));
    let mut alerts = kds.server.alerts().subscribe();
    bump(&kds, "new").await;
    let t = ticket_when(&kds, ORDER, "the echo of our accept is applied", |t| t["status_code"] == 2).await;
    assert_eq!(t["column"], "preparing", "the echo moves nothing: {t}");
    bump(&kds, "preparing").await;
    let t = ticket_when(&kds, ORDER, "the echo of our ready is applied", |t| t["status_code"] == 4).await;
    assert_eq!(t["column"], "ready", "{t}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    match alerts.try_recv() {
        Err(tokio::sync::broadcast::error::TryRecvError::Empty) => {}
        other => panic!("an echo of our own action must ring nothing, got {other:?}"),
    }
    assert_eq!(fake.effects(ORDER), 2);
    kds.stop().await;
}

#[tokio::test]
async fn reject_needs_a_confirmation_and_a_listed_reason_and_reaches_klikit() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    let url = format!("/api/tickets/{ORDER}/reject");
    assert_eq!(post(&kds, &url, json!({"reason_code": "out_of_items"})).await.0, 400, "never a single tap: confirm is required");
    assert_eq!(post(&kds, &url, json!({"reason_code": "because", "confirm": true})).await.0, 409, "only reasons from the list");
    let (status, t) = post(&kds, &url, json!({"reason_code": "out_of_items", "confirm": true})).await;
    assert_eq!((status, t["column"].as_str()), (200, Some("cancelled")), "{t}");
    sync_state(&kds, "sent").await;
    let p = fake.patches();
    assert_eq!((p[0].body["status"].as_str(), p[0].body["reason_code"].as_str()), (Some("rejected"), Some("out_of_items")));
    assert_eq!(fake.order(ORDER).unwrap()["status"], 3);
    kds.stop().await;
}

#[tokio::test]
async fn a_failed_action_can_be_retried_under_the_same_key() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    for _ in 0..5 {
        fake.inject(Fault::ServerError);
    }
    bump(&kds, "new").await;
    let t = eventually("the action fails after five tries", Duration::from_secs(30), || async {
        let t = get(&kds, &format!("/api/tickets/{ORDER}")).await;
        (t["klikit_sync"]["state"] == "failed").then_some(t)
    })
    .await;
    assert!(t["klikit_sync"]["reason"].as_str().unwrap().contains("gave up after 5 tries"), "{t}");
    let h = get(&kds, "/api/health").await;
    assert_eq!(h["klikit"]["state"], "failing", "{h}");
    let id = t["klikit_sync"]["outbox_id"].as_i64().unwrap();
    assert_eq!(post(&kds, &format!("/api/klikit/outbox/{id}/retry"), json!({})).await.0, 200);
    sync_state(&kds, "sent").await;
    let keys: std::collections::HashSet<_> = fake.patches().into_iter().map(|p| p.key).collect();
    assert_eq!(keys.len(), 1, "the retry reuses the action's key");
    kds.stop().await;
}

#[tokio::test]
async fn check_connection_lists_brands_and_branches_or_says_what_is_wrong() {
    let fake = fake().await;
    let kds = kds_with(&fake, SECRET_KEY, &order_body(1)).await;
    let (status, ok) = post(&kds, "/api/klikit/check", json!({})).await;
    assert_eq!((status, ok["ok"].as_bool()), (200, Some(true)), "{ok}");
    assert_eq!(ok["brands"][0]["title"], "Warung Sambal Ijo");
    assert_eq!(ok["branches"][0]["id"], 3307);
    fake.set_keys(KEY, "rotated");
    let (_, bad) = post(&kds, "/api/klikit/check", json!({})).await;
    assert_eq!(bad["ok"], false);
    assert!(bad["error"].as_str().unwrap().contains("rejected our credentials"), "{bad}");
    kds.stop().await;
}

#[tokio::test]
async fn without_partner_keys_nothing_changes() {
    let kds = TestServer::start().await;
    let body = order_body(1);
    kds.send("e-1", EventType::OrderCreated, &serde_json::to_vec(&body).unwrap()).await;
    ticket_when(&kds, ORDER, "the order reaches the board", |_| true).await;
    let t = bump(&kds, "new").await;
    assert!(t["klikit_sync"].is_null(), "no keys: no sync line: {t}");
    let h = get(&kds, "/api/health").await;
    assert_eq!(h["klikit"]["state"], "off");
    assert_eq!(get(&kds, "/api/klikit/outbox").await["counts"]["waiting"], 0, "no outbox rows are written without keys");
    assert_eq!(post(&kds, &format!("/api/tickets/{ORDER}/reject"), json!({"reason_code": "other", "confirm": true})).await.0, 400);
    kds.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_the_tap_and_the_send_reaches_klikit_exactly_once_under_one_key() {
    use support::process::serve;
    let fake = fake().await;
    let body = order_body(1);
    fake.seed(&body);
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    let env = [("KLIKIT_PARTNER_KEY", KEY), ("KLIKIT_PARTNER_SECRET", SECRET_KEY), ("KLIKIT_API_URL", base.as_str())];
    let kds = serve(dir.path(), SECRET, &env);
    let http = kds::client::client();
    let delivery = kds::client::Delivery { event_id: "crash-1".into(), event_type: EventType::OrderCreated, body: serde_json::to_vec(&body).unwrap() };
    let answer = kds::client::post(&http, &kds.intake_url, &WebhookSecret::new(SECRET).unwrap(), &delivery).await.unwrap();
    assert_eq!(answer.status, 200);
    let ticket_url = format!("{}api/tickets/{ORDER}", kds.app_url);
    eventually("the order reaches the board", DEADLINE, || async {
        let r = http.get(&ticket_url).send().await.ok()?;
        (r.status() == 200).then_some(())
    })
    .await;
    // klikit takes the PATCH, applies it, and is slow to answer: kds dies before it hears back.
    fake.inject(Fault::Slow(Duration::from_secs(30)));
    let res = http.post(format!("{ticket_url}/bump")).json(&json!({"from": "new"})).send().await.unwrap();
    assert_eq!(res.status(), 200, "the bump commits without waiting for klikit");
    eventually("the PATCH reaches klikit", DEADLINE, || async { (!fake.patches().is_empty()).then_some(()) }).await;
    kds.kill9();

    let kds = serve(dir.path(), SECRET, &env);
    let ticket_url = format!("{}api/tickets/{ORDER}", kds.app_url);
    let t = eventually("after the restart the action is confirmed", Duration::from_secs(20), || async {
        let t: Value = http.get(&ticket_url).send().await.ok()?.json().await.ok()?;
        (t["klikit_sync"]["state"] == "sent").then_some(t)
    })
    .await;
    let patches = fake.patches();
    assert!(patches.len() >= 2, "the restarted sender sent the action again: {}", patches.len());
    assert!(patches.iter().all(|p| p.key == patches[0].key), "every send of the action carries the key fixed at the tap");
    assert_eq!(fake.distinct_keys(), 1, "one logical action, one key");
    assert_eq!(fake.effects(ORDER), 1, "klikit applied it exactly once (the second send replayed the stored answer): {t}");
    assert!(kds.terminate().success());
}

fn ago(minutes: i64) -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes)).format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// The pickup order, created an hour ago, last changed `updated_min` ago, at `status`.
fn recent_order(status: i64, updated_min: i64) -> Value {
    let mut body = order_body(1);
    body["orders"][0]["created_at"] = ago(60).into();
    body["orders"][0]["updated_at"] = ago(updated_min).into();
    body["orders"][0]["status"] = status.into();
    body
}

async fn kds_on(fake: &FakeKlikit) -> TestServer {
    let base = fake.base_url();
    TestServer::start_with(move |c| c.partner = PartnerConfig::new(base, KEY, SECRET_KEY)).await
}

#[tokio::test]
async fn catch_up_brings_back_an_order_whose_webhook_never_came_and_it_rings() {
    let fake = fake().await;
    let kds = kds_on(&fake).await;
    let mut alerts = kds.server.alerts().subscribe();
    fake.seed(&recent_order(1, 60));
    let (status, report) = post(&kds, "/api/klikit/catchup", json!({})).await;
    // The run at start may have raced us to it: either run fed it in, once.
    assert_eq!((status, report["listed"].as_u64()), (200, Some(1)), "{report}");
    let t = ticket_when(&kds, ORDER, "the missed order reaches the board", |t| t["column"] == "new").await;
    assert_eq!(t["status_code"], 1);
    let alert = tokio::time::timeout(DEADLINE, alerts.recv()).await.expect("the new order rings").unwrap();
    assert!(matches!(&alert, Alert::NewOrder(a) if a.order_id == ORDER), "a caught-up order rings like a webhook one: {alert:?}");
    let deliveries = get(&kds, "/api/deliveries").await;
    let d = &deliveries["deliveries"][0];
    assert_eq!(d["source"], "catch-up", "{d}");
    assert!(d["note"].as_str().unwrap().starts_with("arrived by catch-up: klikit's webhook did not reach us"), "{d}");
    let (_, again) = post(&kds, "/api/klikit/catchup", json!({})).await;
    assert_eq!(again["fetched"], 0, "a second run finds nothing new: {again}");
    let health = get(&kds, "/api/health").await;
    assert_eq!(health["klikit"]["last_catchup"]["listed"], 1, "health shows the last catch-up: {health}");
    kds.stop().await;
}

#[tokio::test]
async fn catch_up_never_pulls_a_newer_ticket_back() {
    let fake = fake().await;
    fake.seed(&recent_order(1, 50));
    let kds = kds_on(&fake).await;
    // The webhook for READY came; klikit's list still has an older PLACED record.
    let ready = recent_order(4, 10);
    let answer = kds.send("ready-1", EventType::StatusUpdated, &serde_json::to_vec(&ready).unwrap()).await;
    assert_eq!(answer.status, 200);
    ticket_when(&kds, ORDER, "the webhook's READY is applied", |t| t["column"] == "ready").await;
    let (_, report) = post(&kds, "/api/klikit/catchup", json!({})).await;
    assert_eq!(report["fetched"], 0, "an older record at klikit is not fetched in: {report}");
    // A newer record with a lower status (klikit's data lagging) is fed, and the rank rules keep the ticket.
    fake.seed(&recent_order(2, 1));
    let (_, report) = post(&kds, "/api/klikit/catchup", json!({})).await;
    assert_eq!(report["fetched"], 1, "{report}");
    kds.settled_applier().await;
    let t = get(&kds, &format!("/api/tickets/{ORDER}")).await;
    assert_eq!((t["column"].as_str(), t["status_code"].as_i64()), (Some("ready"), Some(4)), "a catch-up snapshot never moves a ticket back: {t}");
    kds.stop().await;
}

trait Settled {
    async fn settled_applier(&self);
}

impl Settled for TestServer {
    async fn settled_applier(&self) {
        eventually("the applier drains", DEADLINE, || async { (get(self, "/api/health").await["applier"]["pending"] == 0).then_some(()) }).await;
    }
}

#[tokio::test]
async fn other_branches_orders_are_stored_but_never_shown_or_rung() {
    let kds = TestServer::start_with(|c| c.branches = vec![9999]).await;
    let mut alerts = kds.server.alerts().subscribe();
    let answer = kds.send("other-1", EventType::OrderCreated, &serde_json::to_vec(&order_body(1)).unwrap()).await;
    assert_eq!(answer.status, 200, "another branch's order is still acknowledged and stored");
    let t = ticket_when(&kds, ORDER, "the order is stored", |_| true).await;
    assert_eq!((t["other_branch"].as_bool(), t["open"].as_bool()), (Some(true), Some(false)), "{t}");
    kds.settled_applier().await;
    assert_eq!(get(&kds, "/api/tickets").await["tickets"], json!([]), "never on the board");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(alerts.try_recv().is_err(), "never rung");
    kds.stop().await;

    let kds = TestServer::start_with(|c| c.branches = vec![3307]).await;
    kds.send("own-1", EventType::OrderCreated, &serde_json::to_vec(&order_body(1)).unwrap()).await;
    let t = ticket_when(&kds, ORDER, "this branch's order is on the board", |t| t["open"] == true).await;
    assert_eq!(t["other_branch"], false);
    kds.stop().await;
}
