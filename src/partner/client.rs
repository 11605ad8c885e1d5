//! The klikit partner API client: credentials, the response envelope, error
//! classification, and retries with backoff.
//!
//! What it owns:
//! - **Credentials** ([`PartnerConfig`]): the partner key and secret key
//!   (HTTP Basic) and the base URL (`dev`, `prod` or any URL ending in
//!   `/v1/partner`). Its `Debug` masks the secret; nothing here logs it.
//!   The credentials can be replaced while kds runs (Settings), so every
//!   request reads the current ones.
//! - **The envelope** (`request_id`, `data`, `error{code,message,details}`):
//!   every `request_id` is logged, since klikit support asks for it.
//! - **Classification** ([`ErrorKind::classify`]): klikit's two vocabularies
//!   of error codes (`INVALID_TRANSITION` and `state_invalid_transition`, …)
//!   matched case-insensitively, with the HTTP status as the fallback.
//! - **Retries**: only 429 (honouring `Retry-After`), 500, 502, 503 and
//!   network failures, with exponential backoff and jitter ([`backoff`]:
//!   500 ms doubling, capped at 30 s), at most [`MAX_TRIES`] tries. Another
//!   4xx is never retried.
//!
//! What it never does: decide what an answer means for a ticket (the
//! sender does), or touch the store.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// klikit's development sandbox.
pub const DEV_BASE: &str = "https://api.dev.shadowchef.co/v1/partner";
/// klikit's production API.
pub const PROD_BASE: &str = "https://gateway-enterprise.klikit.io/v1/partner";
/// Tries per call, the first included (klikit's guidance: give up after 5).
pub const MAX_TRIES: u32 = 5;
/// First backoff delay.
pub const BACKOFF_START: Duration = Duration::from_millis(500);
/// Longest backoff delay, and the longest `Retry-After` honoured.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// One request's time limit.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves `dev`, `prod` or a URL to a base URL without its trailing slash.
pub fn resolve_base(value: &str) -> Result<String, String> {
    let v = value.trim();
    match v.to_ascii_lowercase().as_str() {
        "dev" | "development" => Ok(DEV_BASE.into()),
        "prod" | "production" => Ok(PROD_BASE.into()),
        _ if v.starts_with("https://") || v.starts_with("http://") => {
            let v = v.trim_end_matches('/');
            if v.ends_with("/v1/partner") {
                Ok(v.to_string())
            } else {
                Err(format!("{v:?} does not end in /v1/partner"))
            }
        }
        _ => Err(format!("{v:?} is not dev, prod or a URL ending in /v1/partner")),
    }
}

/// Where and as whom to call klikit.
#[derive(Clone, PartialEq, Eq)]
pub struct PartnerConfig {
    pub base_url: String,
    pub partner_key: String,
    secret_key: String,
}

impl PartnerConfig {
    /// `None` when either key is empty.
    pub fn new(base_url: impl Into<String>, partner_key: &str, secret_key: &str) -> Option<PartnerConfig> {
        let (k, s) = (partner_key.trim(), secret_key.trim());
        if k.is_empty() || s.is_empty() {
            return None;
        }
        Some(PartnerConfig { base_url: base_url.into(), partner_key: k.into(), secret_key: s.into() })
    }

    /// The secret key, for the one place that must keep it (the settings file).
    pub(crate) fn secret_key(&self) -> &str {
        &self.secret_key
    }

    fn authorization(&self) -> String {
        let raw = format!("{}:{}", self.partner_key, self.secret_key);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }
}

impl fmt::Debug for PartnerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerConfig").field("base_url", &self.base_url).field("partner_key", &"****").field("secret_key", &"****").finish()
    }
}

/// What an error answer means, whichever vocabulary klikit used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidRequest,
    MissingIdempotencyKey,
    InvalidRange,
    /// 401: missing, wrong or revoked keys.
    Unauthorized,
    /// 403: the keys lack a scope, or were revoked.
    Forbidden,
    NotFound,
    IdempotencyConflict,
    InvalidTransition,
    RateLimited,
    /// klikit's side (500, 502, 503).
    Server,
    Other,
}

