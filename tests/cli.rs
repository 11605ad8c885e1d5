//! The `kds` binary as a user meets it: startup errors are one clear line and
//! a non-zero exit, SIGTERM shuts down cleanly, `kds send` posts fixtures.

mod support;

use std::process::Command;

use support::process::{kds_bin, serve};

fn run_serve(data_dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(kds_bin())
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("KLIKIT_WEBHOOK_SECRET", "s")
        .output()
        .expect("kds runs")
}

fn assert_one_line_error(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a startup failure must exit non-zero");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("kds: error:")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line, got stderr:\n{stderr}");
    assert!(errors[0].contains(needle), "the error names the cause ({needle}): {}", errors[0]);
    assert!(!stderr.contains("panicked"), "it must never panic:\n{stderr}");
}

#[test]
fn a_taken_port_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run_serve(dir.path(), &["--webhook-listen", &addr, "--listen", "127.0.0.1:0"]);
    assert_one_line_error(&out, &format!("cannot listen on {addr}"));
}

#[test]
fn an_unwritable_data_dir_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = run_serve(&file.join("data"), &["--webhook-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"]);
    assert_one_line_error(&out, "cannot use data dir");
}

#[test]
fn a_corrupt_database_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kds.sqlite"), vec![0x5a; 16384]).unwrap();
    let out = run_serve(dir.path(), &["--webhook-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"]);
    assert_one_line_error(&out, "corrupt");
}

#[test]
fn a_damaged_or_emptied_database_stops_the_start_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kds.sqlite");
    let store = kds::store::Store::open(&db, Default::default()).unwrap();
    store.close();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE filler (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 400) INSERT INTO filler SELECT randomblob(900) FROM n;").unwrap();
    }
    let mut bytes = std::fs::read(&db).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 8192].fill(0x5a);
    std::fs::write(&db, &bytes).unwrap();
    let out = run_serve(dir.path(), &["--webhook-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"]);
    assert_one_line_error(&out, "restore a backup");

    std::fs::write(&db, b"").unwrap();
    let out = run_serve(dir.path(), &["--webhook-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"]);
    assert_one_line_error(&out, "will not start empty");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "nothing was created over the emptied file");
}

#[test]
fn sigterm_shuts_down_cleanly_and_closes_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let kds = serve(dir.path(), "s", &[]);
    let status = kds.terminate();
    assert!(status.success(), "SIGTERM is a clean exit: {status:?}");
    let wal = dir.path().join("kds.sqlite-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "a closed database leaves no pending WAL");
}

