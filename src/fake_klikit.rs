//! A fake klikit partner API: a real local HTTP server for tests and demos
//! (`kds dev fake-klikit`), never used by a running kitchen.
//!
//! What it owns: its order records (seeded from webhook bodies such as
//! `tests/fixtures/*.json`), HTTP Basic checks, the documented endpoints
//! (`GET /brands`, `GET /branches`, `GET /orders` with a created-at window
//! of at most 90 days, `GET /orders/{id}`, `PATCH /orders/{id}/status`),
//! the status PATCH's idempotency (same key and body within 24 h replays
//! the stored answer, same key with another body is a 409) and its
//! transition rules, a queue of injected faults, counters a test asserts
//! on, and an echo mode that posts the signed `status.updated` webhook back
//! to an intake after each accepted PATCH. A test that runs the fake as a
//! child process (`kds dev fake-klikit`) queues faults over HTTP with
//! `POST /_fake/faults` (no auth: it is a test tool on loopback).
//!
//! What it never does: touch a kds store. It is klikit, seen from outside.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::klikit::{EventType, WebhookSecret};

/// How long a stored idempotent answer is replayed.
const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The widest `GET /orders` window.
const MAX_WINDOW: time::Duration = time::Duration::days(90);

/// One injected fault, used by the next request that reaches the fake.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 `RATE_LIMITED` with `Retry-After: secs`.
    RateLimited { retry_after_secs: u64 },
    /// 500 `INTERNAL`.
    ServerError,
    /// The request is handled normally (its effect applied), then the
    /// answer waits this long.
    Slow(Duration),
    /// 401 `INVALID_CREDENTIALS`, whatever the keys.
    Unauthorized,
}

/// Where echoed webhooks go.
#[derive(Debug, Clone)]
pub struct Echo {
    pub intake_url: String,
    pub secret: WebhookSecret,
}

/// One PATCH the fake received, as it arrived.
#[derive(Debug, Clone)]
pub struct PatchSeen {
    pub order_id: String,
    pub key: Option<String>,
    pub body: Value,
    pub at: Instant,
    /// The HTTP status answered.
    pub answered: u16,
}

#[derive(Default)]
struct Inner {
    partner_key: String,
    secret_key: String,
    /// Order id → full record (as a webhook carries it) plus its envelope ids.
    orders: BTreeMap<String, Value>,
    idempotency: HashMap<String, (String, Instant, u16, Value)>,
    faults: VecDeque<Fault>,
    patches: Vec<PatchSeen>,
    effects: HashMap<String, u32>,
    keys: HashSet<String>,
    requests: u64,
    echo: Option<Echo>,
}

/// A running fake. Dropping it stops the server.
pub struct FakeKlikit {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKlikit {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeKlikit {
    /// Starts on `listen` (use `127.0.0.1:0` in tests) accepting these keys.
    pub async fn start(listen: SocketAddr, partner_key: &str, secret_key: &str) -> std::io::Result<FakeKlikit> {
        let inner = Arc::new(Mutex::new(Inner { partner_key: partner_key.into(), secret_key: secret_key.into(), ..Default::default() }));
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let app = router(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeKlikit { addr, inner, task })
    }

    /// The base URL, ending in `/v1/partner`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1/partner", self.addr)
    }

    /// Seeds every order of a webhook body (`{"brand_id","branch_id","orders":[...]}`).
    pub fn seed(&self, body: &Value) {
        let mut inner = self.inner.lock().unwrap();
        for order in body["orders"].as_array().into_iter().flatten() {
            let mut order = order.clone();
            if order.get("branch_id").is_none() {
                order["branch_id"] = body["branch_id"].clone();
            }
            if order.get("brand_id").is_none() {
                order["brand_id"] = body["brand_id"].clone();
            }
            let id = crate::klikit::envelope::order_id(&order["id"]).expect("seeded orders have an id");
            inner.orders.insert(id, order);
        }
    }

    /// Seeds from a file holding a webhook body.
    pub fn seed_file(&self, path: &std::path::Path) -> std::io::Result<()> {
        let body: Value = serde_json::from_slice(&std::fs::read(path)?).map_err(std::io::Error::other)?;
        self.seed(&body);
        Ok(())
    }