impl ErrorKind {
    /// Classifies an answer by its code (case-insensitive, both vocabularies),
    /// else by its HTTP status.
    pub fn classify(code: Option<&str>, status: u16) -> ErrorKind {
        let by_code = code.map(|c| c.trim().to_ascii_lowercase()).and_then(|c| {
            Some(match c.as_str() {
                "request_invalid" => ErrorKind::InvalidRequest,
                "request_missing_idempotency_key" => ErrorKind::MissingIdempotencyKey,
                "request_invalid_range" => ErrorKind::InvalidRange,
                "missing_auth" | "auth_missing" | "invalid_credentials" | "auth_invalid_credential" => ErrorKind::Unauthorized,
                "auth_revoked" | "forbidden_scope" | "auth_forbidden" => ErrorKind::Forbidden,
                "resource_not_found" | "resource_unmapped" => ErrorKind::NotFound,
                "idempotency_key_conflict" | "state_idempotency_conflict" => ErrorKind::IdempotencyConflict,
                "invalid_transition" | "state_invalid_transition" => ErrorKind::InvalidTransition,
                "rate_limited" => ErrorKind::RateLimited,
                "internal" | "downstream_unavailable" => ErrorKind::Server,
                _ => return None,
            })
        });
        by_code.unwrap_or(match status {
            400 => ErrorKind::InvalidRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::IdempotencyConflict,
            422 => ErrorKind::InvalidTransition,
            429 => ErrorKind::RateLimited,
            500 | 502 | 503 => ErrorKind::Server,
            _ => ErrorKind::Other,
        })
    }

    /// Worth another try.
    pub fn retryable(self) -> bool {
        matches!(self, ErrorKind::RateLimited | ErrorKind::Server)
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartnerError {
    /// klikit answered with an error.
    #[error("klikit answered {status} {code} ({kind:?}): {message} [request_id {request_id}]", code = code.as_deref().unwrap_or("-"), request_id = request_id.as_deref().unwrap_or("-"))]
    Api { status: u16, kind: ErrorKind, code: Option<String>, message: String, request_id: Option<String>, retry_after: Option<Duration> },
    /// No answer: refused, reset or timed out.
    #[error("klikit could not be reached: {0}")]
    Network(String),
    /// An answer that is not klikit's envelope.
    #[error("klikit's answer could not be read: {0}")]
    Decode(String),
    /// No credentials are configured.
    #[error("no klikit partner credentials are configured")]
    NotConfigured,
}

impl PartnerError {
    /// The kind of an API error (`None` for the others).
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            PartnerError::Api { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    fn retryable(&self) -> bool {
        match self {
            PartnerError::Api { kind, .. } => kind.retryable(),
            PartnerError::Network(_) => true,
            _ => false,
        }
    }

    /// The sentence a kitchen reads on a card or in Settings.
    pub fn plain(&self) -> String {
        match self {
            PartnerError::Api { kind: ErrorKind::Unauthorized, .. } => "klikit rejected our credentials (wrong or revoked keys)".into(),
            PartnerError::Api { kind: ErrorKind::Forbidden, .. } => "klikit refused: these keys lack the scope for this call, or were revoked".into(),
            PartnerError::Api { kind: ErrorKind::InvalidTransition, .. } => "klikit does not allow this change from the order's current state".into(),
            PartnerError::Api { kind: ErrorKind::IdempotencyConflict, .. } => "klikit saw this action's key with a different body (idempotency conflict)".into(),
            PartnerError::Api { kind: ErrorKind::NotFound, .. } => "klikit does not know this order (or these keys cannot see it)".into(),
            PartnerError::Api { kind: ErrorKind::RateLimited, .. } => "klikit is rate limiting us".into(),
            PartnerError::Api { kind: ErrorKind::Server, status, .. } => format!("klikit had a server error ({status})"),
            PartnerError::Api { status, code, .. } => format!("klikit refused the request ({status} {})", code.as_deref().unwrap_or("no code")),
            PartnerError::Network(_) => "klikit could not be reached".into(),
            PartnerError::Decode(_) => "klikit's answer could not be read".into(),
            PartnerError::NotConfigured => "no klikit partner keys are set".into(),
        }
    }
}

/// The delay before try `retry + 1` (`retry` counts from 0): 500 ms doubling,
/// capped at 30 s, scaled by `jitter` (0..=1) into its upper half.
pub fn backoff(retry: u32, jitter: f64) -> Duration {
    let full = BACKOFF_START.saturating_mul(1u32 << retry.min(16)).min(BACKOFF_CAP);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// klikit's envelope, as read.
#[derive(Debug, Deserialize)]
struct Envelope {
    request_id: Option<String>,
    #[serde(default)]
    data: Value,
    error: Option<EnvelopeError>,
}

#[derive(Debug, Deserialize)]
struct EnvelopeError {
    code: Option<String>,
    #[serde(default)]
    message: String,
}

/// Reads one answer: the `data` of a 2xx, or the classified error.
pub fn read_answer(status: u16, retry_after: Option<&str>, body: &[u8]) -> Result<(Option<String>, Value), PartnerError> {
    let envelope: Option<Envelope> = serde_json::from_slice(body).ok();
    let request_id = envelope.as_ref().and_then(|e| e.request_id.clone());
    if (200..300).contains(&status) {
        return match envelope {
            Some(e) if e.error.is_none() => Ok((request_id, e.data)),
            _ => Err(PartnerError::Decode(format!("a {status} without klikit's envelope"))),
        };
    }
    let error = envelope.and_then(|e| e.error);
    let code = error.as_ref().and_then(|e| e.code.clone());
    Err(PartnerError::Api {
        status,
        kind: ErrorKind::classify(code.as_deref(), status),
        message: error.map(|e| e.message).unwrap_or_default(),
        code,
        request_id,
        retry_after: retry_after.and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs),
    })
}

/// The body of `PATCH /orders/{id}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
}

/// klikit's answer to a status change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusAnswer {
    pub id: String,
    pub status: String,
    pub updated_at: Option<String>,
}

/// A page of `GET /orders`.
#[derive(Debug, Clone)]
pub struct OrdersPage {
    pub orders: Vec<Value>,
    pub total: u64,
}

/// The partner API client. Cheap to clone; clones share credentials.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<RwLock<Option<PartnerConfig>>>,
}

