//! The webhook listener: `POST /webhooks/klikit` and `GET /healthz`, nothing
//! else. This is the only thing the tunnel exposes to the internet.
//!
//! For each delivery it checks the headers, reads the body (bounded in size
//! and time), verifies the signature over the raw bytes, commits the raw
//! delivery to the inbox, and only then answers 2xx. What each outcome is
//! answered is the answer table in [`answer`]; the counters are in [`stats`];
//! the receiver-down alert is [`watch`].
//!
//! It never applies orders to tickets: it wakes the applier and returns.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::Notify;

mod answer;
mod budget;
mod stats;
mod watch;

pub use answer::{IntakeError, Outcome};
pub use budget::{BudgetSnapshot, DEFAULT_BUDGET_BYTES, SMALL_BODY_BYTES};
use budget::BodyBudget;
use answer::Accepted;
pub use stats::{IntakeSnapshot, Refusal};
use stats::IntakeStats;
use watch::StorageWatch;

use crate::alert::Alerts;
use crate::klikit::{self, Envelope, EventType, WebhookSecret};
use crate::store::{InsertOutcome, NewDelivery, Store};

/// Largest body accepted. klikit's orders are a few KiB; a batch of dozens is
/// well under this.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The intake's shared state: the store, the accepted secrets, counters, and
/// the bell that wakes the applier.
#[derive(Clone)]
pub struct Intake {
    store: Store,
    secrets: Arc<RwLock<Vec<WebhookSecret>>>,
    /// Until when the secrets after the first (the previous ones) are
    /// accepted; `None`: for as long as they are configured.
    previous_until: Arc<RwLock<Option<OffsetDateTime>>>,
    stats: Arc<IntakeStats>,
    applier: Arc<Notify>,
    body_timeout: Duration,
    alerts: Alerts,
    storage: Arc<Mutex<StorageWatch>>,
    budget: Arc<BodyBudget>,
}

impl Intake {
    /// `secrets`: current first, then the previous one during a rotation.
    pub fn new(store: Store, secrets: Vec<WebhookSecret>, applier: Arc<Notify>, body_timeout: Duration) -> Intake {
        let (stats, alerts, storage) = (Arc::default(), Alerts::default(), Arc::default());
        let budget = Arc::new(BodyBudget::new(DEFAULT_BUDGET_BYTES));
        let previous_until = Arc::default();
        Intake { store, secrets: Arc::new(RwLock::new(secrets)), previous_until, stats, applier, body_timeout, alerts, storage, budget }
    }

    /// Bounds the body bytes in flight at once to `bytes` (see [`budget`]).
    pub fn with_body_budget(mut self, bytes: u64) -> Intake {
        self.budget = Arc::new(BodyBudget::new(bytes));
        self
    }

    /// The memory budget's figures now.
    pub fn body_budget(&self) -> BudgetSnapshot {
        self.budget.snapshot()
    }

    /// Raises the receiver's alerts on `alerts` (by default they go nowhere).
    pub fn with_alerts(mut self, alerts: Alerts) -> Intake {
        self.alerts = alerts;
        self
    }

    /// Replaces the accepted secrets (the settings view does this).
    pub fn set_secrets(&self, secrets: Vec<WebhookSecret>) {
        self.set_secrets_until(secrets, None);
    }

    /// Replaces the accepted secrets, the previous ones (all but the first)
    /// accepted only before `previous_until` when it is given: the rotation
    /// window.
    pub fn set_secrets_until(&self, secrets: Vec<WebhookSecret>, previous_until: Option<OffsetDateTime>) {
        *self.previous_until.write().unwrap() = previous_until;
        *self.secrets.write().unwrap() = secrets;
        self.stats.no_secret_logged.store(false, Ordering::Relaxed);
    }

    /// The secret deliveries are signed with now (the current one, as the
    /// settings view may have changed it since start).
    pub fn current_secret(&self) -> Option<WebhookSecret> {
        self.secrets.read().unwrap().first().cloned()
    }

    /// Every secret accepted now, the current one first (for masking them
    /// in the diagnostics zip; never for display).
    pub fn accepted_secrets(&self) -> Vec<WebhookSecret> {
        self.secrets.read().unwrap().clone()
    }

    /// Whether any secret is configured.
    pub fn secret_configured(&self) -> bool {
        !self.secrets.read().unwrap().is_empty()
    }

    /// Counters and recent refusals, for health and diagnostics.
    pub fn stats(&self) -> IntakeSnapshot {
        self.stats.snapshot()
    }

