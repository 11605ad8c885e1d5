//! Side by side: the same `kds load` run against kds (durable: group commit,
//! `synchronous=FULL`), kds with `KDS_SYNCHRONOUS=normal`, and the Express
//! reference receiver of `bench/peers/express` (not durable: a Set in memory),
//! alternating, on one machine, in one go.
//!
//! Rows: concurrency 1, 8, 64 and 256 as fast as possible, then a paced run
//! at 100 deliveries/s. Each cell runs `BENCH_REPS` times (default 3) on a
//! fresh server and data dir, after an unmeasured warm-up of up to 300
//! deliveries (node's JIT needs it); the table shows medians, and each kds row its
//! ratio to the peer (throughput kds/peer, higher is better; p99 kds/peer,
//! lower is better). Each row also shows the CPU time the receiver and the
//! load generator spent per delivery, and the cores they kept busy together.
//!
//! Run it through `bench/run` (it installs the peer's npm packages first), or
//! `cargo bench --bench sidebyside` once `bench/peers/express/node_modules`
//! exists. `BENCH_SCALE` (default 1) multiplies the delivery counts;
//! `BENCH_ONLY=64` (a concurrency, or `paced`) runs one row.

#[path = "../tests/support/process.rs"]
mod process;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kds_sim::LoadReport;

const SECRET: &str = "bench-secret";

#[derive(Clone, Copy, PartialEq)]
enum Target {
    KdsFull,
    KdsNormal,
    Express,
}

impl Target {
    const ALL: [Target; 3] = [Target::KdsFull, Target::KdsNormal, Target::Express];
    fn name(self) -> &'static str {
        match self {
            Target::KdsFull => "kds (FULL)",
            Target::KdsNormal => "kds (NORMAL)",
            Target::Express => "express peer",
        }
    }
}

/// A running receiver under test; stopped with SIGTERM on drop.
enum Running {
    Kds(process::KdsProcess, tempfile::TempDir),
    Peer(Child),
}

impl Running {
    fn start(target: Target) -> (Running, String) {
        match target {
            Target::KdsFull | Target::KdsNormal => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let sync = if target == Target::KdsFull { "full" } else { "normal" };
                let kds = process::serve(dir.path(), SECRET, &[("KDS_SYNCHRONOUS", sync), ("KDS_LOG", "error")]);
                let url = kds.intake_url.clone();
                (Running::Kds(kds, dir), url)
            }
            Target::Express => {
                let mut child = Command::new("node")
                    .arg(peer_dir().join("server.js"))
                    .env("KLIKIT_WEBHOOK_SECRET", SECRET)
                    .env("PORT", "0")
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("node runs the Express peer (is node installed?)");
                let line = BufReader::new(child.stdout.take().unwrap())
                    .lines()
                    .map_while(Result::ok)
                    .find(|l| l.starts_with("peer listening:"))
                    .expect("the peer prints its listening line");
                let url = line.trim_start_matches("peer listening:").trim().to_string();
                (Running::Peer(child), url)
            }
        }
    }

    fn pid(&self) -> u32 {
        match self {
            Running::Kds(kds, _) => kds.child.id(),
            Running::Peer(child) => child.id(),
        }
    }

    fn stop(self) {
        match self {
            Running::Kds(kds, _dir) => {
                kds.terminate();
            }
            Running::Peer(mut child) => {
                unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
                let _ = child.wait();
            }
        }
    }
}

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/peers/express")
}

/// One `kds load` run (the real CLI) against `url`.
fn kds_load(url: &str, count: usize, concurrency: usize, rate: Option<f64>, seed: u64) -> LoadReport {
    let scratch = tempfile::tempdir().expect("a temp dir");
    let mut cmd = Command::new(process::kds_bin());
    cmd.args(["load", "--json", "--url", url, "--count", &count.to_string(), "--concurrency", &concurrency.to_string(), "--seed", &seed.to_string()])
        .arg("--data-dir")
        .arg(scratch.path())
        .env("KLIKIT_WEBHOOK_SECRET", SECRET)
        .env("KDS_LOG", "error");
    if let Some(rate) = rate {
        cmd.args(["--rate", &rate.to_string()]);
    }
    let out = cmd.output().expect("kds load runs");
    assert!(out.status.success(), "kds load failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("kds load --json prints one report")
}


/// CPU time (user + system) a live process has used so far, from
/// `/proc/PID/stat` (fields 14 and 15, in clock ticks).
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) may hold spaces; count fields after its ')'.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: u64 = fields.get(11..13).map(|f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum()).unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64)
}

