//! Shared by the end-to-end tests: a running kds on 127.0.0.1:0, klikit's
//! side (signed posts), and a screen's side (the API and the live stream).
#![allow(dead_code)]

pub mod sse;

use std::time::{Duration, Instant};

use kds::config::Config;
use kds::klikit::{EventType, WebhookSecret};
use kds::server::Server;
use kds::simulator::{self, Delivery};
use serde_json::Value;

/// How long a poll waits for the kitchen to catch up before failing.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub struct Kds {
    pub server: Server,
    pub secret: WebhookSecret,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).expect("fixtures are JSON")
}

impl Kds {
    pub async fn start() -> Kds {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path());
        let secret = WebhookSecret::new("engine-test-secret").unwrap();
        config.webhook_secret = Some(secret.clone());
        let server = Server::start(config).await.expect("kds starts on 127.0.0.1:0");
        Kds { server, secret, http: reqwest::Client::new(), _dir: dir }
    }

    pub fn app(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.app_addr())
    }

    /// Signs and posts `body` as klikit would, under a fresh event id, and
    /// checks it was acknowledged. Returns the event id.
    pub async fn send(&self, event_type: EventType, body: &Value) -> String {
        let delivery = Delivery { event_id: simulator::new_event_id(), event_type, body: serde_json::to_vec(body).unwrap() };
        let url = format!("http://{}/webhooks/klikit", self.server.intake_addr());
        let answer = simulator::post(&self.http, &url, &self.secret, &delivery).await.expect("the intake answers");
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
    let mut body = fixture("04-order-created-batched.json");
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    body["orders"][1]["scheduled_time"] = later.format(&time::format_description::well_known::Rfc3339).unwrap().into();
    body
}
