//! Stations and expo, end to end: the real kds on 127.0.0.1:0 with a real
//! SQLite file, driven over HTTP as three screens (grill, drinks, expo)
//! would: lines routed by category and brand, a station's bump seen at the
//! expo, the expo's bump to Ready (and klikit's `ready` in the outbox),
//! recall, all-day counts, a cart change re-opening a done line, rush
//! first, a deleted station's lines falling back, two screens bumping at
//! once, the live stream per screen, and a restart keeping it all.

mod support;

use std::time::Duration;

use kds::fake_klikit::FakeKlikit;
use kds::klikit::EventType;
use kds::partner::PartnerConfig;
use serde_json::{json, Value};
use support::sse::SseStream;
use support::{eventually, fixture_json, TestServer, DEADLINE};

const A: &str = "9001";
const B: &str = "9002";

/// Grill cooks mains, drinks the drinks, sushi everything of brand 777
/// (after drinks: first match wins); the rest goes to `kitchen`.
fn setup() -> Value {
    json!({
        "stations": [
            {"name": "grill", "categories": ["Mains"]},
            {"name": "drinks", "categories": ["drinks"]},
            {"name": "sushi", "brands": [777]}
        ]
    })
}

/// Order A (brand 2041): satay (Mains), iced tea (Drinks), crackers (no
/// category). Order B (brand 777): a roll (no category), orange juice.
fn order(id: &str, minute: u32, lines: Value) -> Value {
    let mut body = fixture_json("01-order-created-single.json");
    let o = &mut body["orders"][0];
    o["id"] = id.parse::<i64>().unwrap().into();
    o["short_id"] = format!("S{id}").into();
    o["type"] = 1.into();
    o["updated_at"] = format!("2026-06-25T09:{minute:02}:00Z").into();
    o["cart_v2"] = lines;
    if id == B {
        o["brands"] = json!([{"id": 777, "title": "Sushi Go"}]);
        o["brand_id"] = 777.into();
    }
    body
}

fn order_a(minute: u32, tea: u32) -> Value {
    order(
        A,
        minute,
        json!([
            {"name": "Satay", "quantity": 2, "klikit_category_name": "Mains"},
            {"name": "Es Teh", "quantity": tea, "klikit_category_name": "Drinks"},
            {"name": "Krupuk", "quantity": 1}
        ]),
    )
}

fn order_b() -> Value {
    order(B, 0, json!([{"name": "Salmon Roll", "quantity": 1}, {"name": "Es Jeruk", "quantity": 1, "klikit_category_name": "Drinks"}]))
}

async fn get(kds: &TestServer, path: &str) -> Value {
    let res = kds.client.get(kds.app_url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path} answers");
    res.json().await.unwrap()
}

async fn send(kds: &TestServer, body: &Value) {
    let answer = kds.send(&kds::client::new_event_id(), EventType::OrderCreated, &serde_json::to_vec(body).unwrap()).await;
    assert_eq!(answer.status, 200, "a signed delivery is acknowledged: {}", answer.body);
}

async fn call(kds: &TestServer, method: &str, path: &str, body: Value) -> (u16, Value) {
    let req = match method {
        "PUT" => kds.client.put(kds.app_url(path)),
        _ => kds.client.post(kds.app_url(path)),
    };
    let res = req.json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn ok(kds: &TestServer, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = call(kds, method, path, body.clone()).await;
    assert_eq!(status, 200, "{method} {path} {body} is accepted: {answer}");
    answer
}

/// The ticket `id` as `screen` sees it, if it is on that screen.
async fn on_screen(kds: &TestServer, screen: &str, id: &str) -> Option<Value> {
    let list = get(kds, &format!("/api/tickets?screen={screen}")).await;
    list["tickets"].as_array().unwrap().iter().find(|t| t["order_id"] == id).cloned()
}

fn line<'a>(ticket: &'a Value, name: &str) -> &'a Value {
    ticket["lines"].as_array().unwrap().iter().find(|l| l["name"] == name).unwrap_or_else(|| panic!("{name} is on the ticket: {ticket}"))
}

