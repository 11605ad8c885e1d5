//! The first-delivery self-test (library, `POST /api/selftest`, `kds
//! selftest`) and `kds status`, against the real server over HTTP.

mod support;

use std::process::Command;
use std::time::Duration;

use kds::klikit::WebhookSecret;
use kds::selftest::{self, Outcome, SelftestPlan, SelftestReport, HOPS};
use support::TestServer;

fn plan(t: &TestServer, secret: &str) -> SelftestPlan {
    SelftestPlan {
        intake_url: selftest::local_url(t.server.intake_addr()),
        app_url: selftest::local_url(t.server.app_addr()),
        public_url: None,
        secret: WebhookSecret::new(secret),
        api_token: None,
        shown_timeout: Duration::from_secs(2),
    }
}

fn hop<'r>(report: &'r SelftestReport, name: &str) -> &'r selftest::Hop {
    report.hops.iter().find(|h| h.name == name).unwrap_or_else(|| panic!("hop {name} is reported: {report}"))
}

#[tokio::test]
async fn without_a_public_url_it_posts_locally_and_skips_the_public_hops() {
    let t = TestServer::start().await;
    let report = selftest::run(plan(&t, support::SECRET)).await;
    let names: Vec<&str> = report.hops.iter().map(|h| h.name).collect();
    assert_eq!(names, HOPS, "every hop is reported, in order");
    for name in ["dns", "tls", "tunnel"] {
        let h = hop(&report, name);
        assert_eq!(h.outcome, Outcome::Skipped, "{name} does not apply without a public URL, so it must not pass: {report}");
        assert!(h.detail.contains("no public URL"), "{}", h.detail);
    }
    for name in ["intake", "signature", "stored"] {
        assert_eq!(hop(&report, name).outcome, Outcome::Passed, "{report}");
    }
    assert_eq!(report.posted_to.as_deref(), Some(format!("{}/webhooks/klikit", selftest::local_url(t.server.intake_addr())).as_str()));
    let counts = t.server.store().inbox_counts().await.unwrap();
    assert_eq!(counts.total, 1, "the self-test order was stored once");
    let shown = hop(&report, "shown");
    assert_eq!(shown.outcome, Outcome::Passed, "the engine shows the test ticket: {report}");
    assert!(report.passed, "every hop that applies passed: {report}");
    let ticket: serde_json::Value = t.client.get(t.app_url(&format!("/api/tickets/{}", report.order_id))).send().await.unwrap().json().await.unwrap();
    assert_eq!(ticket["test"], true, "the self-test ticket is marked as a test, so it leaves the board by itself: {ticket}");
    t.stop().await;
}

#[tokio::test]
async fn a_different_secret_fails_the_signature_hop_and_nothing_after_it_runs() {
    let t = TestServer::start().await;
    let report = selftest::run(plan(&t, "not-the-servers-secret")).await;
    assert_eq!(hop(&report, "intake").outcome, Outcome::Passed, "{report}");
    let sig = hop(&report, "signature");
    assert_eq!(sig.outcome, Outcome::Failed, "{report}");
    assert!(sig.detail.contains("different webhook secret"), "the report says what to fix: {}", sig.detail);
    for name in ["stored", "shown"] {
        let h = hop(&report, name);
        assert_eq!(h.outcome, Outcome::Skipped, "{report}");
        assert!(h.detail.contains("not reached: signature failed"), "{}", h.detail);
    }
    assert!(!report.passed);
    let mut no_secret = plan(&t, "");
    no_secret.secret = None;
    let report = selftest::run(no_secret).await;
    assert!(hop(&report, "signature").detail.contains("KLIKIT_WEBHOOK_SECRET"), "{report}");
    assert_eq!(t.server.store().inbox_counts().await.unwrap().total, 0, "nothing was stored");
    t.stop().await;
}

#[tokio::test]
async fn a_plain_http_public_url_fails_the_tls_hop() {
    let t = TestServer::start().await;
    let mut p = plan(&t, support::SECRET);
    p.public_url = Some(format!("http://localhost:{}", t.server.intake_addr().port()));
    let report = selftest::run(p).await;
    assert_eq!(hop(&report, "dns").outcome, Outcome::Passed, "localhost resolves: {report}");
    let tls = hop(&report, "tls");
    assert_eq!(tls.outcome, Outcome::Failed, "{report}");
    assert!(tls.detail.contains("https://"), "klikit delivers only to HTTPS: {}", tls.detail);
    assert_eq!(hop(&report, "intake").outcome, Outcome::Skipped);
    assert_eq!(report.posted_to, None, "nothing was posted");
    t.stop().await;
}

#[tokio::test]
async fn post_api_selftest_answers_the_hop_report() {
    let t = TestServer::start().await;
    let res = t.client.post(t.app_url("/api/selftest")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let hops = body["hops"].as_array().expect("a hops array");
    let names: Vec<&str> = hops.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, HOPS);
    assert_eq!(hops[0]["outcome"], "skipped", "{body}");
    assert_eq!(hops[5], serde_json::json!({"name": "stored", "outcome": "passed", "detail": hops[5]["detail"], "ms": hops[5]["ms"]}));
    assert!(body["order_id"].as_str().unwrap().starts_with("kds-selftest-"));
    t.stop().await;
}

fn kds(args: &[&str], data_dir: &std::path::Path) -> std::process::Output {
    Command::new(support::process::kds_bin())
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("KLIKIT_WEBHOOK_SECRET", support::SECRET)
        .env("KDS_LOG", "warn")
        .output()
        .expect("kds runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn kds_status_and_kds_selftest_talk_to_the_running_server() {
    let t = TestServer::start().await;
    let (app, intake) = (t.server.app_addr().to_string(), t.server.intake_addr().to_string());
    let dir = tempfile::tempdir().unwrap();

    let out = tokio::task::spawn_blocking({
        let (app, dir) = (app.clone(), dir.path().to_owned());
        move || kds(&["status", "--listen", &app], &dir)
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("receiver       ready"), "{text}");
    assert!(text.contains("tunnel         off"), "{text}");
    assert!(text.contains("last delivery  none yet"), "{text}");

    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || kds(&["selftest", "--wait", "2", "--listen", &app, "--webhook-listen", &intake], &dir)
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("skip dns"), "{text}");
    assert!(text.contains("ok   stored"), "{text}");
    assert!(text.contains("ok   shown"), "{text}");
    assert!(out.status.success() && text.contains("self-test passed"), "a passing self-test exits 0: {text}");

    let dead = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || kds(&["status", "--listen", "127.0.0.1:9"], &dir)
    })
    .await
    .unwrap();
    assert!(!dead.status.success(), "status fails when nothing answers");
    assert!(String::from_utf8_lossy(&dead.stderr).contains("is `kds serve` running?"));
    t.stop().await;
}
