//! The load generator: posts generated deliveries from many concurrent clients and reports throughput and ack latency.
//!
//! Owns the plan (how many, how concurrent, what share repeated, what rate),
//! the workers that pace and post, and the [`LoadReport`] they add up to.
//!
//! It never makes a request itself: the caller hands it the function that
//! signs and posts one delivery (in `kds`, a closure over
//! `kds::client::post`), so this crate needs no part of kds.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::OffsetDateTime;

use crate::feed::{Delivery, Feed};
use crate::stats::quantile;

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

/// What the receiver answered to one post.
#[derive(Debug, Clone)]
pub struct Ack {
    pub status: u16,
    pub body: String,
    pub latency: Duration,
}

/// What a load run measured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LoadReport {
    pub sent: usize,
    pub received: usize,
    pub duplicate_ignored: usize,
    pub errors: usize,
    pub status_counts: BTreeMap<u16, usize>,
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

/// Posts `plan.count` generated deliveries to `plan.url` from
/// `plan.concurrency` workers; `post(url, delivery)` makes one post and
/// answers the receiver's [`Ack`], or an error when no answer came.
pub async fn load<P, F, E>(plan: LoadPlan, post: P) -> LoadReport
where
    P: Fn(Arc<str>, Delivery) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Ack, E>> + Send,
    E: Send + 'static,
{
    let deliveries = Arc::new(deliveries(&plan));
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(Vec::with_capacity(plan.count)));
    let url: Arc<str> = plan.url.as_str().into();
    let started = Instant::now();
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| {
            let (deliveries, next, answers, post, url) = (deliveries.clone(), next.clone(), answers.clone(), post.clone(), url.clone());
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
                    let answer = post(url.clone(), deliveries[i].clone()).await;
                    answers.lock().unwrap().push(answer.ok());
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

/// The plan's deliveries, generated before the clock starts.
fn deliveries(plan: &LoadPlan) -> Vec<Delivery> {
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
    deliveries
}

/// Adds up the answers (`None`: no answer came).
fn summarize(answers: Vec<Option<Ack>>, seconds: f64) -> LoadReport {
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
            Some(a) => {
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
            None => report.errors += 1,
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    report.p50_ms = quantile(&latencies, 0.5);
    report.p99_ms = quantile(&latencies, 0.99);
    report.p999_ms = quantile(&latencies, 0.999);
    report.max_ms = latencies.last().copied().unwrap_or(0.0);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(status: u16, body: &str, ms: u64) -> Option<Ack> {
        Some(Ack { status, body: body.into(), latency: Duration::from_millis(ms) })
    }

    #[test]
    fn the_report_sorts_answers_into_received_duplicate_and_error() {
        let answers = vec![
            ack(200, r#"{"status":"received"}"#, 1),
            ack(200, r#"{"status":"duplicate-ignored"}"#, 2),
            ack(503, "", 3),
            None,
        ];
        let r = summarize(answers, 2.0);
        assert_eq!((r.sent, r.received, r.duplicate_ignored, r.errors), (4, 1, 1, 2), "a 503 and a lost post are both errors");
        assert_eq!(r.status_counts.get(&200), Some(&2));
        assert_eq!(r.max_ms, 3.0, "latency counts every answer that came");
        assert_eq!(r.throughput_per_s, 2.0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_planned_delivery_is_handed_to_post_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let plan = LoadPlan { url: "http://x/".into(), count: 50, concurrency: 4, duplicates: 0.2, rate: None, seed: 9 };
        let record = seen.clone();
        let report = load(plan, move |url, d| {
            let record = record.clone();
            async move {
                assert_eq!(&*url, "http://x/", "the plan's URL is passed through");
                record.lock().unwrap().push(d.event_id);
                Ok::<_, ()>(Ack { status: 200, body: r#"{"status":"received"}"#.into(), latency: Duration::ZERO })
            }
        })
        .await;
        let seen = seen.lock().unwrap();
        assert_eq!((report.sent, seen.len()), (50, 50), "each of the plan's deliveries is posted exactly once");
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert!(unique.len() < 50, "a duplicates share of 0.2 repeats some event ids");
    }
}