fn names(ticket: &Value) -> Vec<&str> {
    ticket["lines"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect()
}

fn allday(list: &Value) -> Vec<(String, u64)> {
    list["items"].as_array().unwrap().iter().map(|i| (i["name"].as_str().unwrap().to_string(), i["quantity"].as_u64().unwrap())).collect()
}

/// Saves the setup without its first station, the grill.
async fn delete_the_grill(kds: &TestServer) {
    let mut without_grill = setup();
    without_grill["stations"].as_array_mut().unwrap().remove(0);
    ok(kds, "PUT", "/api/stations", without_grill).await;
}

/// kds with the three stations and both orders on the board.
async fn kitchen_with_orders(kds: &TestServer) {
    let saved = ok(kds, "PUT", "/api/stations", setup()).await;
    assert_eq!(saved["station_names"], json!(["grill", "drinks", "sushi", "kitchen"]), "the default station is a screen too");
    send(kds, &order_a(0, 1)).await;
    send(kds, &order_b()).await;
    eventually("both orders reach the board", DEADLINE, || async { (get(kds, "/api/tickets").await["tickets"].as_array().unwrap().len() == 2).then_some(()) }).await;
}

#[tokio::test]
async fn lines_go_to_their_stations_and_the_expo_sees_each_stations_bump() {
    let fake = FakeKlikit::start("127.0.0.1:0".parse().unwrap(), "pk", "sk").await.unwrap();
    fake.seed(&order_a(0, 1));
    fake.seed(&order_b());
    let base = fake.base_url();
    let kds = TestServer::start_with(move |c| c.partner = PartnerConfig::new(base, "pk", "sk")).await;
    kitchen_with_orders(&kds).await;

    let grill = on_screen(&kds, "grill", A).await.expect("A has grill lines");
    assert_eq!(names(&grill), ["Satay"], "the grill sees only its lines: {grill}");
    assert!(on_screen(&kds, "grill", B).await.is_none(), "B has nothing for the grill");
    assert_eq!(names(&on_screen(&kds, "sushi", B).await.unwrap()), ["Salmon Roll"], "brand 777's line without a category goes to sushi");
    assert_eq!(names(&on_screen(&kds, "drinks", B).await.unwrap()), ["Es Jeruk"], "drinks comes before sushi: first match wins");
    assert_eq!(names(&on_screen(&kds, "kitchen", A).await.unwrap()), ["Krupuk"], "a line no rule matches goes to the default station");
    assert_eq!(allday(&get(&kds, "/api/allday?screen=drinks").await), [("Es Jeruk".to_string(), 1), ("Es Teh".to_string(), 1)]);
    assert_eq!(allday(&get(&kds, "/api/allday?screen=grill").await), [("Satay".to_string(), 2)]);

    // The grill bumps: its line is struck at the expo, drinks stays open.
    let bumped = ok(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"station": "grill", "from": "new"})).await;
    assert_eq!(bumped["column"], "new", "a station's bump never moves the ticket");
    assert!(on_screen(&kds, "grill", A).await.is_none(), "the ticket leaves the grill once it bumped");
    let recall = get(&kds, "/api/done?screen=grill").await;
    assert_eq!((recall["tickets"].as_array().unwrap().len(), recall["tickets"][0]["order_id"].as_str()), (1, Some(A)), "and joins the grill's recall list: {recall}");
    let expo = on_screen(&kds, "expo", A).await.unwrap();
    assert!(line(&expo, "Satay")["done_at"].is_string() && line(&expo, "Es Teh")["done_at"].is_null(), "the expo sees the grill's line done, the drink open: {expo}");
    let progress: Vec<(String, u64, u64)> =
        expo["stations"].as_array().unwrap().iter().map(|p| (p["station"].as_str().unwrap().into(), p["lines"].as_u64().unwrap(), p["done"].as_u64().unwrap())).collect();
    assert_eq!(progress, [("drinks".into(), 1, 0), ("grill".into(), 1, 1), ("kitchen".into(), 1, 0)]);
    assert!(on_screen(&kds, "drinks", A).await.is_some(), "drinks still has the tea to make");
    assert_eq!(allday(&get(&kds, "/api/allday?screen=grill").await), [], "the all-day count drops the bumped satay");

    // Recall on the grill restores its line.
    ok(&kds, "POST", &format!("/api/tickets/{A}/recall"), json!({"station": "grill"})).await;
    assert!(line(&on_screen(&kds, "grill", A).await.expect("back on the grill"), "Satay")["done_at"].is_null());
    assert_eq!(allday(&get(&kds, "/api/allday?screen=grill").await), [("Satay".to_string(), 2)]);

    // Every station done: complete at expo; the expo's bumps take it to Ready.
    for station in ["grill", "drinks", "kitchen"] {
        ok(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"station": station})).await;
    }
    assert_eq!(on_screen(&kds, "expo", A).await.unwrap()["complete"], true, "all three stations bumped");
    ok(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"from": "new"})).await;
    let ready = ok(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"from": "preparing"})).await;
    assert_eq!((ready["column"].as_str(), ready["klikit_sync"]["action"].as_str()), (Some("ready"), Some("ready")), "the expo's bump to Ready queues `ready` for klikit: {ready}");
    let outbox = get(&kds, "/api/klikit/outbox").await;
    let sent_or_waiting = outbox["waiting"].as_array().unwrap().iter().any(|r| r["order_id"] == A && r["action"] == "ready")
        || fake.patches().iter().any(|p| p.order_id == A && p.body["status"] == "ready");
    assert!(sent_or_waiting, "the ready row is in the outbox or already at klikit: {outbox}");

    // The expo may bump a ticket whose stations are not done.
    ok(&kds, "POST", &format!("/api/tickets/{B}/bump"), json!({})).await;
    let b = ok(&kds, "POST", &format!("/api/tickets/{B}/bump"), json!({})).await;
    assert_eq!((b["column"].as_str(), b["complete"].as_bool()), (Some("ready"), Some(false)));
    assert!(on_screen(&kds, "sushi", B).await.is_none(), "a ticket the expo sent leaves the stations");
    let refused = call(&kds, "POST", &format!("/api/tickets/{B}/bump"), json!({"station": "sushi"})).await;
    assert_eq!(refused.0, 409, "stations act only on tickets still cooking: {}", refused.1);
    kds.stop().await;
}

