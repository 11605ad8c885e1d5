//! Live replication with Litestream, with its real binary (from the npm
//! package `@flydotio/litestream-linux-x64`, installed by `npm ci` in `ui/`,
//! or wherever `KDS_LITESTREAM_BIN` points): kds runs with `litestream =
//! true` beside `litestream replicate` to a local folder; deliveries are
//! acknowledged; once the replica holds them, both processes are killed,
//! the data dir is deleted, `litestream restore` brings it back, and kds
//! starts with every acknowledged delivery and every ticket.
//!
//! The test is skipped, with a message, only when the binary is absent.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kds::klikit::WebhookSecret;
use kds::client;
use support::Feed;
use rusqlite::{Connection, OpenFlags};
use support::process::serve;

const SECRET: &str = "litestream-test-secret";
const DELIVERIES: usize = 60;

fn litestream_bin() -> Option<PathBuf> {
    let bin = match std::env::var_os("KDS_LITESTREAM_BIN") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/@flydotio/litestream-linux-x64/litestream"),
    };
    bin.is_file().then_some(bin)
}

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Event ids and ticket ids in the database at `db`, sorted.
fn contents(db: &Path) -> (Vec<String>, Vec<String>) {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    let list = |sql: &str| -> Vec<String> { c.prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap() };
    (list("SELECT event_id FROM inbox ORDER BY event_id"), list("SELECT order_id FROM tickets ORDER BY order_id"))
}

fn restore(bin: &Path, replica: &Path, out: &Path) -> std::process::Output {
    Command::new(bin).arg("restore").arg("-o").arg(out).arg(format!("file://{}", replica.display())).output().expect("litestream runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_data_dir_comes_back_from_the_litestream_replica() {
    let Some(bin) = litestream_bin() else {
        eprintln!(
            "SKIPPED: no litestream binary (run `npm ci` in ui/ to install @flydotio/litestream-linux-x64, or set KDS_LITESTREAM_BIN)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let replica = dir.path().join("replica");
    let db = data.join("kds.sqlite");
    std::fs::create_dir_all(&data).unwrap();
    let config = dir.path().join("litestream.yml");
    std::fs::write(
        &config,
        format!("dbs:\n  - path: {}\n    replicas:\n      - type: file\n        path: {}\n        sync-interval: 1s\n", db.display(), replica.display()),
    )
    .unwrap();

    let kds = serve(&data, SECRET, &[("KDS_LITESTREAM", "true")]);
    let litestream = Reaped(
        Command::new(&bin).arg("replicate").arg("-config").arg(&config).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("litestream starts"),
    );

    let secret = WebhookSecret::new(SECRET).unwrap();
    let client = client::client();
    let mut feed = Feed::new(16);
    let mut acked = Vec::new();
    for _ in 0..DELIVERIES {
        let d = feed.next(time::OffsetDateTime::now_utc());
        let a = client::post(&client, &kds.intake_url, &secret, &d).await.unwrap();
        assert!((200..300).contains(&a.status), "delivery {} acknowledged: {}", d.event_id, a.body);
        acked.push(d.event_id);
    }
    acked.sort();
    // The kitchen applies them (derived work, which Litestream replicates too).
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected = loop {
        let c = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        c.busy_timeout(Duration::from_secs(5)).unwrap();
        let pending: i64 = c.query_row("SELECT count(*) FROM inbox WHERE state = 'pending'", [], |r| r.get(0)).unwrap();
        if pending == 0 {
            break contents(&db);
        }
        assert!(Instant::now() < deadline, "the kitchen should apply every delivery");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(expected.0, acked, "every acknowledged delivery is in the live database");
    assert!(!expected.1.is_empty(), "the deliveries made tickets");

    // How long until the replica holds everything: the window a sudden loss
    // of the machine can cost.
    let acked_at = Instant::now();
    let probe = dir.path().join("probe.sqlite");
    let lag = loop {
        let _ = std::fs::remove_file(&probe);
        let out = restore(&bin, &replica, &probe);
        if out.status.success() && contents(&probe) == expected {
            break acked_at.elapsed();
        }
        assert!(acked_at.elapsed() < Duration::from_secs(30), "the replica should catch up: {}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(Duration::from_millis(200));
    };
    eprintln!("litestream: the replica held every acknowledged delivery {:.1} s after the last one", lag.as_secs_f64());

    // The machine dies: no clean stop, and the data dir is gone.
    kds.kill9();
    drop(litestream);
    std::fs::remove_dir_all(&data).unwrap();

    std::fs::create_dir_all(&data).unwrap();
    let out = restore(&bin, &replica, &db);
    assert!(out.status.success(), "litestream restore works: {}", String::from_utf8_lossy(&out.stderr));
    let kds = serve(&data, SECRET, &[]);
    let restored = contents(&db);
    assert_eq!(restored, expected, "kds starts with every acknowledged delivery and every ticket");
    let d = feed.next(time::OffsetDateTime::now_utc());
    let a = client::post(&client, &kds.intake_url, &secret, &d).await.unwrap();
    assert_eq!(a.status, 200, "the restored kds takes new deliveries: {}", a.body);
    assert_eq!(kds.terminate().code(), Some(0));
}
