//! Playing klikit: signing and posting deliveries the way klikit does, and
//! generating realistic orders for demos and load.
//!
//! `kds send` posts a file's exact bytes with a fresh event id and a valid
//! signature (it replaces the curl + openssl recipe of klikit's docs).
//! `kds load` generates orders (varied carts, nested modifiers, notes,
//! several brands, every order type), posts them from many concurrent
//! clients, and reports throughput and ack latency percentiles.
//!
//! It only talks HTTP; it never touches the store.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::klikit::{self, EventType, WebhookSecret};

/// Why a send or a load run failed.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("request to {url} failed: {reason}")]
    Http { url: String, reason: String },
}

/// One delivery as klikit would post it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: EventType,
    pub body: Vec<u8>,
}

/// The answer to one post.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub latency: Duration,
    /// The `Retry-After` header, when the receiver sent one (503s).
    pub retry_after: Option<String>,
}

/// A fresh, unique event id (uuid-v4 shaped, as klikit's are).
pub fn new_event_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!("{}-{}-4{}-{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[16..20], &h[20..32])
}

/// An HTTP client suited to posting deliveries.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1024)
        .build()
        .expect("the HTTP client builds with static settings")
}

/// Signs and posts one delivery, returning the status, body and latency.
pub async fn post(client: &reqwest::Client, url: &str, secret: &WebhookSecret, d: &Delivery) -> Result<Answer, SimulatorError> {
    let started = Instant::now();
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header(klikit::SIGNATURE_HEADER, secret.sign(&d.body))
        .header(klikit::EVENT_ID_HEADER, &d.event_id)
        .header(klikit::EVENT_TYPE_HEADER, d.event_type.as_str())
        .body(d.body.clone())
        .send()
        .await
        .map_err(|e| SimulatorError::Http { url: url.to_owned(), reason: e.to_string() })?;
    let status = res.status().as_u16();
    let retry_after = res.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = res.text().await.unwrap_or_default();
    Ok(Answer { status, body, latency: started.elapsed(), retry_after })
}

/// Settings of a load run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub url: String,
    pub count: usize,
    pub concurrency: usize,
    /// Share of posts (0..=1) that repeat an earlier delivery, same event id.
    pub duplicates: f64,
    /// Target deliveries per second overall; `None` sends as fast as it can.
    pub rate: Option<f64>,
    pub seed: u64,
}

/// What a load run measured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LoadReport {
    pub sent: usize,
    pub received: usize,
    pub duplicate_ignored: usize,
    pub errors: usize,
    pub status_counts: std::collections::BTreeMap<u16, usize>,
    pub seconds: f64,
    pub throughput_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "sent {} in {:.2}s: {:.0} deliveries/s", self.sent, self.seconds, self.throughput_per_s)?;
        writeln!(f, "received {}, duplicate-ignored {}, errors {}", self.received, self.duplicate_ignored, self.errors)?;
        writeln!(f, "status codes {:?}", self.status_counts)?;
        write!(f, "ack latency ms: p50 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}", self.p50_ms, self.p99_ms, self.p999_ms, self.max_ms)
    }
}

/// The value at quantile `q` (0..=1) of sorted `values`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// The median of `values` (the upper one of the two middle values).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    quantile(&values, 0.5)
}

/// Posts `plan.count` generated deliveries from `plan.concurrency` clients.
pub async fn load(plan: LoadPlan, secret: WebhookSecret) -> LoadReport {
    let mut feed = Feed::new(plan.seed);
    let now = OffsetDateTime::now_utc();
    let mut rng = StdRng::seed_from_u64(plan.seed ^ 0x5eed);
    let mut deliveries: Vec<Delivery> = Vec::with_capacity(plan.count);
    for _ in 0..plan.count {
        if !deliveries.is_empty() && rng.random_bool(plan.duplicates.clamp(0.0, 1.0)) {
            let i = rng.random_range(0..deliveries.len());
            deliveries.push(deliveries[i].clone());
        } else {
            deliveries.push(feed.next(now));
        }
    }
    let deliveries = Arc::new(deliveries);
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(Vec::with_capacity(plan.count)));
    let client = client();
    let started = Instant::now();
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| {
            let (deliveries, next, answers, client, secret, url) =
                (deliveries.clone(), next.clone(), answers.clone(), client.clone(), secret.clone(), plan.url.clone());
            let rate = plan.rate;
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= deliveries.len() {
                        break;
                    }
                    if let Some(rate) = rate {
                        let due = started + Duration::from_secs_f64(i as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let answer = post(&client, &url, &secret, &deliveries[i]).await;
                    answers.lock().unwrap().push(answer);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    summarize(answers, seconds)
}

fn summarize(answers: Vec<Result<Answer, SimulatorError>>, seconds: f64) -> LoadReport {
    let mut report = LoadReport {
        sent: answers.len(),
        received: 0,
        duplicate_ignored: 0,
        errors: 0,
        status_counts: Default::default(),
        seconds,
        throughput_per_s: answers.len() as f64 / seconds.max(1e-9),
        p50_ms: 0.0,
        p99_ms: 0.0,
        p999_ms: 0.0,
        max_ms: 0.0,
    };
    let mut latencies = Vec::with_capacity(answers.len());
    for a in answers {
        match a {
            Ok(a) => {
                *report.status_counts.entry(a.status).or_default() += 1;
                latencies.push(a.latency.as_secs_f64() * 1000.0);
                if a.body.contains("duplicate-ignored") {
                    report.duplicate_ignored += 1;
                } else if a.status == 200 {
                    report.received += 1;
                } else {
                    report.errors += 1;
                }
            }
            Err(_) => report.errors += 1,
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    report.p50_ms = quantile(&latencies, 0.5);
    report.p99_ms = quantile(&latencies, 0.99);
    report.p999_ms = quantile(&latencies, 0.999);
    report.max_ms = latencies.last().copied().unwrap_or(0.0);
    report
}

/// A realistic stream of klikit deliveries: mostly new orders (sometimes
/// batched), then status moves and cart edits for orders already sent.
pub struct Feed {
    rng: StdRng,
    next_order: u64,
    open: Vec<(u64, Value)>,
}

struct Brand {
    id: i64,
    title: &'static str,
    menu: &'static [(&'static str, &'static [(&'static str, &'static [&'static str])])],
}

