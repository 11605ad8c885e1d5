//! The tunnel supervisor driven by fake `cloudflared` executables (POSIX
//! shell scripts written into temp dirs) that print realistic log lines and
//! a URL, crash, hang, or exit at once; and the real `kds` binary run with
//! them: no orphan after SIGKILL, the token nowhere, `not_installed` without
//! cloudflared.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kds::alert::{Alert, Alerts};
use kds::config::{Config, TunnelMode};
use kds::tunnel::{Tunnel, TunnelOptions, TunnelState, TunnelStatus};
use support::{eventually, TestServer};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(15);

/// Writes an executable `/bin/sh` script `cloudflared` into `dir`.
fn fake(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("cloudflared");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Log lines of a real quick tunnel coming up, with `$1` as the URL's name.
const QUICK_UP: &str = r#"
log() { echo "2026-11-22T10:00:00Z $*" >&2; }
log INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out.
log INF Requesting new quick Tunnel on trycloudflare.com...
log "INF +--------------------------------------------------------------------------------------------+"
log "INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |"
log "INF |  https://$NAME.trycloudflare.com                                     |"
log "INF +--------------------------------------------------------------------------------------------+"
log INF Version 2026.11.0
log INF Starting metrics server on 127.0.0.1:20241/metrics
log INF Registered tunnel connection connIndex=0 connection=52b585bc-858c-432a-b724-90993c84cc10 event=0 ip=198.41.219.4 location=sin01 protocol=quic
"#;

fn options(program: &Path, target: std::net::SocketAddr) -> TunnelOptions {
    let mut o = TunnelOptions::from_config(&Config::for_data_dir("/nonexistent"), target);
    o.mode = TunnelMode::Quick;
    o.program = Some(program.to_owned());
    o.backoff_base = Duration::from_millis(100);
    o.backoff_cap = Duration::from_millis(400);
    o.connect_timeout = Duration::from_secs(10);
    o.stop_grace = Duration::from_secs(2);
    o.ready_interval = Duration::from_millis(50);
    o
}

async fn status_is(rx: &watch::Receiver<TunnelStatus>, what: &str, pred: impl Fn(&TunnelStatus) -> bool) -> TunnelStatus {
    eventually(what, WAIT, || {
        let s = rx.borrow().clone();
        let ok = pred(&s);
        async move { ok.then_some(s) }
    })
    .await
}

fn pid_alive(pid: i32) -> bool {
    // A zombie waiting for a reaper is dead for our purpose.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')).unwrap_or(false),
        Err(_) => false,
    }
}

fn read_pids(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect()
}

#[tokio::test]
async fn quick_tunnel_connects_with_its_url_and_points_at_the_intake_only() {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let args = dir.path().join("args");
    let program = fake(dir.path(), &format!("echo \"$@\" > {}\nNAME=buffalo-marco-cardiff-motel\n{QUICK_UP}\nexec sleep 600", args.display()));
    let alerts = Alerts::default();
    let mut heard = alerts.subscribe();
    let tunnel = Tunnel::start(options(&program, t.server.intake_addr()), alerts);
    let rx = tunnel.status();

    let s = status_is(&rx, "connected", |s| s.state == TunnelState::Connected).await;
    assert_eq!(s.url.as_deref(), Some("https://buffalo-marco-cardiff-motel.trycloudflare.com"), "the URL comes from the log banner");
    assert_eq!(next(&mut heard).await, Alert::TunnelUp { url: s.url.clone() }, "coming up raises TunnelUp with the URL");

    let argv = std::fs::read_to_string(&args).unwrap();
    let words: Vec<&str> = argv.split_whitespace().collect();
    assert_eq!(&words[..3], ["tunnel", "--no-autoupdate", "--metrics"], "{argv}");
    let origin = words.iter().skip_while(|w| **w != "--url").nth(1).expect("quick mode passes --url");
    assert_eq!(*origin, format!("http://{}", t.server.intake_addr()), "the tunnel must point at the intake listener");
    // Whatever reaches the tunnel's origin gets the intake, never the board or API.
    let api = t.client.get(format!("{origin}/api/health")).send().await.unwrap();
    assert_eq!(api.status(), 404, "the app API must not be reachable through the tunnel");
    let intake = t.client.get(format!("{origin}/healthz")).send().await.unwrap();
    assert_eq!(intake.status(), 200, "the intake's health check is what the tunnel serves");
    tunnel.stop().await;
    t.stop().await;
}