    /// Queues a fault for the next request.
    pub fn inject(&self, fault: Fault) {
        self.inner.lock().unwrap().faults.push_back(fault);
    }

    /// Replaces the keys the fake accepts (a rotation).
    pub fn set_keys(&self, partner_key: &str, secret_key: &str) {
        let mut inner = self.inner.lock().unwrap();
        inner.partner_key = partner_key.into();
        inner.secret_key = secret_key.into();
    }

    /// Turns echo mode on or off.
    pub fn set_echo(&self, echo: Option<Echo>) {
        self.inner.lock().unwrap().echo = echo;
    }

    /// Every PATCH received, in arrival order.
    pub fn patches(&self) -> Vec<PatchSeen> {
        self.inner.lock().unwrap().patches.clone()
    }

    /// Distinct idempotency keys seen on PATCHes that reached the rules.
    pub fn distinct_keys(&self) -> usize {
        self.inner.lock().unwrap().keys.len()
    }

    /// Effects (status changes) applied to one order.
    pub fn effects(&self, order_id: &str) -> u32 {
        self.inner.lock().unwrap().effects.get(order_id).copied().unwrap_or(0)
    }

    /// Requests received, of any kind.
    pub fn requests(&self) -> u64 {
        self.inner.lock().unwrap().requests
    }

    /// One order's record as the fake holds it now.
    pub fn order(&self, order_id: &str) -> Option<Value> {
        self.inner.lock().unwrap().orders.get(order_id).cloned()
    }

    /// Changes an order behind kds's back (as klikit's own app would).
    pub fn set_status(&self, order_id: &str, code: i64) {
        let mut inner = self.inner.lock().unwrap();
        if let Some(o) = inner.orders.get_mut(order_id) {
            o["status"] = code.into();
            o["updated_at"] = now_text().into();
        }
    }
}

fn now_text() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).expect("now formats")
}

type Shared = Arc<Mutex<Inner>>;

fn router(inner: Shared) -> Router {
    Router::new()
        .route("/v1/partner/brands", get(brands))
        .route("/v1/partner/branches", get(branches))
        .route("/v1/partner/orders", get(orders))
        .route("/v1/partner/orders/{id}", get(order))
        .route("/v1/partner/orders/{id}/status", patch(set_status))
        .route("/_fake/faults", post(queue_faults))
        .with_state(inner)
}

/// The body of `POST /_fake/faults`: `count` copies (default 1) of one
/// fault, queued for the next requests.
#[derive(serde::Deserialize)]
struct FaultRequest {
    fault: String,
    #[serde(default = "one")]
    count: usize,
    #[serde(default)]
    retry_after_secs: u64,
    #[serde(default)]
    ms: u64,
}

fn one() -> usize {
    1
}

impl FaultRequest {
    fn fault(&self) -> Option<Fault> {
        Some(match self.fault.as_str() {
            "rate_limited" => Fault::RateLimited { retry_after_secs: self.retry_after_secs },
            "server_error" => Fault::ServerError,
            "slow" => Fault::Slow(Duration::from_millis(self.ms)),
            "unauthorized" => Fault::Unauthorized,
            _ => return None,
        })
    }
}

/// `POST /_fake/faults`: queues faults from another process; 400 for a
/// fault the fake does not know. Answers how many are queued.
async fn queue_faults(State(inner): State<Shared>, body: Result<Json<FaultRequest>, axum::extract::rejection::JsonRejection>) -> Response {
    let Ok(Json(request)) = body else {
        return error(StatusCode::BAD_REQUEST, "request_invalid", "expected {\"fault\", \"count\"?, \"retry_after_secs\"?, \"ms\"?}");
    };
    let Some(fault) = request.fault() else {
        return error(StatusCode::BAD_REQUEST, "request_invalid", "fault is one of rate_limited, server_error, slow, unauthorized");
    };
    let mut s = inner.lock().unwrap();
    s.faults.extend(std::iter::repeat_n(fault, request.count));
    ok(json!({"queued": s.faults.len()}))
}

fn request_id() -> String {
    format!("req_{}", crate::client::new_event_id())
}