    async fn receive(&self, headers: &HeaderMap, body: Body, now: OffsetDateTime) -> Result<Accepted, IntakeError> {
        let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if length.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
            return Err(IntakeError::TooLarge);
        }
        if let Some(name) = repeated_klikit_header(headers) {
            return Err(IntakeError::RepeatedHeader(name));
        }
        let signature = required(headers, klikit::SIGNATURE_HEADER)?;
        let event_id = required(headers, klikit::EVENT_ID_HEADER)?;
        let event_type = required(headers, klikit::EVENT_TYPE_HEADER)?;
        if event_id.len() > klikit::MAX_EVENT_ID_LEN || event_id.chars().any(char::is_control) {
            return Err(IntakeError::BadHeader(klikit::EVENT_ID_HEADER, "too long or has control characters"));
        }
        let secrets = self.secrets.read().unwrap().clone();
        if secrets.is_empty() {
            return Err(IntakeError::NoSecret);
        }
        if self.store.read_only() {
            return Err(IntakeError::Store(crate::store::StoreError::ReadOnly));
        }
        if let Some(enc) = headers.get(header::CONTENT_ENCODING) {
            if !enc.as_bytes().eq_ignore_ascii_case(b"identity") {
                return Err(IntakeError::UnsupportedEncoding);
            }
        }
        // Held until the delivery is answered: the body is in memory till then.
        let _reserved = self.budget.reserve(length.unwrap_or(MAX_BODY_BYTES as u64)).ok_or(IntakeError::OverBudget)?;
        let body = read_body(body, self.body_timeout).await?;
        let previous_until = *self.previous_until.read().unwrap();
        let in_window = previous_until.is_none_or(|until| now < until);
        let refs: Vec<&WebhookSecret> = secrets.iter().enumerate().filter(|(i, _)| *i == 0 || in_window).map(|(_, s)| s).collect();
        klikit::verify(&refs, &body, signature).map_err(IntakeError::InvalidSignature)?;

        let unprocessable = match EventType::parse(event_type) {
            None => Some(format!("unknown event type {event_type:?}")),
            Some(_) => Envelope::parse(&body).err().map(|e| e.to_string()),
        };
        let delivery = NewDelivery {
            event_id: event_id.to_owned(),
            event_type: event_type.to_owned(),
            body_sha256: klikit::body_sha256(&body),
            body: body.to_vec(),
            headers: stored_headers(headers),
            received_at: now,
            unprocessable: unprocessable.clone(),
        };
        match self.store.insert_delivery(delivery).await.map_err(IntakeError::Store)? {
            InsertOutcome::Inserted { .. } => {
                if unprocessable.is_none() {
                    self.applier.notify_one();
                }
                Ok(Accepted::Received { unprocessable })
            }
            InsertOutcome::Duplicate { .. } => Ok(Accepted::Duplicate),
        }
    }
}

/// The first `x-klikit-*` header sent more than once, if any. Two event ids
/// would let the dedupe read one while the stored headers show the other, so
/// such a delivery is refused rather than guessed at.
fn repeated_klikit_header(headers: &HeaderMap) -> Option<String> {
    headers.keys().map(|n| n.as_str()).find(|n| n.starts_with("x-klikit-") && headers.get_all(*n).iter().nth(1).is_some()).map(str::to_owned)
}

fn required<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, IntakeError> {
    let value = headers.get(name).ok_or(IntakeError::MissingHeader(name))?;
    let value = value.to_str().map_err(|_| IntakeError::BadHeader(name, "not visible ASCII"))?.trim();
    if value.is_empty() {
        return Err(IntakeError::MissingHeader(name));
    }
    Ok(value)
}

async fn read_body(body: Body, limit_time: Duration) -> Result<axum::body::Bytes, IntakeError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    match tokio::time::timeout(limit_time, limited.collect()).await {
        Err(_) => Err(IntakeError::BodyTimeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(IntakeError::TooLarge),
        Ok(Err(_)) => Err(IntakeError::BodyRead),
    }
}


/// The headers worth keeping with a delivery: klikit's, and the content type.
fn stored_headers(headers: &HeaderMap) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (name, value) in headers {
        let n = name.as_str();
        if n.starts_with("x-klikit-") || n == "content-type" || n == "user-agent" {
            out.insert(n.to_owned(), json!(String::from_utf8_lossy(value.as_bytes())));
        }
    }
    serde_json::Value::Object(out)
}