impl Client {
    pub fn new(config: Option<PartnerConfig>) -> Client {
        let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().expect("the HTTP client builds with static settings");
        Client { http, config: Arc::new(RwLock::new(config)) }
    }

    /// Replaces the credentials (Settings); calls from now on use them.
    pub fn set_config(&self, config: Option<PartnerConfig>) {
        *self.config.write().unwrap() = config;
    }

    /// The current credentials.
    pub fn config(&self) -> Option<PartnerConfig> {
        self.config.read().unwrap().clone()
    }

    /// One call, retried as the module doc says.
    async fn call(&self, method: reqwest::Method, path: &str, query: &[(&str, String)], body: Option<&Value>, key: Option<&str>) -> Result<Value, PartnerError> {
        let mut retry = 0;
        loop {
            let result = self.once(method.clone(), path, query, body, key).await;
            match result {
                Err(e) if e.retryable() && retry + 1 < MAX_TRIES => {
                    let wait = match &e {
                        PartnerError::Api { retry_after: Some(after), .. } => (*after).min(BACKOFF_CAP),
                        _ => backoff(retry, rand::random::<f64>()),
                    };
                    tracing::warn!(%path, error = %e, retry = retry + 1, wait_ms = wait.as_millis() as u64, "partner: retrying");
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    async fn once(&self, method: reqwest::Method, path: &str, query: &[(&str, String)], body: Option<&Value>, key: Option<&str>) -> Result<Value, PartnerError> {
        let config = self.config().ok_or(PartnerError::NotConfigured)?;
        let mut req = self.http.request(method.clone(), format!("{}{path}", config.base_url)).header("authorization", config.authorization()).query(query);
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let res = req.send().await.map_err(|e| PartnerError::Network(e.without_url().to_string()))?;
        let status = res.status().as_u16();
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = res.bytes().await.map_err(|e| PartnerError::Network(e.without_url().to_string()))?;
        let answer = read_answer(status, retry_after.as_deref(), &bytes);
        let request_id = match &answer {
            Ok((id, _)) => id.clone(),
            Err(PartnerError::Api { request_id, .. }) => request_id.clone(),
            Err(_) => None,
        };
        tracing::info!(%method, %path, status, request_id = request_id.as_deref().unwrap_or("-"), "partner: klikit answered");
        answer.map(|(_, data)| data)
    }

    /// `GET /brands`: `data[0].brands[]` and `data[0].business`.
    pub async fn brands(&self) -> Result<Value, PartnerError> {
        self.call(reqwest::Method::GET, "/brands", &[], None, None).await
    }

    /// `GET /branches`: `data.results[]`.
    pub async fn branches(&self) -> Result<Value, PartnerError> {
        self.call(reqwest::Method::GET, "/branches", &[], None, None).await
    }

    /// `GET /orders/{id}`: one full order record.
    pub async fn order(&self, id: &str) -> Result<Value, PartnerError> {
        self.call(reqwest::Method::GET, &format!("/orders/{id}"), &[], None, None).await
    }

    /// `GET /orders`: a page of the orders created in `[from, to)`.
    pub async fn orders(&self, from: &str, to: &str, page: u32, size: u32) -> Result<OrdersPage, PartnerError> {
        let query = [("from", from.to_string()), ("to", to.to_string()), ("page", page.to_string()), ("size", size.to_string())];
        let data = self.call(reqwest::Method::GET, "/orders", &query, None, None).await?;
        let orders = data["orders"].as_array().cloned().ok_or_else(|| PartnerError::Decode("no data.orders in a list of orders".into()))?;
        Ok(OrdersPage { orders, total: data["total"].as_u64().unwrap_or(0) })
    }

    /// `PATCH /orders/{id}/status` under `key`.
    pub async fn set_status(&self, id: &str, change: &StatusChange, key: &str) -> Result<StatusAnswer, PartnerError> {
        let body = serde_json::to_value(change).expect("a status change is plain JSON");
        let data = self.call(reqwest::Method::PATCH, &format!("/orders/{id}/status"), &[], Some(&body), Some(key)).await?;
        serde_json::from_value(data).map_err(|e| PartnerError::Decode(format!("status answer: {e}")))
    }
}

/// "Check connection": `GET /brands`, then `GET /branches`. The answer is
/// `{"ok": true, "brands": [...], "branches": [...]}` or `{"ok": false,
/// "error": "<plain words>"}`; it never holds a key.
pub async fn check(client: &Client) -> Value {
    let brands = match client.brands().await {
        Ok(data) => data,
        Err(e) => return serde_json::json!({"ok": false, "error": e.plain()}),
    };
    let brands: Vec<Value> = brands[0]["brands"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| serde_json::json!({"id": b["id"], "title": b["title"]}))
        .collect();
    match client.branches().await {
        Ok(data) => {
            let branches: Vec<Value> =
                data["results"].as_array().into_iter().flatten().map(|b| serde_json::json!({"id": b["id"], "title": b["title"]})).collect();
            serde_json::json!({"ok": true, "brands": brands, "branches": branches})
        }
        Err(e) => serde_json::json!({"ok": false, "brands": brands, "error": format!("brands are visible, but branches are not: {}", e.plain())}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_across_both_vocabularies_and_any_case() {
        for (code, status, kind) in [
            ("INVALID_TRANSITION", 422, ErrorKind::InvalidTransition),
            ("state_invalid_transition", 409, ErrorKind::InvalidTransition),
            ("IDEMPOTENCY_KEY_CONFLICT", 409, ErrorKind::IdempotencyConflict),
            ("State_Idempotency_Conflict", 409, ErrorKind::IdempotencyConflict),
            ("FORBIDDEN_SCOPE", 403, ErrorKind::Forbidden),
            ("auth_forbidden", 403, ErrorKind::Forbidden),
            ("INVALID_CREDENTIALS", 401, ErrorKind::Unauthorized),
            ("request_invalid_range", 400, ErrorKind::InvalidRange),
            ("RATE_LIMITED", 429, ErrorKind::RateLimited),
            ("DOWNSTREAM_UNAVAILABLE", 502, ErrorKind::Server),
        ] {
            assert_eq!(ErrorKind::classify(Some(code), status), kind, "{code} means {kind:?}");
        }
        assert_eq!(ErrorKind::classify(Some("something_new"), 409), ErrorKind::IdempotencyConflict, "an unknown code falls back to the status");
        assert_eq!(ErrorKind::classify(None, 422), ErrorKind::InvalidTransition);
        assert_eq!(ErrorKind::classify(None, 503), ErrorKind::Server);
        assert_eq!(ErrorKind::classify(None, 418), ErrorKind::Other);
    }

    #[test]
    fn only_rate_limits_and_server_errors_are_retried() {
        for kind in [ErrorKind::RateLimited, ErrorKind::Server] {
            assert!(kind.retryable(), "{kind:?} is worth another try");
        }
        for kind in [ErrorKind::InvalidRequest, ErrorKind::Unauthorized, ErrorKind::Forbidden, ErrorKind::IdempotencyConflict, ErrorKind::InvalidTransition, ErrorKind::NotFound, ErrorKind::Other] {
            assert!(!kind.retryable(), "a {kind:?} never changes by retrying");
        }
        assert_eq!(ErrorKind::classify(None, 504), ErrorKind::Other, "504 is not on the retry list");
        assert!(PartnerError::Network("timed out".into()).retryable(), "a network failure is retried");
    }

    #[test]
    fn envelopes_read_into_data_or_a_classified_error() {
        let (id, data) = read_answer(200, None, br#"{"request_id":"req_1","data":{"id":"1","status":"ready"}}"#).unwrap();
        assert_eq!((id.as_deref(), data["status"].as_str()), (Some("req_1"), Some("ready")));
        let e = read_answer(429, Some("3"), br#"{"request_id":"r2","error":{"code":"RATE_LIMITED","message":"slow down","details":{}}}"#).unwrap_err();
        assert!(matches!(e, PartnerError::Api { status: 429, kind: ErrorKind::RateLimited, retry_after: Some(d), ref request_id, .. } if d == Duration::from_secs(3) && request_id.as_deref() == Some("r2")), "{e:?}");
        let e = read_answer(502, None, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(e.kind(), Some(ErrorKind::Server), "a proxy's HTML error page is classified by its status");
        assert!(matches!(read_answer(200, None, b"not json"), Err(PartnerError::Decode(_))), "a 2xx must carry the envelope");
    }

    #[test]
    fn backoff_doubles_from_half_a_second_to_a_cap_with_jitter() {
        assert_eq!(backoff(0, 1.0), Duration::from_millis(500));
        assert_eq!(backoff(1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(10, 1.0), BACKOFF_CAP, "capped at 30 s");
        assert_eq!(backoff(40, 1.0), BACKOFF_CAP, "no overflow far out");
        assert_eq!(backoff(0, 0.0), Duration::from_millis(250), "jitter keeps at least half the delay");
        assert!(backoff(2, 0.3) < backoff(2, 0.9), "jitter spreads retries");
    }

    #[test]
    fn bases_resolve_and_secrets_are_masked() {
        assert_eq!(resolve_base("dev").unwrap(), DEV_BASE);
        assert_eq!(resolve_base("PROD").unwrap(), PROD_BASE);
        assert_eq!(resolve_base("http://127.0.0.1:9/v1/partner/").unwrap(), "http://127.0.0.1:9/v1/partner");
        assert!(resolve_base("http://127.0.0.1:9/").is_err(), "a base must end in /v1/partner");
        assert!(resolve_base("staging").is_err());
        let c = PartnerConfig::new(DEV_BASE, "pk-visible", "sk-SECRET").unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("sk-SECRET") && !printed.contains("pk-visible"), "Debug masks the keys: {printed}");
        assert_eq!(c.authorization(), format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-visible:sk-SECRET")));
        assert!(PartnerConfig::new(DEV_BASE, "pk", " ").is_none(), "an empty secret is no credential");
    }
}
