//! Soak: the same klikit feed twice, into two real `kds` processes. Once
//! clean and in order; once with 10% duplicates (same event id), 5%
//! duplicates under a new event id, and 10% reordered. Once both kitchens
//! have applied everything, every order's ticket must be the same in both
//! (`GET /api/tickets/{id}`, ignoring times), and the perturbed server's RSS
//! must stay flat (start and end are reported).
//!
//! CI runs 5,000 deliveries; `KDS_FAULTS_LONG=1` (bench/run faults) runs
//! 100,000. `KDS_SOAK_COUNT` overrides both.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use kds::klikit::{Envelope, WebhookSecret};
use kds::client::{self, Delivery};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use support::process::{serve, KdsProcess};
use support::Feed;

const SECRET: &str = "soak-secret";
/// Fields that record when this server saw something, not what it saw.
const TIME_FIELDS: &[&str] = &["column_since", "updated_at"];

fn rss_kib(kds: &KdsProcess) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", kds.child.id())).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

/// The clean feed perturbed the way a real network and klikit's retries do.
fn perturb(clean: &[Delivery], seed: u64) -> (Vec<Delivery>, usize, usize, usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out: Vec<Delivery> = Vec::with_capacity(clean.len() * 6 / 5);
    let (mut same_id, mut new_id) = (0, 0);
    for d in clean {
        out.push(d.clone());
        if rng.random_bool(0.10) {
            same_id += 1;
            out.push(d.clone());
        }
        if rng.random_bool(0.05) {
            new_id += 1;
            out.push(Delivery { event_id: client::new_event_id(), ..d.clone() });
        }
    }
    // 10% of deliveries change places with one of the next few.
    let mut reordered = 0;
    for i in 0..out.len().saturating_sub(4) {
        if rng.random_bool(0.10) {
            reordered += 1;
            let j = i + rng.random_range(1..=3);
            out.swap(i, j);
        }
    }
    (out, same_id, new_id, reordered)
}

async fn post_all(client: &reqwest::Client, kds: &KdsProcess, deliveries: &[Delivery]) {
    let secret = WebhookSecret::new(SECRET).unwrap();
    for d in deliveries {
        let a = client::post(client, &kds.intake_url, &secret, d).await.expect("kds answers");
        assert_eq!(a.status, 200, "every delivery of the soak is acknowledged: {}", a.body);
    }
}

async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let res = client.get(url).send().await.expect("the app listener answers");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn wait_until_applied(client: &reqwest::Client, kds: &KdsProcess) {
    let url = format!("{}api/health", kds.app_url);
    support::eventually("the applier has applied every delivery", Duration::from_secs(600), || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let (_, health) = get_json(&client, &url).await;
            (health["applier"]["pending"].as_u64() == Some(0)).then_some(())
        }
    })
    .await;
}

fn without_times(mut ticket: Value) -> Value {
    if let Some(obj) = ticket.as_object_mut() {
        for f in TIME_FIELDS {
            obj.remove(*f);
        }
    }
    ticket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn perturbed_feed_ends_in_the_same_tickets_and_memory_stays_flat() {
    let long = std::env::var("KDS_FAULTS_LONG").is_ok_and(|v| v == "1");
    let count: usize = std::env::var("KDS_SOAK_COUNT").ok().and_then(|v| v.parse().ok()).unwrap_or(if long { 100_000 } else { 5_000 });
    let mut feed = Feed::new(2024);
    let now = time::OffsetDateTime::now_utc();
    // klikit stamps each snapshot with its own `updated_at`; 100 ms apart here.
    let clean: Vec<Delivery> = (0..count).map(|i| feed.next(now + Duration::from_millis(100 * i as u64))).collect();
    let (perturbed, same_id, new_id, reordered) = perturb(&clean, 99);
    let order_ids: BTreeSet<String> = clean.iter().flat_map(|d| Envelope::parse(&d.body).unwrap().order_ids).collect();

    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clean_kds = serve(dir_a.path(), SECRET, &[]);
    let soak_kds = serve(dir_b.path(), SECRET, &[]);
    let client = client::client();
    let rss_start = rss_kib(&soak_kds);
    tokio::join!(post_all(&client, &clean_kds, &clean), post_all(&client, &soak_kds, &perturbed));
    wait_until_applied(&client, &clean_kds).await;
    wait_until_applied(&client, &soak_kds).await;

    let compare = futures_util::stream::iter(order_ids.iter().cloned())
        .map(|id| {
            let client = client.clone();
            let (a, b) = (format!("{}api/tickets/{id}", clean_kds.app_url), format!("{}api/tickets/{id}", soak_kds.app_url));
            async move {
                let ((sa, ta), (sb, tb)) = tokio::join!(get_json(&client, &a), get_json(&client, &b));
                (id, sa, sb, without_times(ta), without_times(tb))
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    let rss_end = rss_kib(&soak_kds);
    let mut differing = Vec::new();
    for (id, sa, sb, ta, tb) in &compare {
        assert_eq!(*sa, 200, "order {id} has a ticket after the clean run");
        if sb != sa || ta != tb {
            differing.push(format!("order {id}: clean {sa} {ta}\n  perturbed {sb} {tb}"));
        }
    }
    eprintln!(
        "faults: soak: {count} deliveries ({} orders) clean vs {} perturbed ({same_id} duplicates same id, {new_id} duplicates new id, {reordered} reordered); {} tickets differ; RSS of the perturbed kds {} MiB at start, {} MiB at end",
        order_ids.len(),
        perturbed.len(),
        differing.len(),
        rss_start / 1024,
        rss_end / 1024
    );
    assert!(differing.is_empty(), "{} of {} tickets differ from the clean run, e.g.\n{}", differing.len(), order_ids.len(), differing[..differing.len().min(3)].join("\n"));
    for kds in [clean_kds, soak_kds] {
        assert!(kds.terminate().success());
    }
}