const BRANDS: &[Brand] = &[
    Brand {
        id: 2041,
        title: "Warung Sambal Ijo",
        menu: &[
            ("Nasi Goreng Kampung", &[("Spice Level", &["Tidak Pedas", "Pedas", "Extra Pedas"]), ("Add-ons", &["Telur Mata Sapi", "Kerupuk"])]),
            ("Ayam Bakar Madu", &[("Side", &["Nasi Uduk", "Nasi Putih"]), ("Sambal", &["Sambal Ijo", "Sambal Matah"])]),
            ("Mie Ayam Bakso", &[("Noodle Type", &["Mie Lebar", "Mie Kecil"])]),
            ("Es Teh Manis", &[("Sugar Level", &["Less Sugar", "Normal", "No Sugar"])]),
            ("Es Jeruk", &[]),
        ],
    },
    Brand {
        id: 2077,
        title: "Kopi Pagi",
        menu: &[
            ("Kopi Susu Gula Aren", &[("Size", &["Regular", "Large"]), ("Milk", &["Oat Milk", "Full Cream"])]),
            ("Roti Bakar", &[("Topping", &["Srikaya", "Coklat Keju", "Kacang"])]),
            ("Pisang Goreng", &[]),
            ("Americano", &[("Shots", &["Single", "Double"])]),
        ],
    },
    Brand {
        id: 2102,
        title: "Bowl & Co",
        menu: &[
            ("Teriyaki Chicken Bowl", &[("Base", &["Brown Rice", "Quinoa"]), ("Extras", &["Avocado", "Onsen Egg", "Edamame"])]),
            ("Salmon Poke", &[("Sauce", &["Shoyu", "Spicy Mayo"])]),
            ("Miso Soup", &[]),
        ],
    },
];

const NOTES: &[&str] = &["", "", "", "No onions", "Allergy: peanuts", "Sauce on the side", "Extra hot please", "Cut into 4 pieces", "No ice"];
const ORDER_NOTES: &[&str] = &["", "", "", "Please include cutlery", "Ring the bell twice", "Birthday - write HBD on the box"];
const PROVIDERS: &[i64] = &[1, 2, 6, 7, 9, 11, 14];

impl Feed {
    /// A deterministic feed for `seed`; order ids start high enough not to
    /// collide with the example fixtures.
    pub fn new(seed: u64) -> Feed {
        let mut rng = StdRng::seed_from_u64(seed);
        let next_order = 90_000_000 + rng.random_range(0..1_000_000u64) * 1000;
        Feed { rng, next_order, open: Vec::new() }
    }

    /// The next delivery.
    pub fn next(&mut self, now: OffsetDateTime) -> Delivery {
        let roll: f64 = self.rng.random();
        if self.open.len() > 4 && roll < 0.25 {
            self.status_update(now)
        } else if self.open.len() > 4 && roll < 0.32 {
            self.cart_update(now)
        } else {
            let n = if self.rng.random_bool(0.1) { 2 } else { 1 };
            let orders: Vec<Value> = (0..n).map(|_| self.new_order(now)).collect();
            self.delivery(EventType::OrderCreated, orders)
        }
    }

    fn delivery(&mut self, event_type: EventType, orders: Vec<Value>) -> Delivery {
        let brand_id = orders[0]["brands"][0]["id"].clone();
        let body = json!({ "brand_id": brand_id, "branch_id": 3307, "orders": orders });
        Delivery { event_id: new_event_id(), event_type, body: serde_json::to_vec(&body).expect("JSON values serialize") }
    }

