//! Intake benchmark: throughput and ack latency of the real `kds` binary at
//! concurrency 1, 8 and 64, with and without group commit, and a paced run
//! at 100 deliveries/s. Each cell runs `BENCH_REPS` times (default 3) on a
//! fresh data dir, alternating configurations; the table shows medians.
//!
//! Run: `cargo bench --bench intake` (figures go to stdout).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kds::klikit::WebhookSecret;
use kds::server::Listening;
use kds::client::{self, Delivery};
use kds_sim::{Ack, LoadPlan, LoadReport};

const SECRET: &str = "bench-secret";

struct Kds {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Kds {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

fn start(group_commit: bool) -> Kds {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kds"))
        .args(["serve", "--webhook-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("KLIKIT_WEBHOOK_SECRET", SECRET)
        .env("KDS_GROUP_COMMIT", if group_commit { "1" } else { "0" })
        .env("KDS_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .expect("kds starts");
    let url = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok).find_map(|l| Listening::parse(&l)).expect("listening line").intake_url;
    Kds { child, url, _dir: dir }
}


#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let reps: usize = std::env::var("BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let secret = WebhookSecret::new(SECRET).unwrap();
    println!("# kds intake benchmark ({} cores, {reps} reps per cell, medians)", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!("| group commit | concurrency | rate | deliveries | throughput/s | p50 ms | p99 ms | p99.9 ms | non-2xx |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let cells: Vec<(usize, Option<f64>, usize)> = vec![(1, None, 400), (8, None, 2000), (64, None, 4000), (8, Some(100.0), 1000)];
    for (concurrency, rate, count) in cells {
        let mut results: [(bool, Vec<LoadReport>); 2] = [(true, Vec::new()), (false, Vec::new())];
        for rep in 0..reps {
            for (group_commit, out) in results.iter_mut() {
                let kds = start(*group_commit);
                let plan = LoadPlan { url: kds.url.clone(), count, concurrency, duplicates: 0.0, rate, seed: rep as u64 + 1 };
                let http = client::client();
                let secret = secret.clone();
                out.push(
                    kds_sim::load(plan, move |url, d| {
                        let (http, secret) = (http.clone(), secret.clone());
                        async move {
                            let d = Delivery::from_headers(d.event_id, d.event_type, d.body).expect("kds-sim generates only event types kds knows");
                            let a = client::post(&http, &url, &secret, &d).await?;
                            Ok::<_, client::ClientError>(Ack { status: a.status, body: a.body, latency: a.latency })
                        }
                    })
                    .await,
                );
                drop(kds);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        for (group_commit, reports) in results {
            let m = |f: fn(&LoadReport) -> f64| kds_sim::median(reports.iter().map(f).collect());
            let errors: usize = reports.iter().map(|r| r.errors).sum();
            println!(
                "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                if group_commit { "on" } else { "off" },
                concurrency,
                rate.map(|r| format!("{r}/s")).unwrap_or_else(|| "max".into()),
                count,
                m(|r| r.throughput_per_s),
                m(|r| r.p50_ms),
                m(|r| r.p99_ms),
                m(|r| r.p999_ms),
                errors
            );
        }
    }
}