/// CPU time (user + system) of every child process this one has waited for.
fn children_cpu() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Deliveries kds has stored but not applied to tickets yet (`applier.pending`
/// in `GET /api/health`), over a plain HTTP/1.1 request.
fn applier_pending(app_url: &str) -> u64 {
    use std::io::{Read, Write};
    let host = app_url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("kds's app listener accepts");
    write!(stream, "GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let health: serde_json::Value = serde_json::from_str(body).expect("health answers JSON");
    health["applier"]["pending"].as_u64().expect("health reports the applier's pending count")
}

/// One measured run: the load report, the CPU the receiver and the load
/// generator spent on it per delivery, and (kds) the rate at which every
/// delivery was also applied to tickets.
struct Measured {
    report: LoadReport,
    server_us: f64,
    client_us: f64,
    applied_per_s: Option<f64>,
}

/// Runs the measured load against `running`, reading both processes' CPU
/// time around it (the client is `kds load`, a child waited for inside). For
/// kds it waits until the kitchen has applied every delivery, so the
/// receiver's CPU includes that work even when it trails the acks.
fn measure(running: &Running, url: &str, count: usize, concurrency: usize, rate: Option<f64>, seed: u64) -> Measured {
    let (server0, client0) = (process_cpu(running.pid()), children_cpu());
    let report = kds_load(url, count, concurrency, rate, seed);
    let client1 = children_cpu();
    let applied_per_s = match running {
        Running::Kds(kds, _) => {
            let acked = std::time::Instant::now();
            while applier_pending(&kds.app_url) > 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            Some(report.sent as f64 / (report.seconds + acked.elapsed().as_secs_f64()))
        }
        Running::Peer(_) => None,
    };
    let server1 = process_cpu(running.pid());
    let per = |d: Duration| d.as_secs_f64() * 1e6 / report.sent.max(1) as f64;
    Measured { server_us: per(server1 - server0), client_us: per(client1 - client0), applied_per_s, report }
}

struct Cell {
    applied_per_s: Option<f64>,
    server_us: f64,
    client_us: f64,
    throughput: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    non_2xx: usize,
}

fn main() {
    assert!(peer_dir().join("node_modules/express").exists(), "run `npm ci` in bench/peers/express first (bench/run does it)");
    let reps: usize = std::env::var("BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let scale: f64 = std::env::var("BENCH_SCALE").ok().and_then(|v| v.parse().ok()).unwrap_or(1.0);
    let n = |count: f64| ((count * scale) as usize).max(50);
    let mut rows: Vec<(usize, Option<f64>, usize)> =
        vec![(1, None, n(1000.0)), (8, None, n(4000.0)), (64, None, n(8000.0)), (256, None, n(8000.0)), (8, Some(100.0), n(1500.0))];
    // BENCH_ONLY=64 (a concurrency, or `paced`) re-runs one row.
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        rows.retain(|(concurrency, rate, _)| if only == "paced" { rate.is_some() } else { rate.is_none() && only == concurrency.to_string() });
    }

    println!("## Side by side: kds vs the Express reference receiver\n");
    println!("{reps} runs per cell, alternating kds (FULL) / kds (NORMAL) / express on a fresh server each time, after an unmeasured warm-up of up to 300 deliveries; medians. Ratios are kds/peer.\n");
    println!("throughput/s counts acknowledged deliveries (for kds: durably stored). applied/s (kds) is the rate at which every delivery was also applied to the kitchen's tickets: deliveries over the time from the first post until nothing was pending. CPU columns: CPU time (user + system) per delivery of the receiver's process (`/proc/PID/stat`, for kds until everything was applied) and of the `kds load` client (`getrusage`), and the cores the two kept busy together (CPU per delivery × deliveries per second, for kds until everything was applied; this machine has {}).\n", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!("| receiver | concurrency | rate | deliveries | throughput/s | applied/s | p50 ms | p99 ms | p99.9 ms | non-2xx | receiver CPU µs/delivery | client CPU µs/delivery | cores busy | throughput ×peer | p99 ×peer |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (concurrency, rate, count) in rows {
        let mut reports: Vec<(Target, Vec<Measured>)> = Target::ALL.iter().map(|t| (*t, Vec::new())).collect();
        for rep in 0..reps {
            for (target, out) in reports.iter_mut() {
                let (running, url) = Running::start(*target);
                // Unmeasured warm-up: lets node's JIT and both servers' caches settle.
                kds_load(&url, count.min(300), concurrency, None, 1000 + rep as u64);
                out.push(measure(&running, &url, count, concurrency, rate, rep as u64 + 1));
                running.stop();
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        let cells: Vec<(Target, Cell)> = reports
            .into_iter()
            .map(|(t, r)| {
                let m = |f: fn(&Measured) -> f64| kds_sim::median(r.iter().map(f).collect());
                let non_2xx = r.iter().map(|r| r.report.errors).sum();
                let applied: Vec<f64> = r.iter().filter_map(|r| r.applied_per_s).collect();
                let cell = Cell {
                    applied_per_s: (!applied.is_empty()).then(|| kds_sim::median(applied)),
                    server_us: m(|r| r.server_us),
                    client_us: m(|r| r.client_us),
                    throughput: m(|r| r.report.throughput_per_s),
                    p50: m(|r| r.report.p50_ms),
                    p99: m(|r| r.report.p99_ms),
                    p999: m(|r| r.report.p999_ms),
                    non_2xx,
                };
                (t, cell)
            })
            .collect();
        let peer = &cells.iter().find(|(t, _)| *t == Target::Express).expect("the peer ran").1;
        for (target, c) in &cells {
            let ratios = if *target == Target::Express {
                "| | ".to_string()
            } else {
                format!("| {:.2} | {:.2} ", c.throughput / peer.throughput, c.p99 / peer.p99)
            };
            println!(
                "| {} | {} | {} | {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {:.0} | {:.2} {}|",
                target.name(),
                concurrency,
                rate.map(|r| format!("{r}/s")).unwrap_or_else(|| "max".into()),
                count,
                c.throughput,
                c.applied_per_s.map(|a| format!("{a:.0}")).unwrap_or_else(|| "".into()),
                c.p50,
                c.p99,
                c.p999,
                c.non_2xx,
                c.server_us,
                c.client_us,
                (c.server_us + c.client_us) * c.applied_per_s.unwrap_or(c.throughput) / 1e6,
                ratios
            );
        }
    }
}
