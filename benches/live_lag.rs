//! Live-stream lag under load: how long after klikit hears its 2xx does the
//! change appear on `/api/live`?
//!
//! Starts kds (durable settings: WAL, synchronous=FULL) on 127.0.0.1:0,
//! follows `/api/live` like a screen, and posts `kds_sim` deliveries
//! (new orders, some batched, status moves and cart edits) at a fixed rate.
//! For each order it pairs the k-th acknowledged delivery with the k-th
//! ticket change on the stream and prints p50/p99/max of the lag.
//!
//! `cargo bench --bench live_lag -- [COUNT] [RATE]` (default 3000 at 100/s).

#[path = "../tests/support/sse.rs"]
mod sse;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kds::config::Config;
use kds::klikit::{Envelope, WebhookSecret};
use kds::server::Server;
use kds::client::{self, Delivery};
use kds_sim::{quantile, Feed};
use time::OffsetDateTime;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(3000);
    let rate: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100.0);

    let dir = tempfile::tempdir().expect("a temp dir");
    let mut config = Config::for_data_dir(dir.path());
    let secret = WebhookSecret::new("bench-secret").unwrap();
    config.webhook_secret = Some(secret.clone());
    let server = Server::start(config).await.expect("kds starts");
    let url = format!("http://{}/webhooks/klikit", server.intake_addr());

    // The screen: record when each order's changes appear.
    let seen: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
    let mut live = sse::SseStream::connect(&format!("http://{}/api/live", server.app_addr()), &[]).await;
    live.next_named("snapshot", Duration::from_secs(5)).await.expect("a snapshot first");
    let listener = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some(e) = live.next(Duration::from_secs(10)).await {
                if e.event == "ticket" {
                    let id = e.json()["ticket"]["order_id"].as_str().unwrap_or_default().to_string();
                    seen.lock().unwrap().entry(id).or_default().push(Instant::now());
                }
            }
        })
    };

    // klikit: post at `rate`, remembering when each 2xx arrived.
    let acks: Arc<Mutex<Vec<(usize, Vec<String>, Instant)>>> = Arc::default();
    let client = client::client();
    let mut feed = Feed::new(7);
    let started = Instant::now();
    let mut posts = Vec::with_capacity(count);
    for i in 0..count {
        tokio::time::sleep_until((started + Duration::from_secs_f64(i as f64 / rate)).into()).await;
        let d = feed.next(OffsetDateTime::now_utc());
        let delivery = Delivery::from_headers(d.event_id, d.event_type, d.body).expect("kds-sim generates only event types kds knows");
        let order_ids = Envelope::parse(&delivery.body).expect("generated bodies are envelopes").order_ids;
        let (client, secret, url, acks) = (client.clone(), secret.clone(), url.clone(), acks.clone());
        posts.push(tokio::spawn(async move {
            let answer = client::post(&client, &url, &secret, &delivery).await.expect("the intake answers");
            assert_eq!(answer.status, 200, "{}", answer.body);
            acks.lock().unwrap().push((i, order_ids, Instant::now()));
        }));
    }
    for p in posts {
        p.await.expect("post task");
    }
    let sent_for = started.elapsed();
    let expected: usize = acks.lock().unwrap().iter().map(|(_, ids, _)| ids.len()).sum();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().values().map(Vec::len).sum::<usize>() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    listener.abort();

    let mut acks = std::mem::take(&mut *acks.lock().unwrap());
    acks.sort_by_key(|(i, _, _)| *i);
    let seen = seen.lock().unwrap();
    let mut next_change: HashMap<&str, usize> = HashMap::new();
    let (mut lags, mut missing, mut before_ack) = (Vec::new(), 0, 0);
    for (_, ids, acked) in &acks {
        for id in ids {
            let k = next_change.entry(id).or_default();
            match seen.get(id).and_then(|v| v.get(*k)) {
                Some(at) => {
                    if at < acked {
                        before_ack += 1;
                    }
                    lags.push(at.saturating_duration_since(*acked).as_secs_f64() * 1000.0);
                }
                None => missing += 1,
            }
            *k += 1;
        }
    }
    lags.sort_by(|a, b| a.total_cmp(b));
    println!("posted {count} deliveries at {rate}/s in {:.1}s ({expected} order changes expected)", sent_for.as_secs_f64());
    println!("changes seen on /api/live: {}, missing: {missing}, seen before the 2xx reached the client: {before_ack}", lags.len());
    println!(
        "lag from 2xx to /api/live, ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        quantile(&lags, 0.5),
        quantile(&lags, 0.9),
        quantile(&lags, 0.99),
        lags.last().copied().unwrap_or(0.0)
    );
    server.shutdown().await;
}
