//! Year-scale benchmark: a year of a busy kitchen in one database, and what
//! it costs to start, show the board, report, and prune.
//!
//! It builds (once, cached under the target dir, keyed by [`VERSION`] and
//! the scale) a database of `DAYS` days of `ORDERS` orders a day, four
//! deliveries each (created, accepted, ready, delivered; one in twenty
//! cancelled instead), each body padded to `BODY` bytes like klikit's real
//! records, all through the real store and kitchen code: deliveries are
//! committed by `Store::insert_delivery` and applied by the kitchen rules
//! through `applier::apply_stored` at the time each arrived. (The build
//! uses `synchronous=NORMAL`, which changes how often it waits for the disk,
//! not what is stored.) Then, on a copy, it prints:
//!
//! - the file size without retention, and the data left at steady state
//!   with the default retention (pruning batches as of the day after the
//!   last; the pages still in use, which is what the file shrinks to once
//!   the incremental vacuum has handed the rest back), and how fast that
//!   vacuum hands pages back (given [`VACUUM_BUDGET`]);
//! - cold start: `Store::open` with its start-up checks (`quick_check`,
//!   migrations), after dropping the file from the page cache where it can;
//! - the first board snapshot (`open_tickets`);
//! - each report's time for the last day (target < 300 ms each);
//! - p50/p99 ack of signed deliveries over HTTP to a real server on the
//!   database, idle and while the pruning batches run (target: ≤ 2× idle).
//!
//! Run: `cargo bench --bench year` (full: 365 days × 600 orders × 12 KB; the
//! database is about 11 GB before pruning, and the copy as much again), or
//! `cargo bench --bench year -- --quick` (7 days × 100 orders, under 30 s).
//! `KDS_YEAR_DAYS`, `KDS_YEAR_ORDERS` and `KDS_YEAR_BODY` set the scale.
//!
//! `KDS_YEAR_PRUNE=nightly` builds as a kitchen lives: after each day, a
//! pruning pass under the default retention and the incremental vacuum, as
//! of the next midnight. The file then stays near its steady state (a full
//! year fits on a small disk), and the steady state is measured, not
//! extrapolated; "file size without retention" is then the size of that
//! pruned file, and the last pass (one night's work) is what the ack
//! figures during pruning and vacuum see.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kds::applier::{apply_stored, AppliedAt};
use kds::client::{self, Delivery};
use kds::config::Config;
use kds::kitchen::Kitchen;
use kds::klikit::WebhookSecret;
use kds::reports::{self, ReportFilter};
use kds::server::Server;
use kds::store::{NewDelivery, RetentionPolicy, Store, StoreOptions};
use serde_json::json;
use sha2::Digest;
use time::format_description::well_known::Rfc3339;
use time::{Duration as TimeDuration, OffsetDateTime};

/// Bump when what the build writes changes: an old cache is rebuilt.
const VERSION: u32 = 3;
const SECRET: &str = "year-bench-secret";
/// The last built day ends here (a fixed date, so a cache stays valid).
const LAST_DAY: time::Date = time::macros::date!(2026 - 11 - 29);
/// Tickets left open at the end of the last day: the board's snapshot.
const OPEN_AT_END: usize = 20;
/// Deliveries sent for each ack measurement, and their pace.
const ACKS: usize = 400;
const ACK_PACE: Duration = Duration::from_millis(25);
/// How long the incremental vacuum is given before the figure is taken
/// (handing back gigabytes can take far longer; the rate is the figure).
const VACUUM_BUDGET: Duration = Duration::from_secs(60);