/// The intake listener's routes. Anything else is 404 (or 405 for another
/// method on a known path); the app API is never reachable here.
pub fn router(intake: Intake) -> Router {
    Router::new()
        .route("/webhooks/klikit", post(receive))
        .route("/healthz", get(healthz))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))) })
        .with_state(intake)
}

async fn receive(State(intake): State<Intake>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    let result = intake.receive(&headers, body, now).await;
    let latency_us = started.elapsed().as_micros() as u64;
    intake.stats.count(&result);
    intake.watch_storage(&result, now);
    let header_str = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(klikit::MAX_EVENT_ID_LEN).collect::<String>());
    let event_id = header_str(klikit::EVENT_ID_HEADER);
    let event_type = header_str(klikit::EVENT_TYPE_HEADER);
    match &result {
        Ok(accepted) => {
            tracing::info!(event_id = ?event_id.unwrap_or_default(), event_type = ?event_type.unwrap_or_default(), outcome = accepted.outcome().as_str(), latency_us, "delivery");
        }
        Err(error) => {
            let quiet = match error {
                // Logged once already; health shows it too.
                IntakeError::NoSecret => intake.stats.no_secret_logged.swap(true, Ordering::Relaxed),
                // A flood: said at 1, 2, 4, 8… refusals, so it cannot fill the disk.
                IntakeError::OverBudget => !intake.body_budget().refused.is_power_of_two(),
                _ => false,
            };
            if !quiet {
                tracing::warn!(event_id = ?event_id.clone().unwrap_or_default(), event_type = ?event_type.clone().unwrap_or_default(), outcome = error.outcome().as_str(), reason = %error, latency_us, "delivery refused");
            }
            intake.stats.remember(Refusal { at: now, event_id, event_type, outcome: error.outcome(), detail: error.to_string() });
        }
    }
    match result {
        Ok(accepted) => accepted.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn healthz(State(intake): State<Intake>) -> Response {
    if intake.secret_configured() {
        Json(json!({"status": "ok"})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not-configured"}))).into_response()
    }
}

#[cfg(test)]
mod tests {
    //! Router tests without a socket (`oneshot`). The end-to-end versions,
    //! over real HTTP, are in `tests/intake.rs`.
    use super::*;
    use axum::http::{HeaderValue, Request};
    use tower::ServiceExt;

    struct Fixture {
        _dir: tempfile::TempDir,
        intake: Intake,
        secret: WebhookSecret,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), Default::default()).unwrap();
        let secret = WebhookSecret::new("test-secret").unwrap();
        let intake = Intake::new(store, vec![secret.clone()], Arc::new(Notify::new()), Duration::from_secs(5));
        Fixture { _dir: dir, intake, secret }
    }

    fn request(body: &[u8], sig: &str, id: &str, ty: &str) -> Request<Body> {
        Request::post("/webhooks/klikit")
            .header("content-type", "application/json")
            .header(klikit::SIGNATURE_HEADER, sig)
            .header(klikit::EVENT_ID_HEADER, id)
            .header(klikit::EVENT_TYPE_HEADER, ty)
            .body(Body::from(body.to_vec()))
            .unwrap()
    }

    async fn call(intake: &Intake, req: Request<Body>) -> (StatusCode, serde_json::Value) {
        let res = router(intake.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    const BODY: &[u8] = br#"{"brand_id":1,"branch_id":2,"orders":[{"id":42}]}"#;

    #[tokio::test]
    async fn signed_delivery_is_received_then_duplicate() {
        let f = fixture();
        let sig = f.secret.sign(BODY);
        let (s, b) = call(&f.intake, request(BODY, &sig, "e1", "klikit.order.created.v2")).await;
        assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("received")));
        let (s, b) = call(&f.intake, request(BODY, &sig, "e1", "klikit.order.created.v2")).await;
        assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("duplicate-ignored")), "same event id must not be stored twice");
    }

    #[tokio::test]
    async fn each_missing_header_is_named() {
        let f = fixture();
        for missing in [klikit::SIGNATURE_HEADER, klikit::EVENT_ID_HEADER, klikit::EVENT_TYPE_HEADER] {
            let mut req = request(BODY, &f.secret.sign(BODY), "e1", "klikit.order.created.v2");
            req.headers_mut().remove(missing);
            let (s, b) = call(&f.intake, req).await;
            assert_eq!(s, StatusCode::BAD_REQUEST);
            assert!(b["error"].as_str().unwrap().contains(missing), "the error must name {missing}: {b}");
        }
    }

    #[tokio::test]
    async fn a_repeated_klikit_header_is_refused_and_nothing_is_stored() {
        let f = fixture();
        for name in [klikit::EVENT_ID_HEADER, klikit::SIGNATURE_HEADER, klikit::EVENT_TYPE_HEADER, "x-klikit-anything"] {
            let mut req = request(BODY, &f.secret.sign(BODY), "e1", "klikit.order.created.v2");
            if !req.headers().contains_key(name) {
                req.headers_mut().append(name, HeaderValue::from_static("e3"));
            }
            req.headers_mut().append(name, HeaderValue::from_static("e2"));
            let (s, b) = call(&f.intake, req).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{name} twice: which one is meant cannot be known");
            assert!(b["error"].as_str().unwrap().contains(name), "the error names the header: {b}");
        }
        assert!(f.intake.store.delivery("e1").await.unwrap().is_none(), "a refused delivery is not stored");
        assert!(f.intake.store.delivery("e2").await.unwrap().is_none(), "a refused delivery is not stored");
    }

    #[tokio::test]
    async fn forged_signature_is_401_and_counted() {
        let f = fixture();
        let other = WebhookSecret::new("not-the-secret").unwrap();
        let (s, b) = call(&f.intake, request(BODY, &other.sign(BODY), "e1", "klikit.order.created.v2")).await;
        assert_eq!((s, b), (StatusCode::UNAUTHORIZED, json!({"error": "invalid signature"})));
        assert_eq!(f.intake.stats().invalid_signature, 1, "refusals are counted for diagnostics");
        assert!(f.intake.store.delivery("e1").await.unwrap().is_none(), "a forged delivery is never stored");
    }

    #[tokio::test]
    async fn the_previous_secret_is_accepted_only_within_its_window() {
        let f = fixture();
        let old = WebhookSecret::new("old-secret").unwrap();
        let now = OffsetDateTime::now_utc();
        f.intake.set_secrets_until(vec![f.secret.clone(), old.clone()], Some(now + time::Duration::hours(1)));
        let (s, _) = call(&f.intake, request(BODY, &old.sign(BODY), "in-window", "klikit.order.created.v2")).await;
        assert_eq!(s, StatusCode::OK, "klikit's deliveries signed before it switched over still count within the window");
        f.intake.set_secrets_until(vec![f.secret.clone(), old.clone()], Some(now - time::Duration::seconds(1)));
        let (s, _) = call(&f.intake, request(BODY, &old.sign(BODY), "after-window", "klikit.order.created.v2")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "after the window the old secret is no longer accepted");
        let (s, _) = call(&f.intake, request(BODY, &f.secret.sign(BODY), "current", "klikit.order.created.v2")).await;
        assert_eq!(s, StatusCode::OK, "the current secret has no window");
    }

    #[tokio::test]
    async fn no_secret_is_503_with_retry_after() {
        let f = fixture();
        f.intake.set_secrets(vec![]);
        let res = router(f.intake.clone()).oneshot(request(BODY, &f.secret.sign(BODY), "e1", "klikit.order.created.v2")).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().contains_key(header::RETRY_AFTER), "klikit must be told to retry");
    }

    #[tokio::test]
    async fn signed_garbage_is_kept_as_unprocessable() {
        let f = fixture();
        let body = b"this is not json";
        let (s, b) = call(&f.intake, request(body, &f.secret.sign(body), "e9", "klikit.order.created.v2")).await;
        assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("received")), "retries could not fix it, so it is acknowledged");
        let stored = f.intake.store.delivery("e9").await.unwrap().expect("signed deliveries are always kept");
        assert!(stored.reason.unwrap().contains("not JSON"));
        let (_, b) = call(&f.intake, request(BODY, &f.secret.sign(BODY), "e10", "klikit.order.exploded.v9")).await;
        assert!(b["unprocessable"].as_str().unwrap().contains("unknown event type"), "{b}");
    }

    #[tokio::test]
    async fn gzip_is_refused_with_415() {
        let f = fixture();
        let mut req = request(BODY, &f.secret.sign(BODY), "e1", "klikit.order.created.v2");
        req.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        let (s, _) = call(&f.intake, req).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn other_paths_and_methods_are_404_and_405() {
        let f = fixture();
        let (s, _) = call(&f.intake, Request::get("/api/tickets").body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "the app API must not be reachable on the intake listener");
        let (s, _) = call(&f.intake, Request::get("/webhooks/klikit").body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    }
}