#[test]
fn kds_send_posts_each_fixture_then_gets_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let kds = serve(dir.path(), "send-secret", &[]);
    for (file, ty) in [
        ("01-order-created-single.json", "klikit.order.created.v2"),
        ("02-order-status-ready.json", "klikit.order.status.updated"),
        ("03-order-cart-updated.json", "klikit.order.cart.updated"),
        ("04-order-created-batched.json", "klikit.order.created.v2"),
        ("05-order-status-cancelled.json", "klikit.order.status.updated"),
    ] {
        let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        let send = |id: &str| {
            Command::new(kds_bin())
                .args(["send", "--event-type", ty, "--event-id", id, "--url", &kds.intake_url, &path])
                .env("KLIKIT_WEBHOOK_SECRET", "send-secret")
                .env("KDS_DATA_DIR", dir.path())
                .output()
                .unwrap()
        };
        let first = send(file);
        let out = String::from_utf8_lossy(&first.stdout);
        assert!(first.status.success() && out.contains(r#"200 {"status":"received"}"#), "{file}: first send is received, got {out}");
        let second = send(file);
        let out = String::from_utf8_lossy(&second.stdout);
        assert!(out.contains("duplicate-ignored"), "{file}: the same event id again is a duplicate, got {out}");
    }
    let wrong = Command::new(kds_bin())
        .args(["send", "--event-type", "klikit.order.created.v2", "--url", &kds.intake_url])
        .arg(format!("{}/tests/fixtures/01-order-created-single.json", env!("CARGO_MANIFEST_DIR")))
        .env("KLIKIT_WEBHOOK_SECRET", "not-the-server-secret")
        .env("KDS_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "a 401 makes kds send exit non-zero");
    assert!(String::from_utf8_lossy(&wrong.stdout).starts_with("401"), "and prints the answer");
}

/// A database kds can read but not write (its file belongs to another user,
/// mode 0644, in a data dir kds may write): kds starts, health says
/// `read_only` rather than ok, and a signed delivery gets a 503 (retry
/// later), never a 2xx. Tests run as root, which ignores file modes, so kds
/// runs as `nobody` through `setpriv`; as another user the mode alone does it.
#[tokio::test]
async fn a_read_only_database_is_reported_and_refuses_deliveries_with_503() {
    use std::os::unix::fs::PermissionsExt;
    let root = unsafe { libc::geteuid() } == 0;
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().find(|p| std::path::Path::new(p).exists());
    if root && setpriv.is_none() {
        eprintln!("SKIPPED: running as root without setpriv, so no way to run kds as a user the file mode binds");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let db = data.join("kds.sqlite");
    kds::store::Store::open(&db, Default::default()).unwrap().close();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let prefix: Vec<&str> = if root {
        // The data dir and the marker become nobody's; the database stays root's.
        for path in [data.clone(), data.join("kds.sqlite.marker")] {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        }
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        vec![setpriv.unwrap(), "--reuid=65534", "--regid=65534", "--clear-groups"]
    } else {
        vec![]
    };
    let kds = support::process::serve_via(&prefix, &data, "ro-secret", &[]);

    let health: serde_json::Value = reqwest::get(format!("{}/api/health", kds.app_url.trim_end_matches('/'))).await.unwrap().json().await.unwrap();
    assert_eq!(health["store"]["status"], "read_only", "health says the database cannot be written, not ok: {health}");

    let secret = kds::klikit::WebhookSecret::new("ro-secret").unwrap();
    let body = support::fixture("01-order-created-single.json");
    let delivery = kds::client::Delivery { event_id: "evt-ro".into(), event_type: kds::klikit::EventType::OrderCreated, body };
    let answer = kds::client::post(&kds::client::client(), &kds.intake_url, &secret, &delivery).await.unwrap();
    assert_eq!(answer.status, 503, "nothing is acknowledged that cannot be stored: {}", answer.body);
    assert!(answer.body.contains("retry"), "klikit is told to retry (the cause stays in kds's log and health): {}", answer.body);
    let health: serde_json::Value = reqwest::get(format!("{}/api/health", kds.app_url.trim_end_matches('/'))).await.unwrap().json().await.unwrap();
    assert_eq!((&health["store"]["deliveries"], &health["intake"]["store_unavailable"]), (&serde_json::json!(0), &serde_json::json!(1)), "the refused delivery was counted, not stored: {health}");
    kds.kill9();
}

#[test]
fn kds_service_install_writes_a_unit_systemd_accepts_and_uninstall_removes_it() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("kitchen");
    let config = home.path().join("xdg-config");
    let run = |args: &[&str]| {
        let out = Command::new(kds_bin()).args(args).env("HOME", home.path()).env("XDG_CONFIG_HOME", &config).output().expect("kds runs");
        assert!(out.status.success(), "kds {args:?} succeeds: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let said = run(&["service", "install", "--data-dir", data.to_str().unwrap()]);
    let unit_path = config.join("systemd/user/kds.service");
    let unit = std::fs::read_to_string(&unit_path).unwrap_or_else(|e| panic!("the unit is written under XDG_CONFIG_HOME ({e}); kds said: {said}"));
    let bin = std::fs::canonicalize(kds_bin()).unwrap();
    assert!(unit.contains(&format!("\nExecStart={} serve --data-dir {}\n", bin.display(), data.display())), "ExecStart runs this binary on the data dir:\n{unit}");
    assert!(unit.contains("\nRestart=on-failure\n"), "a crash is restarted:\n{unit}");
    if !std::path::Path::new("/run/systemd/system").is_dir() {
        assert!(said.contains("systemd is not running here"), "without systemd it says what to do instead: {said}");
    }
    match Command::new("systemd-analyze").arg("verify").arg(&unit_path).env("HOME", home.path()).env("XDG_CONFIG_HOME", &config).output() {
        Err(e) => println!("SKIPPED systemd-analyze verify: systemd-analyze cannot run here ({e}); install the apt package systemd"),
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() && !stderr.contains("kds.service"), "systemd-analyze verify accepts the unit:\n{stderr}\n{unit}");
        }
    }
    let said = run(&["service", "uninstall"]);
    assert!(!unit_path.exists(), "uninstall removes the unit: {said}");
}
