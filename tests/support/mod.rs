//! Shared by the end-to-end tests: a running kds on 127.0.0.1:0 with a temp
//! data dir, klikit's side (signed posts), and a screen's side (the API and
//! the live stream). `TestServer` drives the intake; `Kds` the kitchen.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use kds::config::Config;
use kds::klikit::{EventType, WebhookSecret};
use kds::server::Server;
use kds::client::{self, Answer, Delivery};
use serde_json::Value;

pub mod process;
pub mod sse;

/// kds-sim's order faker, handing out kds's own [`Delivery`] so tests can
/// post its orders with [`client::post`].
pub struct Feed(kds_sim::Feed);

impl Feed {
    pub fn new(seed: u64) -> Feed {
        Feed(kds_sim::Feed::new(seed))
    }

    pub fn next(&mut self, now: time::OffsetDateTime) -> Delivery {
        let d = self.0.next(now);
        Delivery::from_headers(d.event_id, d.event_type, d.body).expect("kds-sim generates only event types kds knows")
    }
}

pub const SECRET: &str = "e2e-webhook-secret";

pub struct TestServer {
    pub server: Server,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    pub secret: WebhookSecret,
}

impl TestServer {
    /// A server with the test secret and default settings.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server whose config is adjusted by `tweak` first.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("a temp dir");
        Self::start_in(dir, tweak).await
    }

    /// A server on an existing data dir (to test restarts).
    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config::for_data_dir(dir.path());
        config.webhook_secret = Some(WebhookSecret::new(SECRET).unwrap());
        tweak(&mut config);
        let server = Server::start(config).await.expect("the server starts on port 0");
        TestServer { server, dir, client: client::client(), secret: WebhookSecret::new(SECRET).unwrap() }
    }

    pub fn intake_url(&self) -> String {
        format!("http://{}/webhooks/klikit", self.server.intake_addr())
    }

    pub fn app_url(&self, path: &str) -> String {
        format!("http://{}{}", self.server.app_addr(), path)
    }

    /// Signs and posts `body` as klikit would.
    pub async fn send(&self, event_id: &str, event_type: EventType, body: &[u8]) -> Answer {
        let d = Delivery { event_id: event_id.into(), event_type, body: body.to_vec() };
        client::post(&self.client, &self.intake_url(), &self.secret, &d).await.expect("the intake answers")
    }

    /// Stops the server and hands back its data dir.
    pub async fn stop(self) -> tempfile::TempDir {
        self.server.shutdown().await;
        self.dir
    }
}

/// A fixture body from `tests/fixtures/`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture exists")
}

/// Polls `check` until it returns `Some`, or panics after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > until {
            panic!("timed out after {deadline:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How long a poll waits for the kitchen to catch up before failing.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub struct Kds {
    pub server: Server,
    pub secret: WebhookSecret,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// A fixture as JSON (the engine tests edit bodies before sending).
pub fn fixture_json(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).expect("fixtures are JSON")
}

impl Kds {
    pub async fn start() -> Kds {
        let TestServer { server, dir, client, secret } = TestServer::start().await;
        Kds { server, secret, http: client, _dir: dir }
    }

    pub fn app(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.app_addr())
    }

    /// Signs and posts `body` as klikit would, under a fresh event id, and
    /// checks it was acknowledged. Returns the event id.
    pub async fn send(&self, event_type: EventType, body: &Value) -> String {
        let delivery = Delivery { event_id: client::new_event_id(), event_type, body: serde_json::to_vec(body).unwrap() };
        let url = format!("http://{}/webhooks/klikit", self.server.intake_addr());
        let answer = client::post(&self.http, &url, &self.secret, &delivery).await.expect("the intake answers");
        assert_eq!(answer.status, 200, "a signed delivery is acknowledged: {}", answer.body);
        delivery.event_id
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res = self.http.get(self.app(path)).send().await.expect("the app listener answers");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let res = self.http.post(self.app(path)).body(body.to_string()).send().await.expect("the app listener answers");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Polls until every stored delivery is applied (or unprocessable).
    pub async fn settled(&self) {
        let started = Instant::now();
        loop {
            let (_, health) = self.get("/api/health").await;
            if health["applier"]["pending"] == 0 {
                return;
            }
            assert!(started.elapsed() < DEADLINE, "the applier should drain its inbox within {DEADLINE:?}: {health}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Polls `GET /api/tickets/{id}` until `ok` holds, and returns the ticket.
    pub async fn ticket_when(&self, id: &str, why: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let (status, t) = self.get(&format!("/api/tickets/{id}")).await;
            if status == 200 && ok(&t) {
                return t;
            }
            assert!(started.elapsed() < DEADLINE, "{why}; ticket {id} is now ({status}) {t}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Sets `updated_at` (and optionally `status`) on every order of a body.
pub fn with(mut body: Value, status: Option<i64>, updated_at: &str) -> Value {
    for o in body["orders"].as_array_mut().unwrap() {
        o["updated_at"] = updated_at.into();
        if let Some(s) = status {
            o["status"] = s.into();
        }
    }
    body
}

/// The batched fixture, with its scheduled order moved two hours into the
/// future (its own date has passed, so the kitchen would start it at once).
pub fn batch_with_future_schedule() -> Value {
    let mut body = fixture_json("04-order-created-batched.json");
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    body["orders"][1]["scheduled_time"] = later.format(&time::format_description::well_known::Rfc3339).unwrap().into();
    body
}