struct Scale {
    days: u32,
    orders: u32,
    body: usize,
    /// Prune and vacuum after each built day (`KDS_YEAR_PRUNE=nightly`).
    nightly: bool,
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// xorshift: cheap, seeded, good enough for spreading times and words.
fn xorshift(rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    *rng
}

/// Words for the padding's text: a kitchen's vocabulary.
const WORDS: [&str; 64] = [
    "order", "item", "payment", "fee", "campaign", "voucher", "discount", "customer", "address", "note", "driver", "rider", "merchant", "brand", "outlet", "branch",
    "menu", "modifier", "option", "price", "tax", "service", "delivery", "pickup", "promo", "cashback", "wallet", "points", "status", "time", "created", "updated",
    "accepted", "ready", "table", "channel", "provider", "grab", "gofood", "shopee", "kitchen", "sambal", "nasi", "goreng", "ayam", "bakar", "es", "teh",
    "manis", "kopi", "susu", "mie", "rebus", "sate", "telur", "pedas", "extra", "jakarta", "selatan", "jalan", "raya", "nomor", "blok", "lantai",
];

/// About `bytes` of what klikit's records carry and the kitchen never reads
/// (payment, fees, customer, campaigns): objects of random words, numbers
/// and ids. It deflates about 3 times, less than a real record (fixture 01,
/// compact: 4.6 times), so the compressed bodies are not flattered.
fn padding(rng: &mut u64, bytes: usize) -> serde_json::Value {
    let mut entries = Vec::new();
    let mut size = 0;
    while size < bytes {
        let mut word = || WORDS[(xorshift(rng) % 64) as usize];
        let (k1, k2, t1, t2, t3) = (word(), word(), word(), word(), word());
        let e = json!({ "k": format!("{k1}_{k2}"), "v": xorshift(rng) % 1_000_000, "t": format!("{t1} {t2} {t3}"), "id": format!("{:08x}", xorshift(rng) as u32) });
        size += e.to_string().len() + 1;
        entries.push(e);
    }
    json!(entries)
}

/// An order's four deliveries, as `(received_at, event_type, body)`.
fn order_deliveries(feed: &mut kds_sim::Feed, rng: &mut u64, placed: OffsetDateTime, body: usize, leave_open: bool) -> Vec<(OffsetDateTime, &'static str, Vec<u8>)> {
    let mut order = feed.new_order(placed);
    order["status"] = json!(1);
    let base = serde_json::to_vec(&order).unwrap().len();
    // klikit's records carry much the kitchen never reads: one padding
    // field brings the body to size.
    order["additional_info"] = json!({ "bench_padding": padding(rng, body.saturating_sub(base + 80)) });
    let mut next = || xorshift(rng);
    let accept = placed + TimeDuration::seconds(30 + (next() % 150) as i64);
    let ready = accept + TimeDuration::seconds(240 + (next() % 900) as i64);
    let done = ready + TimeDuration::seconds(60 + (next() % 420) as i64);
    let cancel = next() % 20 == 0;
    let mut steps = vec![(placed, 1, "klikit.order.created.v2"), (accept, 2, "klikit.order.status.updated.v2")];
    if cancel {
        steps.push((accept + TimeDuration::seconds(90), 3, "klikit.order.status.updated.v2"));
        steps.push((accept + TimeDuration::seconds(95), 3, "klikit.order.status.updated.v2"));
    } else {
        steps.push((ready, 4, "klikit.order.status.updated.v2"));
        if !leave_open {
            steps.push((done, 5, "klikit.order.status.updated.v2"));
        } else {
            steps.push((ready + TimeDuration::seconds(5), 4, "klikit.order.status.updated.v2"));
        }
    }
    steps
        .into_iter()
        .map(|(at, status, event_type)| {
            order["status"] = json!(status);
            order["updated_at"] = json!(rfc(at));
            order["cancellation_reason"] = json!(if status == 3 { "Out of stock" } else { "" });
            let envelope = json!({ "brand_id": order["brands"][0]["id"].clone(), "branch_id": 3307, "orders": [order.clone()] });
            (at, event_type, serde_json::to_vec(&envelope).unwrap())
        })
        .collect()
}

/// Commits and applies one day's deliveries, each applied at its own time.
async fn build_day(store: &Store, kitchen: &Arc<Kitchen>, feed: &mut kds_sim::Feed, rng: &mut u64, day: time::Date, scale: &Scale, last: bool, seq: &mut u64) {
    let open = day.midnight().assume_utc() + TimeDuration::hours(3);
    let span = 12 * 3600 / scale.orders.max(1) as i64;
    let mut deliveries = Vec::with_capacity(scale.orders as usize * 4);
    for i in 0..scale.orders as usize {
        let placed = open + TimeDuration::seconds(i as i64 * span);
        let leave_open = last && i + OPEN_AT_END >= scale.orders as usize;
        deliveries.extend(order_deliveries(feed, rng, placed, scale.body, leave_open));
    }
    deliveries.sort_by_key(|d| d.0);
    for chunk in deliveries.chunks(kds::store::MAX_BATCH) {
        let inserts = chunk.iter().map(|(at, event_type, body)| {
            *seq += 1;
            store.insert_delivery(NewDelivery {
                event_id: format!("year-{seq}"),
                event_type: (*event_type).into(),
                body_sha256: hex::encode(sha2::Sha256::digest(body)),
                body: body.clone(),
                headers: json!({"x-klikit-event-type": event_type}),
                received_at: *at,
                unprocessable: None,
            })
        });
        for r in futures_util::future::join_all(inserts).await {
            r.expect("the year's deliveries are stored");
        }
    }
    loop {
        let pending = store.pending_deliveries(0, 256).await.unwrap();
        if pending.is_empty() {
            break;
        }
        apply_stored(store, kitchen, pending, AppliedAt::WhenReceived).await.unwrap();
    }
    // The clock rules' pass also trims the change feed, as the applier's does.
    store.tick_tickets(day.next_day().unwrap().midnight().assume_utc(), |_| None).await.unwrap();
}

fn file_size(path: &Path) -> u64 {
    let side = |s: &str| std::fs::metadata(format!("{}{s}", path.display())).map(|m| m.len()).unwrap_or(0);
    side("") + side("-wal")
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// One night's pruning and vacuum as of `now`, unpaced (nothing else runs
/// during the build), through the same store calls `maintenance` makes.
async fn nightly(store: &Store, now: OffsetDateTime) {
    while !store.prune_batch(RetentionPolicy::default(), now, kds::maintenance::BATCH_ROWS).await.expect("a pruning batch").is_empty() {}
    while store.release_free_pages(kds::maintenance::VACUUM_STEP_PAGES * 16).await.expect("a vacuum step") > 0 {}
}

/// Builds the database at `path` unless a finished one is cached there.
async fn build(path: &Path, scale: &Scale) -> Duration {
    let done_mark = path.with_extension("done");
    if done_mark.exists() && path.exists() {
        return Duration::ZERO;
    }
    for s in ["", "-wal", "-shm", ".marker"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
    let started = Instant::now();
    let store = Store::open(path, StoreOptions { synchronous_full: false, ..Default::default() }).unwrap();
    let kitchen = Arc::new(Kitchen::default());
    let mut feed = kds_sim::Feed::new(2026);
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut seq = 0;
    let first = LAST_DAY - TimeDuration::days(scale.days as i64 - 1);
    for d in 0..scale.days {
        let day = first + TimeDuration::days(d as i64);
        build_day(&store, &kitchen, &mut feed, &mut rng, day, scale, d + 1 == scale.days, &mut seq).await;
        if scale.nightly && d + 1 < scale.days {
            nightly(&store, day.next_day().unwrap().midnight().assume_utc()).await;
        }
        if d % 30 == 29 {
            eprintln!("  built {} of {} days, {} so far, {:.0} s", d + 1, scale.days, mb(file_size(path)), started.elapsed().as_secs_f64());
        }
    }
    store.close();
    std::fs::write(&done_mark, "built\n").unwrap();
    started.elapsed()
}

/// Asks the kernel to forget the file's cached pages (a cold start).
fn drop_from_page_cache(path: &Path) {
    for s in ["", "-wal"] {
        if let Ok(f) = std::fs::File::open(format!("{}{s}", path.display())) {
            use std::os::fd::AsRawFd;
            unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Sends `ACKS` signed deliveries at `ACK_PACE`, one at a time, or until
/// `until` turns true; returns the sorted ack times in ms.
async fn acks(server: &Server, feed: &mut kds_sim::Feed, until: impl Fn() -> bool) -> Vec<f64> {
    let http = client::client();
    let secret = WebhookSecret::new(SECRET).unwrap();
    let url = format!("http://{}/webhooks/klikit", server.intake_addr());
    let mut times = Vec::with_capacity(ACKS);
    for _ in 0..ACKS {
        if until() {
            break;
        }
        let d = feed.next(OffsetDateTime::now_utc());
        let d = Delivery::from_headers(d.event_id, d.event_type, d.body).unwrap();
        let answer = client::post(&http, &url, &secret, &d).await.expect("the intake answers");
        assert!(answer.status < 300, "every delivery is acknowledged: {} {}", answer.status, answer.body);
        times.push(answer.latency.as_secs_f64() * 1000.0);
        tokio::time::sleep(ACK_PACE).await;
    }
    times.sort_by(f64::total_cmp);
    times
}

async fn time_it<T>(f: impl std::future::Future<Output = T>) -> (T, f64) {
    let started = Instant::now();
    let out = f.await;
    (out, started.elapsed().as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = Scale {
        days: env_or("KDS_YEAR_DAYS", if quick { 7 } else { 365 }) as u32,
        orders: env_or("KDS_YEAR_ORDERS", if quick { 100 } else { 600 }) as u32,
        body: env_or("KDS_YEAR_BODY", 12_000) as usize,
        nightly: std::env::var("KDS_YEAR_PRUNE").is_ok_and(|v| v == "nightly"),
    };
    let target = PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").into()));
    let cache = target.join("year-bench");
    std::fs::create_dir_all(&cache).unwrap();
    let mode = if scale.nightly { "-nightly" } else { "" };
    let cached = cache.join(format!("v{VERSION}-{}d-{}o-{}b{mode}.sqlite", scale.days, scale.orders, scale.body));
    println!(
        "# kds year benchmark: {} days × {} orders × 4 deliveries, {} B bodies{} ({} cores)",
        scale.days,
        scale.orders,
        scale.body,
        if scale.nightly { ", pruned nightly" } else { "" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    let built = build(&cached, &scale).await;
    if built > Duration::ZERO {
        println!("built in {:.0} s ({:.0} deliveries/s through the store and kitchen)", built.as_secs_f64(), (scale.days * scale.orders * 4) as f64 / built.as_secs_f64());
    } else {
        println!("database from the cache: {}", cached.display());
    }

    // Work on a copy: pruning changes it.
    let dir = tempfile::tempdir_in(&cache).unwrap();
    let path = dir.path().join("kds.sqlite");
    std::fs::copy(&cached, &path).unwrap();
    let unpruned = file_size(&path);

    drop_from_page_cache(&path);
    let (store, open_ms) = time_it(async { Store::open(&path, StoreOptions::default()).unwrap() }).await;
    let (snapshot, snapshot_ms) = time_it(store.open_tickets()).await;
    let (_seq, open_tickets) = snapshot.expect("the board's snapshot reads");
    let (_, warm_snapshot_ms) = time_it(async { store.open_tickets().await.expect("the board's snapshot reads") }).await;

    let zone = jiff::tz::TimeZone::UTC;
    let filter = ReportFilter::default();
    let now = LAST_DAY.next_day().unwrap().midnight().assume_utc();
    let (per_hour, per_hour_ms) = time_it(reports::orders_per_hour(&store, LAST_DAY, &zone, &filter)).await;
    per_hour.expect("orders per hour reads");
    let (facts, facts_ms) = time_it(reports::day_facts(&store, LAST_DAY, &zone)).await;
    let facts = facts.unwrap();
    let started = Instant::now();
    let columns = facts.column_times(&filter, now);
    let late = facts.late_share(&filter, 10, now);
    let summary = facts.summary(&filter, now);
    let compute_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (report, whole_ms) = time_it(reports::day_report(&store, LAST_DAY, &zone, filter.clone(), 10, now)).await;
    let report = report.unwrap();
    let busiest = |f: &dyn Fn(&str) -> ReportFilter| f(report.options.brands.first().map(String::as_str).unwrap_or(""));
    let (filtered, filtered_ms) = time_it(reports::day_report(&store, LAST_DAY, &zone, busiest(&|b| ReportFilter { brand: Some(b.into()), ..Default::default() }), 10, now)).await;
    filtered.expect("a filtered report reads");
    store.close();

    println!();
    println!("| figure | value | target |");
    println!("|---|---|---|");
    if scale.nightly {
        println!("| file size, pruned every night (before the last night's pass) | {} | |", mb(unpruned));
    } else {
        println!("| file size without retention | {} ({:.1} MB a day) | |", mb(unpruned), unpruned as f64 / 1e6 / scale.days as f64);
    }
    {
        let c = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let (count, stored): (i64, i64) = c.query_row("SELECT count(*), coalesce(sum(length(deflated)), 0) FROM delivery_bodies", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        println!("| bodies kept (deflated) | {count} bodies, {} ({:.1} KB each, {:.1}× smaller than {} B) | |", mb(stored as u64), stored as f64 / count.max(1) as f64 / 1e3, (count as f64 * scale.body as f64) / stored.max(1) as f64, scale.body);
    }
    println!("| cold start (`Store::open`: quick_check, migrations) | {open_ms:.0} ms | < 1 s |");
    println!("| first board snapshot ({} open tickets) | {snapshot_ms:.1} ms (warm {warm_snapshot_ms:.1} ms) | |", open_tickets.len());
    println!("| report: orders per hour (day + 4 weeks) | {per_hour_ms:.1} ms | < 300 ms |");
    println!("| report: the day's facts (tickets + column moves) | {facts_ms:.1} ms | < 300 ms |");
    println!("| report: column times + late share + summary from the facts | {compute_ms:.2} ms | |");
    println!("| report: the whole day (`/api/reports/day`'s work) | {whole_ms:.1} ms; filtered by a brand {filtered_ms:.1} ms | < 300 ms |");
    println!(
        "| last day | {} orders, preparing median {:?} s, late {}/{}, average ticket {:?} s | |",
        summary.orders,
        columns.iter().find(|c| c.column == kds::kitchen::Column::Preparing).and_then(|c| c.median_seconds),
        late.late,
        late.tickets,
        summary.average_ticket_seconds
    );

    // Acks, idle and while pruning runs, through a real server on the file.
    let mut config = Config::for_data_dir(dir.path());
    config.webhook_secret = WebhookSecret::new(SECRET);
    // The maintenance loop must not start pruning on its own here.
    config.retention.idle_minutes = u32::MAX / 120;
    config.retention.quiet_hour = ((OffsetDateTime::now_utc().hour() + 12) % 24) as u8;
    config.retention.nightly_backup = false;
    let server = Server::start(config).await.expect("kds starts on the year's database");
    let mut feed = kds_sim::Feed::new(7);
    let idle = acks(&server, &mut feed, || false).await;
    println!("| ack idle ({} deliveries, one at a time every {} ms) | p50 {:.2} ms, p99 {:.2} ms | |", idle.len(), ACK_PACE.as_millis(), percentile(&idle, 0.5), percentile(&idle, 0.99));
    let store = server.store().clone();
    let pruning_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = pruning_done.clone();
    let prune_store = store.clone();
    // The pass's batches, paced as the maintenance loop paces them
    // (`maintenance::prune_pass`), with the policy as of the day after the
    // last: what remains is the steady state.
    let pruning = tokio::spawn(async move {
        let started = Instant::now();
        let mut total = kds::store::Pruned::default();
        loop {
            let p = prune_store.prune_batch(RetentionPolicy::default(), now + TimeDuration::days(1), kds::maintenance::BATCH_ROWS).await.expect("a pruning batch");
            if p.is_empty() {
                break;
            }
            total.add(p);
            tokio::time::sleep(kds::maintenance::BATCH_PAUSE).await;
        }
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        (total, started.elapsed())
    });
    let done = pruning_done.clone();
    let during = acks(&server, &mut feed, move || done.load(std::sync::atomic::Ordering::SeqCst)).await;
    println!(
        "| ack while pruning ({} deliveries) | p50 {:.2} ms, p99 {:.2} ms ({:.2}× idle) | ≤ 2× idle |",
        during.len(),
        percentile(&during, 0.5),
        percentile(&during, 0.99),
        percentile(&during, 0.99) / percentile(&idle, 0.99)
    );
    let (pruned, prune_time) = pruning.await.unwrap();
    println!("| pruning batches (default retention, {} rows each, {} ms pauses) | {:.0} s: {:?} | |", kds::maintenance::BATCH_ROWS, kds::maintenance::BATCH_PAUSE.as_millis(), prune_time.as_secs_f64(), pruned);
    // The data left: what a full VACUUM would shrink the file to, and what
    // the incremental vacuum hands back in a bounded time.
    let pages = |path: &Path| -> (u64, u64, u64) {
        let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64;
        (q("PRAGMA page_count"), q("PRAGMA freelist_count"), q("PRAGMA page_size"))
    };
    let (count, free, size) = pages(&path);
    println!("| data at steady state (default retention: pages in use after the batches) | {} (file {} with {} free) | < 1.5 GB |", mb((count - free) * size), mb(count * size), mb(free * size));
    // The vacuum steps go through the same writer as the deliveries: acks
    // are measured while they run too.
    let vacuum_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = vacuum_done.clone();
    let vacuum_store = store.clone();
    let vacuum = tokio::spawn(async move {
        let started = Instant::now();
        let mut steps = Vec::new();
        // `release_free_pages` answers the free pages still to hand back.
        let mut remaining = free;
        while started.elapsed() < VACUUM_BUDGET && remaining > 0 {
            // Paced as `maintenance::prune_pass` paces them.
            let step = Instant::now();
            remaining = vacuum_store.release_free_pages(kds::maintenance::VACUUM_STEP_PAGES).await.expect("an incremental vacuum step") as u64;
            let took = step.elapsed();
            steps.push(took.as_secs_f64() * 1000.0);
            tokio::time::sleep(kds::maintenance::vacuum_pause(took, kds::maintenance::BATCH_PAUSE)).await;
        }
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        (free.saturating_sub(remaining), started.elapsed().as_secs_f64(), steps)
    });
    let done = vacuum_done.clone();
    let during_vacuum = acks(&server, &mut feed, move || done.load(std::sync::atomic::Ordering::SeqCst)).await;
    let (released, secs, mut steps) = vacuum.await.unwrap();
    steps.sort_by(f64::total_cmp);
    println!(
        "| incremental vacuum ({} pages a step, pauses of {} ms or the step's time) | {} handed back in {:.0} s ({:.1} MB/s); a step takes p50 {:.0} ms, max {:.0} ms | |",
        kds::maintenance::VACUUM_STEP_PAGES,
        kds::maintenance::BATCH_PAUSE.as_millis(),
        mb(released * size),
        secs,
        released as f64 * size as f64 / 1e6 / secs,
        percentile(&steps, 0.5),
        steps.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "| ack while the vacuum runs ({} deliveries) | p50 {:.2} ms, p99 {:.2} ms ({:.2}× idle) | ≤ 2× idle |",
        during_vacuum.len(),
        percentile(&during_vacuum, 0.5),
        percentile(&during_vacuum, 0.99),
        percentile(&during_vacuum, 0.99) / percentile(&idle, 0.99)
    );
    server.shutdown().await;
}
