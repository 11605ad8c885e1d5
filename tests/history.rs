//! History end to end, over real HTTP: search by number, item and brand,
//! a ticket's timeline with the screen's bump in it, and the CSV export
//! (quoting and formula safety) for a date range.

mod support;

use kds::klikit::EventType;
use support::{fixture_json, Kds};

#[tokio::test]
async fn search_timeline_and_csv_export() {
    let kds = Kds::start().await;
    let mut order = fixture_json("01-order-created-single.json");
    // Something a spreadsheet would run, and a comma and quotes to quote.
    for brand in order["orders"][0]["brands"].as_array_mut().unwrap() {
        brand["title"] = "=HYPERLINK(\"http://evil\")".into();
    }
    order["orders"][0]["cart"][1]["title"] = "Es Teh, \"manis\"".into();
    order["orders"][0]["cart_v2"][1]["name"] = "Es Teh, \"manis\"".into();
    kds.send(EventType::OrderCreated, &order).await;
    kds.send(EventType::OrderCreated, &fixture_json("04-order-created-batched.json")).await;
    kds.settled().await;
    let (status, _) = kds.post("/api/tickets/8120457/bump", "").await;
    assert_eq!(status, 200, "a screen bumps the order");

    let ids = |v: &serde_json::Value| -> Vec<String> { v["tickets"].as_array().unwrap().iter().map(|t| t["order_id"].as_str().unwrap().to_string()).collect() };
    let (status, all) = kds.get("/api/history").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&all).len(), 3, "every ticket is in history: {all}");
    let (_, by_number) = kds.get("/api/history?q=k7x2").await;
    assert_eq!(ids(&by_number), ["8120457"], "search by the short number, any case");
    let (_, by_item) = kds.get("/api/history?q=teh%2C").await;
    assert_eq!(ids(&by_item), ["8120457"], "search by an item's name");
    let (_, by_brand) = kds.get("/api/history?q=hyperlink").await;
    assert_eq!(ids(&by_brand), ["8120457"], "search by brand: {by_brand}");
    let (_, none) = kds.get("/api/history?q=%25").await;
    assert!(ids(&none).is_empty(), "a % in the text is a character, not a wildcard: {none}");
    let (_, tomorrow) = kds.get(&format!("/api/history?from={}", time::OffsetDateTime::now_utc().date().next_day().unwrap())).await;
    assert!(ids(&tomorrow).is_empty(), "a range after every order finds nothing");
    let (status, bad) = kds.get("/api/history?from=yesterday").await;
    assert_eq!(status, 400, "a date kds cannot read is refused: {bad}");

    let (status, timeline) = kds.get("/api/tickets/8120457/timeline").await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = timeline["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"received"), "the timeline starts when the order arrived: {kinds:?}");
    let bump = timeline["events"].as_array().unwrap().iter().find(|e| e["kind"] == "bump").expect("the bump is in the timeline");
    assert_eq!((bump["source"].as_str(), bump["detail"]["to"].as_str()), (Some("screen"), Some("preparing")));
    assert_eq!(kds.get("/api/tickets/nope/timeline").await.0, 404);

    let today = time::OffsetDateTime::now_utc().date();
    let res = reqwest::get(kds.app(&format!("/api/export.csv?from={today}&to={today}"))).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 3, "one row per order of the day:\n{body}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let ours = rows.iter().find(|r| &r[col("order_id")] == "8120457").unwrap();
    assert_eq!(&ours[col("number")], "K7X2");
    assert_eq!(&ours[col("brand")], "'=HYPERLINK(\"http://evil\")", "a cell a spreadsheet would run is made text");
    assert!(ours[col("items")].contains("Es Teh, \"manis\""), "commas and quotes survive the round trip: {:?}", &ours[col("items")]);
    assert_eq!(&ours[col("column")], "preparing");
    let (status, _) = kds.get("/api/export.csv?from=2026-01-01").await;
    assert_eq!(status, 400, "an export needs both ends of its range");
}
