//! Shared helpers for the end-to-end tests: a real server on 127.0.0.1:0
//! with a temp data dir, and a real HTTP client.
#![allow(dead_code)]

use std::time::Duration;

use kds::config::Config;
use kds::klikit::{EventType, WebhookSecret};
use kds::server::Server;
use kds::simulator::{self, Answer, Delivery};

pub mod process;

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
        TestServer { server, dir, client: simulator::client(), secret: WebhookSecret::new(SECRET).unwrap() }
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
        simulator::post(&self.client, &self.intake_url(), &self.secret, &d).await.expect("the intake answers")
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
