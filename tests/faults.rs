//! Fault injection: SIGKILL loops under load, a full disk, and slow-client
//! attacks. CI (`scripts/test`) runs the short versions; `KDS_FAULTS_LONG=1`
//! (what `bench/run faults` sets) runs the long ones and prints the counts.
//! Lines starting `faults:` are the report.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kds::alert::{Alert, Alerts};
use kds::applier::Applier;
use kds::kitchen::Kitchen;
use kds::klikit::{self, Envelope, EventType, WebhookSecret};
use kds::client::{self, Delivery};
use kds::store::{NewDelivery, Store, StoreOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::process::{serve, KdsProcess};
use support::{Feed, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

fn long() -> bool {
    std::env::var("KDS_FAULTS_LONG").is_ok_and(|v| v == "1")
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile_ms(mut v: Vec<Duration>, q: f64) -> f64 {
    let mut ms: Vec<f64> = v.drain(..).map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    kds_sim::quantile(&ms, q)
}

/// Stores `orders` generated orders (as created deliveries) straight into the
/// store, fast (`synchronous=NORMAL` for the prefill only), and applies them
/// to the kitchen, so the database looks like a busy kitchen's: 100k
/// deliveries in the inbox and 100k tickets.
async fn prefill(path: &std::path::Path, orders: usize) -> usize {
    let started = Instant::now();
    let store = tokio::task::spawn_blocking({
        let path = path.to_owned();
        move || Store::open(&path, StoreOptions { synchronous_full: false, ..StoreOptions::default() }).unwrap()
    })
    .await
    .unwrap();
    let mut feed = Feed::new(1_000_003);
    let now = time::OffsetDateTime::now_utc();
    let mut stored_orders = 0;
    let mut deliveries = 0;
    while stored_orders < orders {
        let chunk: Vec<Delivery> = (0..4096).map(|_| feed.next(now)).filter(|d| d.event_type == EventType::OrderCreated).collect();
        stored_orders += chunk.iter().map(|d| Envelope::parse(&d.body).unwrap().order_ids.len()).sum::<usize>();
        deliveries += chunk.len();
        let inserts = chunk.into_iter().map(|d| {
            store.insert_delivery(NewDelivery {
                event_id: d.event_id,
                event_type: d.event_type.as_str().into(),
                body_sha256: klikit::body_sha256(&d.body),
                body: d.body,
                headers: serde_json::json!({}),
                received_at: now,
                unprocessable: None,
            })
        });
        for r in futures_util::future::join_all(inserts).await {
            r.expect("prefill inserts succeed");
        }
    }
    let applier = Applier::new(store.clone(), Arc::new(Kitchen::default()), Alerts::default(), Arc::new(Notify::new()));
    applier.drain().await.expect("the prefill applies to tickets");
    tokio::task::spawn_blocking(move || store.close()).await.unwrap();
    eprintln!("faults: prefilled {stored_orders} orders in {deliveries} deliveries in {:.1} s", started.elapsed().as_secs_f64());
    stored_orders
}

/// Starts `kds serve` and returns it with the time until `/healthz` answered.
async fn start_timed(dir: &std::path::Path, secret: &str) -> (KdsProcess, Duration) {
    let started = Instant::now();
    let dir = dir.to_owned();
    let secret = secret.to_owned();
    let kds = tokio::task::spawn_blocking(move || serve(&dir, &secret, &[])).await.unwrap();
    let health = kds.intake_url.replace("/webhooks/klikit", "/healthz");
    let client = reqwest::Client::new();
    support::eventually("kds answers /healthz after a restart", Duration::from_secs(30), || {
        let (client, health) = (client.clone(), health.clone());
        async move { client.get(&health).send().await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
    })
    .await;
    (kds, started.elapsed())
}

/// The stored body digest of each event id in the inbox.
fn stored_digests(db: &std::path::Path) -> HashMap<String, String> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT event_id, body_sha256 FROM inbox").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.map(Result::unwrap).collect()
}

fn integrity(db: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

/// Waits until the applier has applied every stored delivery, then checks in
/// the ticket log that each applied delivery was applied exactly once: every
/// applied delivery has klikit events, no other delivery has any, and the
/// events of one delivery for one order were written by one application
/// (one `at`, contiguous ids; a second application after a restart would
/// carry another time).
async fn assert_applied_exactly_once(db: &std::path::Path) -> (i64, i64) {
    let count = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    support::eventually("the applier applies every stored delivery", Duration::from_secs(300), || {
        let pending = count("SELECT count(*) FROM inbox WHERE state = 'pending'");
        async move { (pending == 0).then_some(()) }
    })
    .await;
    assert_eq!(count("SELECT count(*) FROM inbox WHERE state = 'unprocessable'"), 0, "every generated delivery is applicable");
    let unlogged = count("SELECT count(*) FROM inbox WHERE state = 'applied' AND seq NOT IN (SELECT delivery_seq FROM ticket_events WHERE delivery_seq IS NOT NULL)");
    assert_eq!(unlogged, 0, "every applied delivery left its events in the ticket log");
    let stray = count("SELECT count(*) FROM ticket_events e JOIN inbox i ON i.seq = e.delivery_seq WHERE i.state != 'applied'");
    assert_eq!(stray, 0, "no delivery that is not marked applied has changed a ticket");
    let twice = count(
        "SELECT count(*) FROM (SELECT delivery_seq, order_id FROM ticket_events WHERE source = 'klikit' AND delivery_seq IS NOT NULL
         GROUP BY delivery_seq, order_id HAVING count(DISTINCT at) > 1 OR max(id) - min(id) + 1 != count(*))",
    );
    assert_eq!(twice, 0, "no delivery may be applied twice to an order");
    (count("SELECT count(*) FROM inbox WHERE state = 'applied'"), count("SELECT count(*) FROM tickets"))
}

const CRASH_SECRET: &str = "crash-loop-secret";

/// SIGKILL the real binary at a random moment under load (and mid-apply),
/// again and again. After each restart: every acknowledged delivery is
/// stored byte-exact (by digest), `integrity_check` is ok, and kds answers
/// again (within 30 s, a liveness bound, not a speed target: the restart
/// times are printed, median and worst, with 100k stored orders, and quoted in
/// `bench/RESULTS.md`; a timed assertion here failed on a loaded machine for
/// no fault of kds). At the end every delivery has
/// been applied to the kitchen exactly once. Deliveries left unanswered by a kill are retried
/// in the next cycle, as klikit would.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_loop_loses_nothing_acknowledged_and_restarts() {
    let cycles = env_usize("KDS_CRASH_CYCLES", if long() { 500 } else { 20 });
    let orders = env_usize("KDS_CRASH_PREFILL", 100_000);
    let per_cycle = 300;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(kds::config::DATABASE_FILE);
    prefill(&db, orders).await;

    let secret = WebhookSecret::new(CRASH_SECRET).unwrap();
    let client = client::client();
    let mut feed = Feed::new(77);
    let mut rng = StdRng::seed_from_u64(0xC0FFEE);
    let mut acked: HashMap<String, String> = HashMap::new();
    let mut unanswered: Vec<Delivery> = Vec::new();
    let mut restarts = Vec::with_capacity(cycles);
    let mut killed_mid_flight = 0;
    let loop_started = Instant::now();
    let (mut kds, first_start) = start_timed(dir.path(), CRASH_SECRET).await;
    eprintln!("faults: first start with {orders} orders ready in {:.0} ms", first_start.as_secs_f64() * 1000.0);

    for cycle in 0..cycles {
        let now = time::OffsetDateTime::now_utc();
        let mut batch = std::mem::take(&mut unanswered);
        batch.extend((0..per_cycle).map(|_| feed.next(now)));
        let url = kds.intake_url.clone();
        let kill_at = Duration::from_millis(rng.random_range(5..250));
        let posting = futures_util::stream::iter(batch.into_iter().map(|d| {
            let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
            async move {
                let answer = client::post(&client, &url, &secret, &d).await;
                (d, answer)
            }
        }))
        .buffer_unordered(16)
        .collect::<Vec<_>>();
        let killer = async {
            tokio::time::sleep(kill_at).await;
            tokio::task::spawn_blocking(move || kds.kill9()).await.unwrap();
        };
        let (answers, ()) = tokio::join!(posting, killer);
        let mut this_cycle = Vec::new();
        for (d, answer) in answers {
            match answer {
                Ok(a) if (200..300).contains(&a.status) => {
                    this_cycle.push(d.event_id.clone());
                    acked.insert(d.event_id, klikit::body_sha256(&d.body));
                }
                Ok(a) => panic!("cycle {cycle}: a live kds answered {} {} to a valid delivery", a.status, a.body),
                Err(_) => unanswered.push(d),
            }
        }
        if !unanswered.is_empty() {
            killed_mid_flight += 1;
        }

        let (restarted, took) = start_timed(dir.path(), CRASH_SECRET).await;
        kds = restarted;
        restarts.push(took);
        assert_eq!(integrity(&db), "ok", "cycle {cycle}: the database survives SIGKILL intact");
        let conn = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let mut lookup = conn.prepare("SELECT body_sha256 FROM inbox WHERE event_id = ?1").unwrap();
        for id in &this_cycle {
            let stored: Option<String> = lookup.query_row([id], |r| r.get(0)).ok();
            assert_eq!(stored.as_ref(), acked.get(id), "cycle {cycle}: acknowledged delivery {id} must be stored with the exact bytes acknowledged");
        }
    }
    // The last cycle's unanswered deliveries are retried once more, so that
    // every delivery of the run ends up acknowledged.
    for d in std::mem::take(&mut unanswered) {
        let a = client::post(&client, &kds.intake_url, &secret, &d).await.expect("a live kds answers");
        assert!((200..300).contains(&a.status), "a retried delivery is accepted: {} {}", a.status, a.body);
        acked.insert(d.event_id.clone(), klikit::body_sha256(&d.body));
    }
    let stored = stored_digests(&db);
    let (applied, tickets) = assert_applied_exactly_once(&db).await;
    let missing = acked.iter().filter(|(id, sha)| stored.get(*id) != Some(*sha)).count();
    let max_restart = restarts.iter().max().copied().unwrap_or_default();
    eprintln!(
        "faults: crash loop: {cycles} SIGKILL cycles ({killed_mid_flight} with requests in flight), {} deliveries acknowledged, {missing} missing, integrity ok every cycle, {applied} deliveries applied exactly once into {tickets} tickets; ready again after restart: median {:.0} ms, max {:.0} ms with {orders}+ orders stored; {:.1} s",
        acked.len(),
        percentile_ms(restarts.clone(), 0.5),
        max_restart.as_secs_f64() * 1000.0,
        loop_started.elapsed().as_secs_f64()
    );
    assert_eq!(missing, 0, "no acknowledged delivery may be missing or altered after {cycles} crashes");
    let status = kds.terminate();
    assert!(status.success(), "kds still stops cleanly after the crash loop: {status:?}");
}

/// The database runs out of room: every delivery that cannot be stored is
/// answered 503 with Retry-After (never 2xx), and once there is room again
/// the intake recovers by itself: klikit's retries are all accepted and
/// nothing acknowledged is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storage_full_is_503_never_2xx_and_recovers_when_room_returns() {
    let t = TestServer::start().await;
    let store = t.server.store().clone();
    let url = t.intake_url();
    let mut alerts = t.server.alerts().subscribe();
    let pages = store.page_count().await.unwrap();
    store.set_max_page_count(Some(pages + 12)).await.unwrap();

    let mut feed = Feed::new(5);
    let now = time::OffsetDateTime::now_utc();
    let deliveries: Vec<Delivery> = (0..if long() { 3000 } else { 400 }).map(|_| feed.next(now)).collect();
    let answers: Vec<(usize, (u16, Option<String>))> = futures_util::stream::iter(deliveries.iter().enumerate())
        .map(|(i, d)| {
            let (client, url, secret) = (&t.client, &url, &t.secret);
            async move {
                let a = client::post(client, url, secret, d).await.expect("the intake answers");
                (i, (a.status, a.retry_after))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut refused = Vec::new();
    for (i, (status, retry_after)) in &answers {
        match status {
            200 => {
                let stored = store.delivery(&deliveries[*i].event_id).await.unwrap();
                assert_eq!(stored.map(|s| s.body), Some(deliveries[*i].body.clone()), "a 2xx is only given for a stored delivery, even with the disk full");
            }
            503 => {
                assert!(retry_after.is_some(), "a 503 for a full disk tells klikit when to retry");
                refused.push(*i);
            }
            other => panic!("a full disk is answered 503, got {other}"),
        }
    }
    assert!(!refused.is_empty(), "the cap of {} pages must have been reached by {} deliveries", pages + 12, deliveries.len());
    // Still full: nothing new is acknowledged.
    let more: Vec<Delivery> = (0..20).map(|_| feed.next(now)).collect();
    for d in &more {
        let status = client::post(&t.client, &url, &t.secret, d).await.expect("the intake answers").status;
        assert_eq!(status, 503, "while the disk is full no delivery may be acknowledged");
    }

    // The receiver's alerts raised so far (new-order alerts are skipped).
    let receiver_alerts = |alerts: &mut tokio::sync::broadcast::Receiver<Alert>| {
        let mut seen = Vec::new();
        loop {
            match alerts.try_recv() {
                Ok(a @ (Alert::ReceiverDown { .. } | Alert::ReceiverUp)) => seen.push(a),
                Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(_) => return seen,
            }
        }
    };
    let down = receiver_alerts(&mut alerts);
    assert!(
        matches!(down.as_slice(), [Alert::ReceiverDown { reason }] if reason.contains("disk is full")),
        "the kitchen is told once that orders are being refused, and why (got {down:?})"
    );

    // Room again; no restart, no operator action on the intake.
    store.set_max_page_count(None).await.unwrap();
    let retries: Vec<&Delivery> = refused.iter().map(|&i| &deliveries[i]).chain(more.iter()).collect();
    for d in &retries {
        let status = client::post(&t.client, &url, &t.secret, d).await.expect("the intake answers").status;
        assert_eq!(status, 200, "once there is room, klikit's retry is accepted");
    }
    for d in deliveries.iter().chain(more.iter()) {
        let stored = store.delivery(&d.event_id).await.unwrap();
        assert_eq!(stored.map(|s| s.body), Some(d.body.clone()), "after recovery every delivery is stored exactly once, byte-exact");
    }
    assert_eq!(store.inbox_counts().await.unwrap().total, (deliveries.len() + more.len()) as i64, "one row per delivery, none twice");
    // Up again once storing has worked for a quiet 10 s (not at the first
    // delivery that fits: on a nearly full disk small ones still do).
    assert_eq!(receiver_alerts(&mut alerts), vec![], "right after the disk had room again it is too early to say so");
    let deadline = Instant::now() + Duration::from_secs(30);
    let up = loop {
        let status = client::post(&t.client, &url, &t.secret, &feed.next(now)).await.expect("the intake answers").status;
        assert_eq!(status, 200, "with room, every delivery is accepted");
        let seen = receiver_alerts(&mut alerts);
        if !seen.is_empty() || Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(up, vec![Alert::ReceiverUp], "the kitchen is told once that orders are being stored again");
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    eprintln!(
        "faults: storage full: {} deliveries, {} refused 503 while full (+{} more probes), all {} retries accepted after room returned, nothing lost",
        deliveries.len(),
        refused.len(),
        more.len(),
        retries.len()
    );
    t.stop().await;
}

/// What happened to one slow attacker connection.
async fn slow_attacker(addr: std::net::SocketAddr, head: Vec<u8>, trickle: u8, give_up: Duration) -> Option<Duration> {
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut rd, mut wr) = stream.into_split();
    if wr.write_all(&head).await.is_err() {
        return Some(started.elapsed());
    }
    let mut buf = [0u8; 512];
    loop {
        tokio::select! {
            // The server answered (e.g. 408) or closed the connection: cut off.
            _ = rd.read(&mut buf) => return Some(started.elapsed()),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if wr.write_all(&[trickle]).await.is_err() {
                    return Some(started.elapsed());
                }
            }
        }
        if started.elapsed() > give_up {
            return None;
        }
    }
}

/// Many connections trickle their headers or their body; the server cuts
/// each one off after its timeout, while normal deliveries keep getting 2xx.
/// The p99 of those answers during the attack is printed, not asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_clients_are_cut_off_while_deliveries_keep_getting_answers() {
    let t = TestServer::start_with(|c| {
        c.header_timeout = Duration::from_secs(1);
        c.body_timeout = Duration::from_secs(1);
    })
    .await;
    let attackers = env_usize("KDS_SLOW_CLIENTS", if long() { 800 } else { 200 });
    let addr = t.server.intake_addr();
    let body = vec![b' '; 4096];
    let sig = t.secret.sign(&body);
    let give_up = Duration::from_secs(15);
    let attack: Vec<_> = (0..attackers)
        .map(|i| {
            let head = if i % 2 == 0 {
                b"POST /webhooks/klikit HTTP/1.1\r\nHost: x\r\nx-pad: ".to_vec()
            } else {
                format!(
                    "POST /webhooks/klikit HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nx-klikit-signature: {sig}\r\nx-klikit-event-id: evt-slow-{i}\r\nx-klikit-event-type: klikit.order.created.v2\r\n\r\n",
                    body.len()
                )
                .into_bytes()
            };
            tokio::spawn(slow_attacker(addr, head, b'a', give_up))
        })
        .collect();

    // Normal deliveries, 8 at a time, for the length of the attack.
    let attack_for = Duration::from_secs(if long() { 10 } else { 3 });
    let started = Instant::now();
    let mut feed = Feed::new(11);
    let url = t.intake_url();
    let mut latencies = Vec::new();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    while started.elapsed() < attack_for {
        let now = time::OffsetDateTime::now_utc();
        let wave: Vec<Delivery> = (0..8).map(|_| feed.next(now)).collect();
        let answers = futures_util::future::join_all(wave.iter().map(|d| client::post(&t.client, &url, &t.secret, d))).await;
        for a in answers {
            let a = a.expect("normal deliveries are answered during the attack");
            *statuses.entry(a.status).or_default() += 1;
            latencies.push(a.latency);
        }
    }
    let mut cut = Vec::new();
    for a in attack {
        if let Some(after) = a.await.unwrap() {
            cut.push(after);
        }
    }
    let answered = latencies.len();
    eprintln!(
        "faults: slow clients: {attackers} slow connections, {} cut off (median after {:.0} ms, max {:.0} ms); {answered} normal deliveries during the attack: status {statuses:?}, p50 {:.1} ms, p99 {:.1} ms",
        cut.len(),
        percentile_ms(cut.clone(), 0.5),
        percentile_ms(cut.clone(), 1.0),
        percentile_ms(latencies.clone(), 0.5),
        percentile_ms(latencies, 0.99),
    );
    assert_eq!(statuses.get(&200).copied().unwrap_or(0), answered, "every normal delivery during the attack must be acknowledged: {statuses:?}");
    assert_eq!(cut.len(), attackers, "every slow connection must be cut off by the server within {give_up:?}");
    t.stop().await;
}
