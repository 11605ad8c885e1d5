//! "Export diagnostics" end to end: the real `kds serve` configured with
//! every kind of secret (webhook secret, previous secret, one set later in
//! Settings, tunnel token, API token, klikit partner key and secret key),
//! the zip fetched by `kds diagnostics FILE` and by `GET
//! /api/diagnostics.zip`, and every file in it searched, raw and
//! decompressed, for each secret. Also `kds --version` and `GET /api/about`.

mod support;

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use support::process::kds_bin;

const WEBHOOK: &str = "whsec-diag-current-5f1e";
const PREVIOUS: &str = "whsec-diag-previous-77aa";
const FROM_SETTINGS: &str = "whsec-diag-settings-0c3d";
const TUNNEL_TOKEN: &str = "eyJ0dW5uZWwtdG9rZW4tZGlhZyI6IjQyIn0";
const API_TOKEN: &str = "api-token-diag-93b1";
const PARTNER_KEY: &str = "partner-key-diag-1a2b";
const PARTNER_SECRET: &str = "partner-secret-diag-3c4d";
const SECRETS: [&str; 7] = [WEBHOOK, PREVIOUS, FROM_SETTINGS, TUNNEL_TOKEN, API_TOKEN, PARTNER_KEY, PARTNER_SECRET];

/// A fake `cloudflared` that prints the token it was given in an error
/// line (a careless third party), then stays up.
fn careless_cloudflared(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("cloudflared");
    std::fs::write(&path, "#!/bin/sh\necho \"2026-11-22T10:00:00Z ERR could not use token $TUNNEL_TOKEN\" >&2\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Every file in the zip as (name, decompressed bytes).
fn entries(zip_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("the export is a readable zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().expect("an entry has a readable name").to_string(), bytes)
        })
        .collect()
}

fn assert_no_secret(what: &str, zip_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let files = entries(zip_bytes);
    for secret in SECRETS {
        let needle = secret.as_bytes();
        assert!(!zip_bytes.windows(needle.len()).any(|w| w == needle), "{what}: the zip's raw bytes hold {secret}");
        for (name, bytes) in &files {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{what}: {name} holds the secret {secret}:\n{}", String::from_utf8_lossy(bytes));
        }
    }
    files
}

#[tokio::test]
async fn the_diagnostics_zip_has_the_reports_and_logs_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let program = careless_cloudflared(dir.path());
    // Bound beyond loopback, so the API needs the token (and checks it).
    let mut kds = Command::new(kds_bin())
        .args(["serve", "--webhook-listen", "127.0.0.1:0", "--listen", "0.0.0.0:0", "--tunnel", "named", "--data-dir"])
        .arg(&data)
        .env("KLIKIT_WEBHOOK_SECRET", WEBHOOK)
        .env("KLIKIT_WEBHOOK_SECRET_PREVIOUS", PREVIOUS)
        .env("KDS_TUNNEL_TOKEN", TUNNEL_TOKEN)
        .env("KDS_CLOUDFLARED", &program)
        .env("KDS_API_TOKEN", API_TOKEN)
        .env("KLIKIT_PARTNER_KEY", PARTNER_KEY)
        .env("KLIKIT_PARTNER_SECRET", PARTNER_SECRET)
        .env("KLIKIT_API_URL", "http://127.0.0.1:9/v1/partner")
        .env("KDS_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kds starts");
    let stdout = std::io::BufReader::new(kds.stdout.take().unwrap());
    let listening = stdout.lines().map_while(Result::ok).find_map(|l| kds::server::Listening::parse(&l)).expect("kds prints its listening line");
    let port = listening.app_url.trim_end_matches('/').rsplit(':').next().unwrap().to_string();
    let app = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    // A delivery, so the zip has an outcome to list; then a secret set in Settings.
    let secret = kds::klikit::WebhookSecret::new(WEBHOOK).unwrap();
    let d = kds::client::Delivery { event_id: "evt-diag-1".into(), event_type: kds::klikit::EventType::OrderCreated, body: support::fixture("01-order-created-single.json") };
    assert_eq!(kds::client::post(&client, &listening.intake_url, &secret, &d).await.unwrap().status, 200);
    let put = client.put(format!("{app}/api/settings")).bearer_auth(API_TOKEN).json(&serde_json::json!({"webhook_secret": FROM_SETTINGS})).send().await.unwrap();
    assert_eq!(put.status(), 200, "a new secret is saved through Settings");

    let refused = client.get(format!("{app}/api/diagnostics.zip")).send().await.unwrap();
    assert_eq!(refused.status(), 401, "beyond loopback the export needs the API token like every /api/ route");
    let about: serde_json::Value = client.get(format!("{app}/api/about")).bearer_auth(API_TOKEN).send().await.unwrap().json().await.unwrap();
    assert_eq!(about["version"], env!("CARGO_PKG_VERSION"), "About names the version: {about}");
    assert_eq!(about["data_dir"], data.display().to_string(), "About names the data dir: {about}");
    assert!(about["app_listen"].as_str().unwrap().ends_with(&format!(":{port}")), "About names the app listener: {about}");

    // The CLI, as a person would run it (the token comes from the environment, like the server's).
    let out_file = dir.path().join("out.zip");
    let cli = Command::new(kds_bin())
        .args(["diagnostics", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&data)
        .arg(&out_file)
        .env("KDS_API_TOKEN", API_TOKEN)
        .output()
        .unwrap();
    assert!(cli.status.success(), "kds diagnostics succeeds: {}", String::from_utf8_lossy(&cli.stderr));
    let from_cli = std::fs::read(&out_file).unwrap();
    let files = assert_no_secret("kds diagnostics", &from_cli);
    let from_api = client.get(format!("{app}/api/diagnostics.zip")).bearer_auth(API_TOKEN).send().await.unwrap();
    assert_eq!(from_api.headers()["content-type"], "application/zip");
    assert_no_secret("GET /api/diagnostics.zip", &from_api.bytes().await.unwrap());

    let text = |name: &str| -> String {
        let (_, bytes) = files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("the zip has {name}: {:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>()));
        String::from_utf8(bytes.clone()).unwrap()
    };
    assert!(text("version.txt").contains(env!("CARGO_PKG_VERSION")));
    assert!(text("health.json").contains("\"secret_configured\": true"), "the health report: {}", text("health.json"));
    assert!(text("deliveries.json").contains("evt-diag-1"), "the recent deliveries' outcomes: {}", text("deliveries.json"));
    assert!(text("config.toml").contains("webhook_secret = \"****\""), "the file's secret is masked, not dropped: {}", text("config.toml"));
    assert!(text("config.txt").contains("Secret(****)"), "the configuration in force, secrets masked by their type");
    let log = text("logs/kds.log");
    assert!(log.contains("kds started"), "the rotating log file in the data dir is in the zip: {log}");
    assert!(log.contains("could not use token ****"), "cloudflared's careless line is there, masked");

    unsafe { libc::kill(kds.id() as i32, libc::SIGTERM) };
    assert!(kds.wait().unwrap().success(), "kds stops cleanly");
    let on_disk = std::fs::read_to_string(data.join("logs/kds.log")).unwrap();
    for secret in SECRETS {
        assert!(!on_disk.contains(secret), "the log file itself never holds {secret}");
    }
}

#[test]
fn kds_version_prints_the_version() {
    let out = Command::new(kds_bin()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), format!("kds {}", env!("CARGO_PKG_VERSION")));
}