#[tokio::test]
async fn a_crash_before_connecting_is_failed_with_its_reason_and_restarts_with_capped_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let starts = dir.path().join("starts");
    let program = fake(
        dir.path(),
        &format!(
            "date +%s%N >> {}\necho '2026-11-22T10:00:00Z ERR Couldn'\\''t start tunnel error=\"Unauthorized: Invalid tunnel secret\"' >&2\nexit 1",
            starts.display()
        ),
    );
    let alerts = Alerts::default();
    let mut heard = alerts.subscribe();
    let tunnel = Tunnel::start(options(&program, "127.0.0.1:9".parse().unwrap()), alerts);
    let rx = tunnel.status();
    // Wait for cloudflared's own reason (a first spawn can fail with ETXTBSY while a
    // parallel test forks; that is retried like any other failure).
    let s = status_is(&rx, "failed with cloudflared's error", |s| {
        s.state == TunnelState::Failed && s.reason.as_deref().unwrap_or("").contains("Invalid tunnel secret")
    })
    .await;
    let reason = s.reason.unwrap();
    assert!(reason.contains("Invalid tunnel secret") && reason.contains("restarting in"), "the reason quotes cloudflared's error: {reason}");
    assert!(matches!(heard.recv().await.unwrap(), Alert::TunnelDown { .. }), "a tunnel that cannot come up is down");

    let times: Vec<u64> = eventually("seven starts", WAIT, || {
        let t: Vec<u64> = std::fs::read_to_string(&starts).unwrap_or_default().lines().filter_map(|l| l.parse().ok()).collect();
        async move { (t.len() >= 7).then_some(t) }
    })
    .await;
    tunnel.stop().await;
    let gaps_ms: Vec<u64> = times.windows(2).map(|w| (w[1] - w[0]) / 1_000_000).collect();
    // Schedule with base 100 ms, cap 400 ms: 100, 200, 400, 400, 400, 400.
    for (i, (gap, want)) in gaps_ms.iter().zip([100u64, 200, 400, 400, 400, 400]).enumerate() {
        assert!(*gap >= want, "restart {} came after {gap} ms, before its backoff of {want} ms ({gaps_ms:?})", i + 1);
    }
    // Uncapped, the sixth delay would be 3.2 s.
    assert!(gaps_ms[5] < 2_000, "the backoff is capped at 400 ms, but the sixth gap was {} ms ({gaps_ms:?})", gaps_ms[5]);
    assert!(heard.try_recv().is_err(), "staying down raises no second alert");
}

#[tokio::test]
async fn exiting_at_once_without_a_word_is_failed() {
    let dir = tempfile::tempdir().unwrap();
    let program = fake(dir.path(), "exit 0");
    let tunnel = Tunnel::start(options(&program, "127.0.0.1:9".parse().unwrap()), Alerts::default());
    let s = status_is(&tunnel.status(), "failed because it exited", |s| {
        s.state == TunnelState::Failed && s.reason.as_deref().unwrap_or("").contains("cloudflared exited (exit status: 0)")
    })
    .await;
    assert!(s.reason.as_deref().unwrap_or("").contains("restarting in"), "{s:?}");
    assert_eq!(s.url, None);
    tunnel.stop().await;
}

#[tokio::test]
async fn a_hung_child_is_killed_reported_and_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let program = fake(dir.path(), &format!("echo $$ >> {}\nexec sleep 600", pids.display()));
    let mut o = options(&program, "127.0.0.1:9".parse().unwrap());
    o.connect_timeout = Duration::from_millis(500);
    let tunnel = Tunnel::start(o, Alerts::default());
    status_is(&tunnel.status(), "failed for hanging", |s| {
        s.state == TunnelState::Failed && s.reason.as_deref().unwrap_or("").contains("no connection to Cloudflare within 500 ms")
    })
    .await;
    let pids = eventually("a second start", WAIT, || {
        let p = read_pids(&pids);
        async move { (p.len() >= 2).then_some(p) }
    })
    .await;
    assert!(!pid_alive(pids[0]), "the hung child {} must have been killed before the restart", pids[0]);
    tunnel.stop().await;
    for pid in read_pids(&dir.path().join("pids")) {
        assert!(!pid_alive(pid), "stop() leaves no child behind (pid {pid})");
    }
}

