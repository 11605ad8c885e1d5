//! The crash test: `kill -9` the real `kds` binary while 32 clients post,
//! restart it, and prove that nothing acknowledged was lost.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use kds::klikit::WebhookSecret;
use kds::client::{self, Delivery};
use support::process::serve;
use support::Feed;

const SECRET: &str = "crash-test-secret";
const TOTAL: usize = 1200;
const CLIENTS: usize = 32;
const KILL_AFTER_ACKS: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_deliveries_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let secret = WebhookSecret::new(SECRET).unwrap();
    let mut feed = Feed::new(42);
    let now = time::OffsetDateTime::now_utc();
    let deliveries: Arc<Vec<Delivery>> = Arc::new((0..TOTAL).map(|_| feed.next(now)).collect());

    let kds = serve(dir.path(), SECRET, &[]);
    let url = kds.intake_url.clone();
    let kds = Arc::new(Mutex::new(Some(kds)));
    let acked: Arc<Mutex<Vec<usize>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let client = client::client();

    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (deliveries, acked, next, client, secret, url, kds) =
                (deliveries.clone(), acked.clone(), next.clone(), client.clone(), secret.clone(), url.clone(), kds.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= deliveries.len() {
                        break;
                    }
                    if let Ok(a) = client::post(&client, &url, &secret, &deliveries[i]).await {
                        if (200..300).contains(&a.status) {
                            let n = {
                                let mut acked = acked.lock().unwrap();
                                acked.push(i);
                                acked.len()
                            };
                            if n == KILL_AFTER_ACKS {
                                // Mid-stream: other clients have requests in flight right now.
                                if let Some(k) = kds.lock().unwrap().take() {
                                    k.kill9();
                                }
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER_ACKS, "the kill happened after {KILL_AFTER_ACKS} acks, got {}", acked.len());
    assert!(acked.len() < TOTAL, "the server was killed mid-stream, so some posts must have failed");

    // Restart on the same data dir.
    let kds = serve(dir.path(), SECRET, &[]);
    let db = rusqlite::Connection::open_with_flags(dir.path().join("kds.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok", "the database survives a SIGKILL intact");
    let mut missing = Vec::new();
    for &i in &acked {
        let d = &deliveries[i];
        let stored: Option<Vec<u8>> = db
            .query_row("SELECT b.deflated FROM inbox i JOIN delivery_bodies b ON b.seq = i.seq WHERE i.event_id = ?1", [&d.event_id], |r| r.get(0))
            .map(Some)
            .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
            .unwrap();
        match stored {
            Some(deflated) => assert_eq!(kds::store::inflate(&deflated).unwrap(), d.body, "stored bytes (compressed) are exactly what was acknowledged"),
            None => missing.push(d.event_id.clone()),
        }
    }
    assert!(missing.is_empty(), "{} acknowledged deliveries are missing after the crash: {:?}", missing.len(), &missing[..missing.len().min(5)]);

    // Replaying every acknowledged delivery is answered duplicate-ignored.
    let client = client::client();
    let replays = futures_util::future::join_all(acked.iter().map(|&i| client::post(&client, &kds.intake_url, &secret, &deliveries[i]))).await;
    let not_dup: Vec<_> = replays.iter().filter(|a| !a.as_ref().is_ok_and(|a| a.status == 200 && a.body.contains("duplicate-ignored"))).collect();
    assert!(not_dup.is_empty(), "every replay of an acknowledged delivery must be duplicate-ignored; {} were not", not_dup.len());
    eprintln!("crash test: {} acknowledged before/around the kill, all present, {} replays all duplicate-ignored", acked.len(), replays.len());
    let status = kds.terminate();
    assert!(status.success(), "kds exits cleanly on SIGTERM: {status:?}");
}