    /// A new order record in klikit's shape.
    pub fn new_order(&mut self, now: OffsetDateTime) -> Value {
        let id = self.next_order;
        self.next_order += 1;
        let brand = &BRANDS[self.rng.random_range(0..BRANDS.len())];
        let lines = self.rng.random_range(1..=4);
        let cart: Vec<Value> = (0..lines).map(|_| self.line(brand)).collect();
        let order_type = self.rng.random_range(1..=3);
        let status = if self.rng.random_bool(0.5) { 1 } else { 2 };
        let ts = now.format(&Rfc3339).expect("now formats");
        let order = json!({
            "id": id,
            "short_id": format!("K{:03X}", id % 4096),
            "external_id": format!("EXT-{id}"),
            "branch_id": 3307,
            "business_id": 512,
            "brands": [{ "id": brand.id, "title": brand.title, "logo": "" }],
            "status": status,
            "type": order_type,
            "provider_id": PROVIDERS[self.rng.random_range(0..PROVIDERS.len())],
            "table_no": if order_type == 3 { format!("{}", self.rng.random_range(1..30)) } else { String::new() },
            "order_comment": ORDER_NOTES[self.rng.random_range(0..ORDER_NOTES.len())],
            "created_at": ts,
            "updated_at": ts,
            "scheduled_time": Value::Null,
            "auto_accept": status == 2,
            "cart_v2": cart,
            "item_count": lines,
            "currency": "IDR",
            "user_first_name": "Guest",
        });
        self.open.push((id, order.clone()));
        order
    }

    fn line(&mut self, brand: &Brand) -> Value {
        let (name, groups) = brand.menu[self.rng.random_range(0..brand.menu.len())];
        let mut modifier_groups: Vec<Value> = Vec::new();
        for (group, options) in groups.iter() {
            if !self.rng.random_bool(0.8) {
                continue;
            }
            let pick = options[self.rng.random_range(0..options.len())];
            modifier_groups.push(json!({ "id": group.len().to_string(), "name": group, "modifiers": [
                { "id": pick.len().to_string(), "name": pick, "quantity": 1, "price": "0.00", "modifier_groups": [] }
            ]}));
        }
        json!({
            "id": format!("{}", 450_000 + name.len()),
            "name": name,
            "quantity": self.rng.random_range(1..=3),
            "comment": NOTES[self.rng.random_range(0..NOTES.len())],
            "brand": { "id": brand.id, "title": brand.title },
            "modifier_groups": modifier_groups,
        })
    }

    fn status_update(&mut self, now: OffsetDateTime) -> Delivery {
        let i = self.rng.random_range(0..self.open.len());
        let (_, order) = &mut self.open[i];
        let next = match order["status"].as_i64() {
            Some(1) => 2,
            Some(2) => 4,
            Some(4) => 5,
            _ => 3,
        };
        order["status"] = json!(next);
        order["updated_at"] = json!(now.format(&Rfc3339).expect("now formats"));
        let order = order.clone();
        if matches!(next, 3 | 5) {
            self.open.swap_remove(i);
        }
        self.delivery(EventType::StatusUpdated, vec![order])
    }

    fn cart_update(&mut self, now: OffsetDateTime) -> Delivery {
        let i = self.rng.random_range(0..self.open.len());
        let brand_id = self.open[i].1["brands"][0]["id"].as_i64().unwrap_or(0);
        let brand = BRANDS.iter().find(|b| b.id == brand_id).unwrap_or(&BRANDS[0]);
        let extra = self.line(brand);
        let (_, order) = &mut self.open[i];
        if let Some(cart) = order["cart_v2"].as_array_mut() {
            if let Some(first) = cart.first_mut() {
                let q = first["quantity"].as_i64().unwrap_or(1);
                first["quantity"] = json!(q + 1);
            }
            cart.push(extra);
        }
        order["updated_at"] = json!(now.format(&Rfc3339).expect("now formats"));
        let order = order.clone();
        self.delivery(EventType::CartUpdated, vec![order])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::klikit::Envelope;

    #[test]
    fn feed_produces_valid_envelopes_of_every_type() {
        let mut feed = Feed::new(7);
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..300 {
            let d = feed.next(now);
            Envelope::parse(&d.body).unwrap_or_else(|e| panic!("generated bodies must be valid envelopes: {e}"));
            seen.insert(d.event_type);
        }
        assert_eq!(seen.len(), 3, "a realistic feed mixes creates, status updates and cart updates");
    }

    #[test]
    fn event_ids_are_unique_and_uuid_shaped() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_event_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 36 && id.matches('-').count() == 4));
    }

    #[test]
    fn quantiles_pick_from_sorted_values() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 51.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