#[tokio::test]
async fn losing_a_connected_tunnel_is_reconnecting_then_connected_with_the_new_url() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let program = fake(
        dir.path(),
        &format!(
            "echo run >> {runs}\nif [ $(wc -l < {runs}) -eq 1 ]; then NAME=first-run-url; else NAME=second-run-url; fi\n{QUICK_UP}\n\
             if [ \"$NAME\" = first-run-url ]; then sleep 0.3; echo '2026-11-22T10:00:05Z ERR Connection terminated connIndex=0' >&2; exit 1; fi\nexec sleep 600",
            runs = runs.display()
        ),
    );
    let alerts = Alerts::default();
    let mut heard = alerts.subscribe();
    let tunnel = Tunnel::start(options(&program, "127.0.0.1:9".parse().unwrap()), alerts);
    let rx = tunnel.status();
    assert_eq!(next(&mut heard).await, Alert::TunnelUp { url: Some("https://first-run-url.trycloudflare.com".into()) });
    match next(&mut heard).await {
        Alert::TunnelDown { reason } => assert!(reason.contains("Connection terminated"), "the down alert says why: {reason}"),
        other => panic!("expected TunnelDown after the crash, got {other:?}"),
    }
    assert_eq!(
        next(&mut heard).await,
        Alert::TunnelUp { url: Some("https://second-run-url.trycloudflare.com".into()) },
        "a restarted quick tunnel has a new URL, and the kitchen must hear of it"
    );
    let s = rx.borrow().clone();
    assert_eq!(s.state, TunnelState::Connected);
    tunnel.stop().await;
}

