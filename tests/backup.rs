//! Backups end to end, through the real `kds` binary: `kds backup` while kds
//! runs, `kds restore` refused while it runs and for a file that is not a
//! kds database, a round trip that brings back exactly what was backed up
//! and keeps the replaced database aside, and a backup to a full disk that
//! fails clearly and leaves the previous backup whole.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use kds::klikit::{EventType, WebhookSecret};
use kds::client::{self, Delivery};
use rusqlite::{Connection, OpenFlags};
use support::process::{kds_bin, serve, KdsProcess};

const SECRET: &str = "backup-test-secret";

fn kds(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(kds_bin()).args(args).arg("--data-dir").arg(data_dir).env("KDS_LOG", "warn").output().expect("kds runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

async fn post(kds: &KdsProcess, event_id: &str) {
    let d = Delivery { event_id: event_id.into(), event_type: EventType::OrderCreated, body: support::fixture("01-order-created-single.json") };
    let a = client::post(&client::client(), &kds.intake_url, &WebhookSecret::new(SECRET).unwrap(), &d).await.unwrap();
    assert_eq!(a.status, 200, "{event_id} is acknowledged: {}", a.body);
}

fn event_ids(db: &Path) -> Vec<String> {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let ids = c.prepare("SELECT event_id FROM inbox ORDER BY seq").unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_running_then_restore_after_stopping_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = dir.path().join("elsewhere").join("night.sqlite");
    let running = serve(&data, SECRET, &[]);
    post(&running, "before-backup-1").await;
    post(&running, "before-backup-2").await;

    let out = kds(&data, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "kds backup works while kds runs: {}", text(&out));
    assert!(text(&out).contains("backup written"), "{}", text(&out));
    assert_eq!(event_ids(&backup), ["before-backup-1", "before-backup-2"], "the backup holds every acknowledged delivery");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700, "kds serve created the data dir (its log first): owner only, it holds the orders");
        assert_eq!(mode(&backup), 0o600, "the copy holds every customer's details: owner only, wherever it goes");
        assert_eq!(mode(backup.parent().unwrap()), 0o700, "a folder the backup created: owner only");
    }

    let refused = kds(&data, &["restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success(), "restore must refuse while kds runs");
    assert!(text(&refused).contains("kds is running"), "and say why: {}", text(&refused));

    post(&running, "after-backup").await;
    assert_eq!(running.terminate().code(), Some(0));

    let out = kds(&data, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "restore works once kds has stopped: {}", text(&out));
    let db = data.join("kds.sqlite");
    assert_eq!(event_ids(&db), ["before-backup-1", "before-backup-2"], "the restored database is the backup");
    let aside: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("kds.sqlite.replaced-") && !name.ends_with("-wal") && !name.ends_with("-shm")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the replaced database is kept aside: {aside:?}");
    assert_eq!(event_ids(&aside[0]), ["before-backup-1", "before-backup-2", "after-backup"], "nothing of the replaced database is lost");

    // kds starts on the restored database and serves what it holds.
    let again = serve(&data, SECRET, &[]);
    post(&again, "after-restore").await;
    assert_eq!(again.terminate().code(), Some(0));
    assert_eq!(event_ids(&db), ["before-backup-1", "before-backup-2", "after-restore"]);
}

#[test]
fn restore_refuses_a_file_that_is_not_a_kds_database_and_leaves_the_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(serve(&data, SECRET, &[]));
    let before = std::fs::read(data.join("kds.sqlite")).unwrap();
    for (name, bytes) in [("notes.txt", b"not a database".to_vec()), ("empty.sqlite", Vec::new())] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = kds(&data, &["restore", file.to_str().unwrap()]);
        assert!(!out.status.success(), "{name} must be refused");
        assert!(text(&out).contains("not a kds database"), "the refusal says why: {}", text(&out));
    }
    let other = dir.path().join("other-app.sqlite");
    Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (x); PRAGMA user_version = 2;").unwrap();
    let out = kds(&data, &["restore", other.to_str().unwrap()]);
    assert!(text(&out).contains("not a kds database"), "another application's SQLite file is refused: {}", text(&out));
    assert_eq!(std::fs::read(data.join("kds.sqlite")).unwrap(), before, "a refused restore leaves the database untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_that_does_not_fit_fails_clearly_and_keeps_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let running = serve(&data, SECRET, &[]);
    for i in 0..200 {
        post(&running, &format!("order-{i}")).await;
    }
    let backup = dir.path().join("night.sqlite");
    let out = kds(&data, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let previous = std::fs::read(&backup).unwrap();
    for i in 200..400 {
        post(&running, &format!("order-{i}")).await;
    }

    // The same backup again, in a child whose files may not grow past half
    // the previous backup: the disk is full as far as it can tell.
    let limit = (previous.len() / 2) as libc::rlim_t;
    let mut cmd = Command::new(kds_bin());
    cmd.args(["backup", backup.to_str().unwrap(), "--data-dir"]).arg(&data).env("KDS_LOG", "warn");
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rl = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "a backup that cannot be written must fail: {}", text(&out));
    let message = text(&out);
    assert!(
        message.contains("not enough disk space to write") && message.contains("night.sqlite") && message.contains("previous backups are untouched"),
        "the message says the disk is full, names the file and says the old one is safe: {message}"
    );
    assert_eq!(std::fs::read(&backup).unwrap(), previous, "the previous backup is byte for byte as it was");
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).filter(|n| n.to_string_lossy().contains("partial")).collect();
    assert!(leftovers.is_empty(), "the half-written copy is removed: {leftovers:?}");
    drop(running);
}