fn ok(data: Value) -> Response {
    (StatusCode::OK, Json(json!({"request_id": request_id(), "data": data}))).into_response()
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"request_id": request_id(), "error": {"code": code, "message": message, "details": {}}}))).into_response()
}

/// Auth and the fault queue, common to every endpoint. `Err` is the answer
/// to give instead; `Ok` carries a delay to add after handling.
fn gate(inner: &Shared, headers: &HeaderMap) -> Result<Option<Duration>, Response> {
    let mut s = inner.lock().unwrap();
    s.requests += 1;
    let fault = s.faults.pop_front();
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", s.partner_key, s.secret_key)));
    drop(s);
    match fault {
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut res = error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests");
            res.headers_mut().insert("retry-after", retry_after_secs.to_string().parse().unwrap());
            return Err(res);
        }
        Some(Fault::ServerError) => return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "injected failure")),
        Some(Fault::Unauthorized) => return Err(error(StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "injected")),
        _ => {}
    }
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        None => Err(error(StatusCode::UNAUTHORIZED, "auth_missing", "no credentials")),
        Some(v) if v != expected => Err(error(StatusCode::UNAUTHORIZED, "auth_invalid_credential", "wrong partner key or secret")),
        Some(_) => Ok(match fault {
            Some(Fault::Slow(d)) => Some(d),
            _ => None,
        }),
    }
}

async fn finish(delay: Option<Duration>, res: Response) -> Response {
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    res
}

async fn brands(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let delay = match gate(&inner, &headers) {
        Ok(d) => d,
        Err(res) => return res,
    };
    let mut brands: BTreeMap<i64, Value> = BTreeMap::new();
    for o in inner.lock().unwrap().orders.values() {
        for b in o["brands"].as_array().into_iter().flatten() {
            if let Some(id) = b["id"].as_i64() {
                brands.insert(id, json!({"id": id, "business_id": o["business_id"], "title": b["title"], "logo": b["logo"], "banner": null}));
            }
        }
    }
    let data = json!([{ "business": {"id": 512, "title": "Fake klikit business"}, "brands": brands.into_values().collect::<Vec<_>>() }]);
    finish(delay, ok(data)).await
}

async fn branches(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let delay = match gate(&inner, &headers) {
        Ok(d) => d,
        Err(res) => return res,
    };
    let mut branches: BTreeMap<i64, Value> = BTreeMap::new();
    for o in inner.lock().unwrap().orders.values() {
        if let Some(id) = o["branch_id"].as_i64() {
            branches.insert(id, json!({"id": id, "title": format!("Branch {id}"), "brand_ids": [o["brand_id"]], "available_times": {}}));
        }
    }
    let results: Vec<Value> = branches.into_values().collect();
    finish(delay, ok(json!({"page": 1, "size": results.len(), "total": results.len(), "results": results}))).await
}

fn parse_time(v: Option<&String>) -> Option<Result<OffsetDateTime, ()>> {
    v.map(|s| OffsetDateTime::parse(s, &Rfc3339).map_err(|_| ()))
}

async fn orders(State(inner): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let delay = match gate(&inner, &headers) {
        Ok(d) => d,
        Err(res) => return res,
    };
    let (from, to) = match (parse_time(q.get("from")), parse_time(q.get("to"))) {
        (Some(Ok(f)), Some(Ok(t))) => (f, t),
        _ => return error(StatusCode::BAD_REQUEST, "request_invalid", "from and to are required date-times"),
    };
    if to <= from || to - from > MAX_WINDOW {
        return error(StatusCode::BAD_REQUEST, "request_invalid_range", "the window must be positive and at most 90 days");
    }
    let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let size: usize = q.get("size").and_then(|v| v.parse().ok()).unwrap_or(50).clamp(1, 100);
    let matching: Vec<Value> = inner
        .lock()
        .unwrap()
        .orders
        .values()
        .filter(|o| {
            let created = o["created_at"].as_str().or(o["placed_at"].as_str()).and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
            created.is_some_and(|c| c >= from && c < to)
        })
        .cloned()
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching.into_iter().skip((page - 1) * size).take(size).collect();
    finish(delay, ok(json!({"orders": items, "page": page, "size": size, "total": total}))).await
}