#[tokio::test]
async fn the_metrics_ready_endpoint_is_the_health_signal() {
    // The test plays cloudflared's metrics server; the fake prints only the URL.
    let ready = Arc::new(AtomicBool::new(true));
    let flag = ready.clone();
    let app = axum::Router::new().route(
        "/ready",
        axum::routing::get(move || {
            let up = flag.load(Ordering::SeqCst);
            async move {
                let code = if up { 200 } else { 503 };
                (axum::http::StatusCode::from_u16(code).unwrap(), axum::Json(serde_json::json!({"status": code, "readyConnections": up as u32})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let args = dir.path().join("args");
    let program = fake(
        dir.path(),
        &format!("echo \"$@\" > {}\necho '2026-11-22T10:00:00Z INF |  https://ready-probe.trycloudflare.com  |' >&2\nexec sleep 600", args.display()),
    );
    let mut o = options(&program, "127.0.0.1:9".parse().unwrap());
    o.metrics = Some(metrics);
    let tunnel = Tunnel::start(o, Alerts::default());
    let rx = tunnel.status();
    let s = status_is(&rx, "connected from /ready", |s| s.state == TunnelState::Connected).await;
    assert_eq!(s.url.as_deref(), Some("https://ready-probe.trycloudflare.com"));
    assert!(std::fs::read_to_string(&args).unwrap().contains(&format!("--metrics {metrics}")), "cloudflared is told where to serve /ready");

    ready.store(false, Ordering::SeqCst);
    let s = status_is(&rx, "reconnecting when /ready says 503", |s| s.state == TunnelState::Reconnecting).await;
    assert!(s.reason.is_some(), "a bad state carries a reason: {s:?}");
    ready.store(true, Ordering::SeqCst);
    status_is(&rx, "connected again", |s| s.state == TunnelState::Connected).await;
    tunnel.stop().await;
}

/// The next alert, within [`WAIT`]. A spawn that failed with ETXTBSY (a
/// parallel test forked while a fake script was open for writing) is retried
/// by the supervisor like any failure, and skipped here.
async fn next(heard: &mut tokio::sync::broadcast::Receiver<Alert>) -> Alert {
    loop {
        let alert = tokio::time::timeout(WAIT, heard.recv()).await.expect("an alert in time").unwrap();
        match &alert {
            Alert::TunnelDown { reason } if reason.contains("Text file busy") => continue,
            _ => return alert,
        }
    }
}

/// `kds serve` with stderr captured into `log`.
fn serve_logged(data_dir: &Path, log: &Path, env: &[(&str, &str)], args: &[&str]) -> (std::process::Child, String, String) {
    use std::io::BufRead;
    let mut cmd = Command::new(support::process::kds_bin());
    cmd.args(["serve", "--webhook-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env("KLIKIT_WEBHOOK_SECRET", support::SECRET)
        .env("KDS_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("kds starts");
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let l = stdout.lines().map_while(Result::ok).find_map(|l| kds::server::Listening::parse(&l)).expect("kds prints its listening line");
    let app = l.app_url.trim_end_matches('/').to_string();
    (child, l.intake_url, app)
}

/// Polls the running kds's `/api/health` until the tunnel is in `state`; returns that health.
async fn health_when(client: &reqwest::Client, app: &str, state: &str) -> serde_json::Value {
    eventually(&format!("tunnel {state} in /api/health"), WAIT, || {
        let req = client.get(format!("{app}/api/health")).send();
        async move {
            let h: serde_json::Value = req.await.ok()?.json().await.ok()?;
            (h["tunnel"]["state"] == state).then_some(h)
        }
    })
    .await
}

#[tokio::test]
async fn no_orphan_is_left_when_kds_is_sigkilled() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let program = fake(dir.path(), &format!("echo $$ >> {}\nNAME=orphan-check\n{QUICK_UP}\nexec sleep 600", pids.display()));
    let log = dir.path().join("kds.log");
    let (mut kds, _, app) =
        serve_logged(dir.path(), &log, &[("KDS_CLOUDFLARED", program.to_str().unwrap())], &["--tunnel", "quick"]);
    health_when(&reqwest::Client::new(), &app, "connected").await;
    let pid = read_pids(&pids)[0];
    assert!(pid_alive(pid), "the fake cloudflared runs while kds runs");
    kds.kill().unwrap(); // SIGKILL: no cleanup code in kds runs.
    kds.wait().unwrap();
    eventually("the orphaned cloudflared to die", WAIT, || async move { (!pid_alive(pid)).then_some(()) }).await;
}

#[tokio::test]
async fn the_token_never_appears_in_argv_logs_or_the_api() {
    const TOKEN: &str = "eyJhIjoiZmFrZS10b2tlbi1mb3ItdGVzdHMiLCJ0IjoiMTIzIn0";
    let dir = tempfile::tempdir().unwrap();
    let (args, env) = (dir.path().join("args"), dir.path().join("env"));
    // A careless cloudflared that even prints the token in an error line.
    let program = fake(
        dir.path(),
        &format!(
            "echo \"$@\" > {args}\nenv > {env}\n\
             echo \"2026-11-22T10:00:00Z ERR could not use token $TUNNEL_TOKEN\" >&2\n\
             echo '2026-11-22T10:00:01Z INF Updated to new configuration config=\"{{\\\"ingress\\\":[{{\\\"hostname\\\":\\\"orders.example.com\\\", \\\"service\\\":\\\"http://127.0.0.1:8080\\\"}}]}}\" version=3' >&2\n\
             echo '2026-11-22T10:00:01Z INF Registered tunnel connection connIndex=0 connection=1f2e event=0 ip=198.41.200.13 location=sin02 protocol=quic' >&2\n\
             exec sleep 600",
            args = args.display(),
            env = env.display()
        ),
    );
    let log = dir.path().join("kds.log");
    let (mut kds, _, app) = serve_logged(
        dir.path(),
        &log,
        &[("KDS_CLOUDFLARED", program.to_str().unwrap()), ("KDS_TUNNEL_TOKEN", TOKEN)],
        &["--tunnel", "named"],
    );
    let client = reqwest::Client::new();
    let body = health_when(&client, &app, "connected").await;
    assert_eq!(body["tunnel"]["url"], "https://orders.example.com", "a named tunnel's URL comes from its ingress hostname");
    let child_env = std::fs::read_to_string(&env).unwrap();
    assert!(child_env.contains(&format!("TUNNEL_TOKEN={TOKEN}")), "cloudflared gets the token through TUNNEL_TOKEN");
    assert!(!child_env.contains("KLIKIT_WEBHOOK_SECRET"), "cloudflared does not inherit the webhook secret");
    assert!(child_env.contains("TUNNEL_GRACE_PERIOD=4000ms"), "cloudflared finishes within kds's 5 s stop grace");
    assert!(!std::fs::read_to_string(&args).unwrap().contains(TOKEN), "the token is not in argv, where ps shows it");
    let selftest = client.post(format!("{app}/api/selftest")).send().await.unwrap().text().await.unwrap();
    unsafe { libc::kill(kds.id() as i32, libc::SIGTERM) };
    kds.wait().unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("could not use token ****"), "the leaked line is logged, masked");
    assert!(!logged.contains(TOKEN), "the token must never reach kds's log");
    assert!(!body.to_string().contains(TOKEN), "nor /api/health");
    assert!(!selftest.contains(TOKEN), "nor the self-test report");
}

#[tokio::test]
async fn without_cloudflared_kds_serve_reports_not_installed_and_the_intake_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("kds.log");
    let missing = dir.path().join("no-such-cloudflared");
    let (mut kds, intake, app) = serve_logged(dir.path(), &log, &[("KDS_CLOUDFLARED", missing.to_str().unwrap())], &["--tunnel", "quick"]);
    let client = kds::client::client();
    let h = health_when(&client, &app, "not_installed").await;
    assert!(h["tunnel"]["reason"].as_str().unwrap().contains("not found"), "{h}");
    assert_eq!(h["tunnel"]["url"], serde_json::Value::Null);
    let secret = kds::klikit::WebhookSecret::new(support::SECRET).unwrap();
    let d = kds::client::Delivery {
        event_id: kds::client::new_event_id(),
        event_type: kds::klikit::EventType::OrderCreated,
        body: support::fixture("01-order-created-single.json"),
    };
    let answer = kds::client::post(&client, &intake, &secret, &d).await.unwrap();
    assert_eq!(answer.status, 200, "the intake works locally without a tunnel: {}", answer.body);
    unsafe { libc::kill(kds.id() as i32, libc::SIGTERM) };
    assert!(kds.wait().unwrap().success(), "kds stops cleanly with the tunnel not installed");
}

#[tokio::test]
async fn the_server_wires_the_tunnel_into_health_and_the_live_stream() {
    let dir = tempfile::tempdir().unwrap();
    let program = fake(dir.path(), &format!("echo $$ > {}\nNAME=wired-in\n{QUICK_UP}\nexec sleep 600", dir.path().join("pids").display()));
    let t = TestServer::start_with(|c| {
        c.tunnel = TunnelMode::Quick;
        c.cloudflared = Some(program.clone());
    })
    .await;
    let mut live = support::sse::SseStream::connect(&t.app_url("/api/live"), &[]).await;
    let h = health_when(&t.client, &t.app_url(""), "connected").await;
    assert_eq!(h["tunnel"], serde_json::json!({"state": "connected", "url": "https://wired-in.trycloudflare.com", "reason": null, "mode": "quick"}));
    loop {
        let event = live.next_named("health", WAIT).await.expect("the live stream sends health events as the tunnel changes");
        if event.json()["tunnel"] == h["tunnel"] {
            break;
        }
    }
    let pid = read_pids(&dir.path().join("pids"))[0];
    t.stop().await;
    assert!(!pid_alive(pid), "shutting the server down stops cloudflared (pid {pid})");
}

/// `PUT /api/settings` on a running kds, as the board's Settings view does.
async fn put_settings(client: &reqwest::Client, app: &str, body: serde_json::Value) -> serde_json::Value {
    let res = client.put(format!("{app}/api/settings")).json(&body).send().await.unwrap();
    let status = res.status();
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 200, "the settings change {body} is accepted: {answer}");
    answer
}

#[tokio::test]
async fn a_tunnel_mode_change_in_settings_starts_and_stops_cloudflared_without_a_restart() {
    const TOKEN: &str = "eyJzd2l0Y2hlZC10by1uYW1lZCI6InRva2VuIn0";
    let dir = tempfile::tempdir().unwrap();
    let (pids, env) = (dir.path().join("pids"), dir.path().join("env"));
    let program = fake(
        dir.path(),
        &format!("echo $$ >> {pids}\nenv > {env}\nNAME=switched-on\n{QUICK_UP}\nexec sleep 600", pids = pids.display(), env = env.display()),
    );
    let log = dir.path().join("kds.log");
    let (mut kds, _, app) = serve_logged(dir.path(), &log, &[("KDS_CLOUDFLARED", program.to_str().unwrap())], &[]);
    let client = reqwest::Client::new();
    let h = health_when(&client, &app, "off").await;
    assert_eq!(h["tunnel"]["mode"], "off");
    assert!(read_pids(&pids).is_empty(), "no cloudflared runs while the tunnel is off");

    // off → quick: a child starts and its public URL appears.
    let s = put_settings(&client, &app, serde_json::json!({"tunnel": "quick"})).await;
    assert_eq!(s["tunnel"], "quick", "the answer shows the mode now in force: {s}");
    let h = health_when(&client, &app, "connected").await;
    assert_eq!((h["tunnel"]["url"].as_str(), h["tunnel"]["mode"].as_str()), (Some("https://switched-on.trycloudflare.com"), Some("quick")), "{h}");
    let quick = read_pids(&pids);
    assert_eq!(quick.len(), 1, "one cloudflared for the quick tunnel: {quick:?}");
    assert!(pid_alive(quick[0]));

    // quick → off: the child is stopped and gone.
    put_settings(&client, &app, serde_json::json!({"tunnel": "off"})).await;
    health_when(&client, &app, "off").await;
    eventually("the quick tunnel's cloudflared to be gone", WAIT, || async { (!pid_alive(quick[0])).then_some(()) }).await;

    // off → named with a pasted token: the child gets it in its environment.
    let s = put_settings(&client, &app, serde_json::json!({"tunnel": "named", "tunnel_token": format!("{TOKEN}\n")})).await;
    assert_eq!(s["tunnel_token_configured"], true);
    assert!(s["warnings"][0].as_str().unwrap_or("").contains("removed"), "the pasted newline is removed, with a warning: {s}");
    health_when(&client, &app, "connected").await;
    let named = read_pids(&pids);
    assert_eq!(named.len(), 2, "a second cloudflared was started for the named tunnel: {named:?}");
    let child_env = std::fs::read_to_string(&env).unwrap();
    assert!(child_env.contains(&format!("TUNNEL_TOKEN={TOKEN}\n")), "the named tunnel's cloudflared gets the pasted token, trimmed");

    unsafe { libc::kill(kds.id() as i32, libc::SIGTERM) };
    assert!(kds.wait().unwrap().success(), "kds stops cleanly");
    assert!(!pid_alive(named[1]), "stopping kds stops the named tunnel's cloudflared");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("tunnel settings changed"), "each change is logged");
    assert!(!logged.contains(TOKEN), "the token is never logged");
    let settings = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(settings.contains("tunnel = \"named\""), "the mode is kept for the next start: {settings}");
}

#[tokio::test]
async fn a_tunnel_change_in_settings_warns_when_the_environment_wins_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let program = fake(dir.path(), &format!("NAME=pinned\n{QUICK_UP}\nexec sleep 600"));
    let log = dir.path().join("kds.log");
    let (mut kds, _, app) = serve_logged(dir.path(), &log, &[("KDS_CLOUDFLARED", program.to_str().unwrap()), ("KDS_TUNNEL", "off")], &[]);
    let client = reqwest::Client::new();
    health_when(&client, &app, "off").await;

    let s = put_settings(&client, &app, serde_json::json!({"tunnel": "quick"})).await;
    let warnings = s["warnings"].to_string();
    assert!(warnings.contains("KDS_TUNNEL") && warnings.contains("next start"), "KDS_TUNNEL=off will win again at the next start, and the person is told which variable to remove: {s}");
    health_when(&client, &app, "connected").await;
    let s = put_settings(&client, &app, serde_json::json!({"tunnel": "quick", "chime": false})).await;
    assert_eq!(s["warnings"], serde_json::json!([]), "saving other settings with the tunnel unchanged warns of nothing: {s}");

    unsafe { libc::kill(kds.id() as i32, libc::SIGTERM) };
    assert!(kds.wait().unwrap().success(), "kds stops cleanly");
}