#[tokio::test]
async fn a_cart_change_reopens_a_done_line_rush_sorts_first_and_a_deleted_station_falls_back() {
    let kds = TestServer::start().await;
    kitchen_with_orders(&kds).await;
    ok(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"station": "drinks"})).await;
    assert!(on_screen(&kds, "drinks", A).await.is_none());

    // klikit changes the tea's quantity: the line is to make again, marked.
    send(&kds, &order_a(5, 2)).await;
    let again = eventually("the cart change reaches drinks", DEADLINE, || async { on_screen(&kds, "drinks", A).await }).await;
    assert_eq!((line(&again, "Es Teh")["done_at"].is_null(), line(&again, "Es Teh")["change"].as_str()), (true, Some("quantity")), "{again}");
    let timeline = get(&kds, &format!("/api/tickets/{A}/timeline")).await;
    let kinds: Vec<&str> = timeline["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"station_bump") && kinds.contains(&"reopened"), "both are in the ticket's log: {kinds:?}");

    // Rush: A first on every screen that shows it.
    assert_eq!(get(&kds, "/api/tickets?screen=drinks").await["tickets"][0]["order_id"], B, "least recently changed first before the rush");
    ok(&kds, "POST", &format!("/api/tickets/{A}/rush"), json!({"rush": true})).await;
    for screen in ["drinks", "expo", ""] {
        let list = get(&kds, &format!("/api/tickets?screen={screen}")).await;
        assert_eq!((list["tickets"][0]["order_id"].as_str(), list["tickets"][0]["rush"].as_bool()), (Some(A), Some(true)), "rush first on {screen:?}");
    }
    assert_eq!(call(&kds, "POST", &format!("/api/tickets/{A}/rush"), json!({"rush": true})).await.0, 409, "rushing twice changes nothing");

    // The grill is deleted: its lines go to the default station, its screen sees everything.
    delete_the_grill(&kds).await;
    let kitchen = on_screen(&kds, "kitchen", A).await.expect("the satay moved to the kitchen");
    assert_eq!(names(&kitchen), ["Satay", "Krupuk"]);
    let gone = get(&kds, "/api/tickets?screen=grill").await;
    assert!(gone["notice"].as_str().is_some_and(|n| n.contains("grill")), "a deleted station's screen is told: {gone}");
    assert_eq!(gone["tickets"].as_array().unwrap().len(), 2, "and sees everything");
    let (status, refused) = call(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"station": "grill"})).await;
    assert_eq!((status, refused["field"].as_str()), (422, Some("station")), "{refused}");
    kds.stop().await;
}

#[tokio::test]
async fn two_screens_bumping_one_station_at_once_move_its_lines_once() {
    let kds = TestServer::start().await;
    kitchen_with_orders(&kds).await;
    let path = format!("/api/tickets/{A}/bump");
    let body = json!({"station": "grill", "from": "new"});
    let (first, second) = tokio::join!(call(&kds, "POST", &path, body.clone()), call(&kds, "POST", &path, body));
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "one bump moves the lines, the other is refused: {first:?} {second:?}");
    let timeline = get(&kds, &format!("/api/tickets/{A}/timeline")).await;
    let bumps = timeline["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "station_bump").count();
    assert_eq!(bumps, 1, "one station_bump in the log");
    kds.stop().await;
}