async fn order(State(inner): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let delay = match gate(&inner, &headers) {
        Ok(d) => d,
        Err(res) => return res,
    };
    let found = inner.lock().unwrap().orders.get(&id).cloned();
    match found {
        Some(o) => finish(delay, ok(o)).await,
        None => error(StatusCode::NOT_FOUND, "resource_not_found", "no such order"),
    }
}

/// klikit's status code for a PATCH status name.
fn code_of(status: &str) -> Option<i64> {
    Some(match status {
        "accepted" => 2,
        "ready" => 4,
        "picked_up" => 9,
        "rejected" | "cancelled" => 3,
        _ => return None,
    })
}

/// Whether `to` may follow `from` (klikit's draft rules); `order_type` is
/// klikit's `type` (1 pickup, 2 delivery, 3 dine-in).
pub fn allowed(from: i64, to: &str, order_type: Option<i64>) -> bool {
    match (from, to) {
        (1 | 6, "accepted" | "cancelled" | "rejected") => true,
        (2, "ready" | "cancelled") => true,
        (4 | 7 | 8, "cancelled") => true,
        (4, "picked_up") => matches!(order_type, Some(1) | Some(3)),
        _ => false,
    }
}

async fn set_status(State(inner): State<Shared>, headers: HeaderMap, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    let delay = match gate(&inner, &headers) {
        Ok(d) => d,
        Err(res) => {
            record_patch(&inner, &id, &headers, &body, res.status().as_u16());
            return res;
        }
    };
    let (status, answer, echo) = decide(&inner, &id, &headers, &body);
    record_patch(&inner, &id, &headers, &body, status.as_u16());
    if let Some((echo, order)) = echo {
        tokio::spawn(send_echo(echo, order));
    }
    finish(delay, (status, Json(answer)).into_response()).await
}

fn record_patch(inner: &Shared, id: &str, headers: &HeaderMap, body: &[u8], answered: u16) {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = serde_json::from_slice(body).unwrap_or(Value::Null);
    inner.lock().unwrap().patches.push(PatchSeen { order_id: id.into(), key, body, at: Instant::now(), answered });
}

type Decided = (StatusCode, Value, Option<(Echo, Value)>);

fn decide(inner: &Shared, id: &str, headers: &HeaderMap, body: &[u8]) -> Decided {
    let fail = |status: StatusCode, code: &str, message: &str| {
        (status, json!({"request_id": request_id(), "error": {"code": code, "message": message, "details": {}}}), None)
    };
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty() && k.len() <= 64) else {
        return fail(StatusCode::BAD_REQUEST, "request_missing_idempotency_key", "Idempotency-Key is required");
    };
    let hash = crate::klikit::body_sha256(body);
    let mut s = inner.lock().unwrap();
    let scoped = format!("{id}\n{key}");
    if let Some((stored_hash, at, status, answer)) = s.idempotency.get(&scoped) {
        if at.elapsed() < IDEMPOTENCY_WINDOW {
            if *stored_hash == hash {
                let answer = json!({"request_id": request_id(), "data": answer["data"], "error": answer.get("error")});
                let answer = strip_nulls(answer);
                return (StatusCode::from_u16(*status).unwrap(), answer, None);
            }
            drop(s);
            return fail(StatusCode::CONFLICT, "state_idempotency_conflict", "this key was used with another body");
        }
    }
    s.keys.insert(key.to_string());
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            drop(s);
            return fail(StatusCode::BAD_REQUEST, "request_invalid", "body is not JSON");
        }
    };
    let target = parsed["status"].as_str().unwrap_or_default().to_string();
    let result: Decided = match (s.orders.get(id).cloned(), code_of(&target)) {
        (_, None) => fail(StatusCode::BAD_REQUEST, "request_invalid", "unknown status"),
        (None, _) => fail(StatusCode::NOT_FOUND, "resource_not_found", "no such order"),
        (Some(_), Some(_)) if matches!(target.as_str(), "rejected" | "cancelled") && parsed["reason_code"].as_str().is_none_or(str::is_empty) => {
            fail(StatusCode::BAD_REQUEST, "request_invalid", "reason_code is required")
        }
        (Some(order), Some(code)) => {
            let from = order["status"].as_i64().unwrap_or(1);
            if !allowed(from, &target, order["type"].as_i64()) {
                fail(StatusCode::CONFLICT, "state_invalid_transition", &format!("cannot go from status {from} to {target}"))
            } else {
                let updated_at = now_text();
                let o = s.orders.get_mut(id).expect("present");
                o["status"] = code.into();
                o["updated_at"] = updated_at.clone().into();
                if code == 3 {
                    o["cancellation_reason"] = parsed["reason_code"].clone();
                }
                let order = o.clone();
                *s.effects.entry(id.to_string()).or_default() += 1;
                let echo = s.echo.clone().map(|e| (e, order));
                (StatusCode::OK, json!({"request_id": request_id(), "data": {"id": id, "status": target, "updated_at": updated_at}}), echo)
            }
        }
    };
    s.idempotency.insert(scoped, (hash, Instant::now(), result.0.as_u16(), result.1.clone()));
    result
}

