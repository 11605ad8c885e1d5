//! Two-way klikit: how fast a bump reaches klikit, what the outbox costs a
//! bump, and how long catching up a busy day takes.
//!
//! Starts kds on 127.0.0.1:0 (WAL, synchronous=FULL) and the fake klikit
//! partner API, both in this process, and measures:
//! 1. bump 2xx → the PATCH arriving at the fake (p50/p99);
//! 2. the bump's own latency with partner keys (outbox row in the same
//!    transaction) and without (no outbox), p50/p99;
//! 3. catch-up of one day: 500 orders created in the last 24 h, 50 of which
//!    kds never got by webhook: from the catch-up call to all 500 tickets.
//!
//! `cargo bench --bench partner -- [BUMPS]` (default 100: short).

use std::time::{Duration, Instant};

use kds::config::Config;
use kds::fake_klikit::FakeKlikit;
use kds::klikit::{EventType, WebhookSecret};
use kds::partner::PartnerConfig;
use kds::server::Server;
use kds::client::{self, Delivery};
use kds_sim::quantile;
use serde_json::Value;

const SECRET: &str = "bench-secret";

fn order(i: usize, created_min_ago: i64) -> Value {
    let mut body: Value = serde_json::from_slice(include_bytes!("../tests/fixtures/01-order-created-single.json")).unwrap();
    let at = (time::OffsetDateTime::now_utc() - time::Duration::minutes(created_min_ago)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let o = &mut body["orders"][0];
    o["id"] = (9_000_000 + i).into();
    o["type"] = 1.into();
    o["created_at"] = at.clone().into();
    o["updated_at"] = at.into();
    body
}

async fn start(fake: Option<&FakeKlikit>) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_data_dir(dir.path());
    config.webhook_secret = Some(WebhookSecret::new(SECRET).unwrap());
    config.partner = fake.and_then(|f| PartnerConfig::new(f.base_url(), "pk", "sk"));
    (Server::start(config).await.expect("kds starts"), dir)
}

async fn deliver(server: &Server, bodies: &[Value]) {
    let client = client::client();
    let url = format!("http://{}/webhooks/klikit", server.intake_addr());
    let secret = WebhookSecret::new(SECRET).unwrap();
    for body in bodies {
        let d = Delivery { event_id: client::new_event_id(), event_type: EventType::OrderCreated, body: serde_json::to_vec(body).unwrap() };
        assert_eq!(client::post(&client, &url, &secret, &d).await.unwrap().status, 200);
    }
}

async fn open_tickets(server: &Server) -> usize {
    server.store().open_tickets().await.unwrap().1.len()
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.total_cmp(b));
    println!("{name:<44} n={:<4} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms", v.len(), quantile(&v, 0.5), quantile(&v, 0.99), v.last().copied().unwrap_or(0.0));
}

/// Bumps every order once (New → Preparing), one at a time; returns each
/// bump's latency and when its 2xx came.
async fn bumps(server: &Server, n: usize) -> Vec<(Duration, Instant)> {
    let client = client::client();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let url = format!("http://{}/api/tickets/{}/bump", server.app_addr(), 9_000_000 + i);
        let t0 = Instant::now();
        let res = client.post(&url).body(r#"{"from":"new"}"#).send().await.unwrap();
        let acked = Instant::now();
        assert_eq!(res.status(), 200);
        out.push((acked - t0, acked));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    out
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100);
    let bodies: Vec<Value> = (0..n).map(|i| order(i, 30)).collect();

    // 1 and 2: with partner keys (the outbox).
    let fake = FakeKlikit::start("127.0.0.1:0".parse().unwrap(), "pk", "sk").await.unwrap();
    bodies.iter().for_each(|b| fake.seed(b));
    let (server, _dir) = start(Some(&fake)).await;
    deliver(&server, &bodies).await;
    wait_for("the orders on the board", async || open_tickets(&server).await == n).await;
    let with = bumps(&server, n).await;
    wait_for("every PATCH at the fake", async || fake.patches().len() >= n).await;
    let patches = fake.patches();
    let lag: Vec<f64> = (0..n)
        .map(|i| {
            let id = (9_000_000 + i).to_string();
            let p = patches.iter().find(|p| p.order_id == id).expect("a PATCH per bump");
            ms(p.at.saturating_duration_since(with[i].1))
        })
        .collect();
    server.shutdown().await;

    // 2: without partner keys (no outbox).
    let (plain, _dir2) = start(None).await;
    deliver(&plain, &bodies).await;
    wait_for("the orders on the board", async || open_tickets(&plain).await == n).await;
    let without = bumps(&plain, n).await;
    plain.shutdown().await;

    println!("two-way klikit, {n} bumps, one at a time (kds and the fake on loopback, synchronous=FULL)");
    summary("bump 2xx -> PATCH arrives at klikit", lag);
    summary("bump latency, with the outbox", with.iter().map(|b| ms(b.0)).collect());
    summary("bump latency, without (no partner keys)", without.iter().map(|b| ms(b.0)).collect());

    // 3: catch-up of one busy day: 500 orders, 50 never delivered by webhook.
    let day: Vec<Value> = (0..500).map(|i| order(100_000 + i, 5 + (i as i64 * 2))).collect();
    let fake = FakeKlikit::start("127.0.0.1:0".parse().unwrap(), "pk", "sk").await.unwrap();
    let (server, _dir3) = start(Some(&fake)).await;
    deliver(&server, &day[50..]).await;
    wait_for("450 orders on the board", async || open_tickets(&server).await == 450).await;
    day.iter().for_each(|b| fake.seed(b));
    let t0 = Instant::now();
    let report: Value = client::client().post(format!("http://{}/api/klikit/catchup", server.app_addr())).send().await.unwrap().json().await.unwrap();
    let listed = t0.elapsed();
    wait_for("all 500 orders on the board", async || open_tickets(&server).await == 500).await;
    let all = t0.elapsed();
    println!(
        "catch-up of one day: listed {} orders, fetched {} missing, in {:.0} ms; all 500 on the board after {:.0} ms",
        report["listed"],
        report["fetched"],
        ms(listed),
        ms(all)
    );
    server.shutdown().await;
}