#[tokio::test]
async fn each_screen_follows_its_view_on_the_live_stream_and_is_listed() {
    let kds = TestServer::start().await;
    kitchen_with_orders(&kds).await;
    let mut grill = SseStream::connect(&kds.app_url("/api/live?screen=grill&name=Grill%20tablet"), &[]).await;
    let snapshot = grill.next_named("snapshot", DEADLINE).await.expect("a snapshot first").json();
    let tickets = snapshot["tickets"].as_array().unwrap();
    assert_eq!((tickets.len(), snapshot["screen"].as_str()), (1, Some("grill")), "only A has grill lines: {snapshot}");
    assert_eq!(names(&tickets[0]), ["Satay"]);
    let screens = get(&kds, "/api/screens").await;
    let me = &screens["screens"][0];
    assert_eq!((me["name"].as_str(), me["station"].as_str()), (Some("Grill tablet"), Some("grill")), "{screens}");
    assert!(me["remote"].as_str().unwrap().starts_with("127.0.0.1:"), "the screen's address is known: {me}");

    ok(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"station": "grill"})).await;
    let change = grill.next_named("ticket", DEADLINE).await.expect("the bump reaches the grill").json();
    assert_eq!((change["ticket"]["order_id"].as_str(), change["ticket"]["open"].as_bool()), (Some(A), Some(false)), "the grill drops the ticket: {change}");

    delete_the_grill(&kds).await;
    let fresh = grill.next_named("snapshot", DEADLINE).await.expect("a deleted station's screen gets everything").json();
    assert!(fresh["notice"].is_string() && fresh["tickets"].as_array().unwrap().len() == 2, "{fresh}");
    drop(grill);
    eventually("a closed screen leaves the list", Duration::from_secs(20), || async { get(&kds, "/api/screens").await["screens"].as_array().unwrap().is_empty().then_some(()) }).await;
    kds.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_setup_and_every_lines_state() {
    let kds = TestServer::start().await;
    kitchen_with_orders(&kds).await;
    ok(&kds, "POST", &format!("/api/tickets/{A}/bump"), json!({"station": "grill"})).await;
    ok(&kds, "POST", &format!("/api/tickets/{A}/rush"), json!({"rush": true})).await;
    let before = on_screen(&kds, "expo", A).await.unwrap();
    let dir = kds.stop().await;

    let kds = TestServer::start_in(dir, |_| {}).await;
    let stations = get(&kds, "/api/stations").await;
    assert_eq!(stations["station_names"], json!(["grill", "drinks", "sushi", "kitchen"]), "the setup is stored, not only in memory");
    let brands: Vec<(i64, String)> = stations["brands"].as_array().unwrap().iter().map(|b| (b["id"].as_i64().unwrap(), b["color"].as_str().unwrap().into())).collect();
    assert_eq!(brands.iter().map(|b| b.0).collect::<Vec<_>>(), [2041, 777], "brands in the order first seen");
    assert_ne!(brands[0].1, brands[1].1, "each brand its own colour");
    let after = on_screen(&kds, "expo", A).await.unwrap();
    assert_eq!(after, before, "the ticket, its lines' stations and done times, and rush are as they were");
    assert!(on_screen(&kds, "grill", A).await.is_none(), "the grill's bump holds across the restart");
    kds.stop().await;
}

#[tokio::test]
async fn tickets_stored_before_stations_are_routed_after_the_upgrade() {
    // A database written before stations (see tests/stored.rs): its open
    // tickets have lines without a station until the first start routes them.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stored/kds.sqlite"), dir.path().join(kds::config::DATABASE_FILE)).unwrap();
    let kds = TestServer::start_in(dir, |_| {}).await;
    let routed = eventually("the stored open tickets are routed in the background", DEADLINE, || async {
        let list = get(&kds, "/api/tickets?screen=kitchen").await;
        let tickets = list["tickets"].as_array().unwrap().clone();
        (!tickets.is_empty() && tickets.iter().all(|t| t["stations"][0]["station"] == "kitchen")).then_some(tickets)
    })
    .await;
    assert!(routed.iter().all(|t| t["lines"].as_array().unwrap().iter().all(|l| l["station"] == "kitchen")), "every line went to the default station: {routed:?}");
    eventually("the routing is recorded as done, so later starts skip it", DEADLINE, || async {
        (!kds.server.store().stations_to_route().await.unwrap()).then_some(())
    })
    .await;
    kds.stop().await;
}