fn strip_nulls(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    v
}

async fn send_echo(echo: Echo, order: Value) {
    let body = json!({"brand_id": order["brand_id"], "branch_id": order["branch_id"], "orders": [order]});
    let delivery = crate::client::Delivery {
        event_id: crate::client::new_event_id(),
        event_type: EventType::StatusUpdated,
        body: serde_json::to_vec(&body).expect("JSON"),
    };
    let client = crate::client::client();
    match crate::client::post(&client, &echo.intake_url, &echo.secret, &delivery).await {
        Ok(a) if (200..300).contains(&a.status) => {}
        Ok(a) => tracing::warn!(status = a.status, "fake klikit: the echo webhook was refused"),
        Err(e) => tracing::warn!(error = %e, "fake klikit: the echo webhook failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::{allowed, router, Inner};
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use base64::Engine;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    #[tokio::test]
    async fn faults_queued_over_http_answer_the_next_requests_in_order() {
        let app = router(Arc::new(Mutex::new(Inner { partner_key: "k".into(), secret_key: "s".into(), ..Default::default() })));
        let queue = |body: &str| Request::post("/_fake/faults").header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
        let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("k:s"));
        let brands = || Request::get("/v1/partner/brands").header("authorization", auth.clone()).body(Body::empty()).unwrap();
        assert_eq!(app.clone().oneshot(queue(r#"{"fault":"server_error","count":2}"#)).await.unwrap().status(), StatusCode::OK);
        assert_eq!(app.clone().oneshot(queue(r#"{"fault":"rate_limited","retry_after_secs":3}"#)).await.unwrap().status(), StatusCode::OK);
        for _ in 0..2 {
            assert_eq!(app.clone().oneshot(brands()).await.unwrap().status(), StatusCode::INTERNAL_SERVER_ERROR, "the two queued 500s come first");
        }
        let limited = app.clone().oneshot(brands()).await.unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "then the queued 429");
        assert_eq!(limited.headers()["retry-after"], "3", "with the Retry-After it was queued with");
        assert_eq!(app.clone().oneshot(brands()).await.unwrap().status(), StatusCode::OK, "the queue is empty again");
        assert_eq!(app.clone().oneshot(queue(r#"{"fault":"meteor"}"#)).await.unwrap().status(), StatusCode::BAD_REQUEST, "an unknown fault is refused, not ignored");
        assert_eq!(app.clone().oneshot(queue("not json")).await.unwrap().status(), StatusCode::BAD_REQUEST, "a body that is not a fault is refused");
    }

    #[test]
    fn transitions_follow_the_draft_rules() {
        assert!(allowed(1, "accepted", Some(2)) && allowed(2, "ready", Some(2)) && allowed(4, "picked_up", Some(1)) && allowed(4, "picked_up", Some(3)));
        assert!(!allowed(4, "picked_up", Some(2)), "a delivery order is completed by the rider, never by picked_up");
        assert!(!allowed(1, "ready", Some(1)), "ready needs accepted first");
        for terminal in [3, 5, 9] {
            assert!(!allowed(terminal, "cancelled", Some(1)), "status {terminal} is terminal");
        }
    }
}
