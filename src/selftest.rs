//! The first-delivery self-test: one synthetic order, signed with the
//! configured webhook secret and posted the way klikit would, followed hop by
//! hop until its ticket is on the board.
//!
//! Hops, in order: `dns`, `tls`, `tunnel` (only with a public URL; otherwise
//! they are `skipped`, never `passed`), then `intake`, `signature`, `stored`,
//! `shown`. After a failed hop the rest are `skipped` as not reached.
//!
//! The order carries `"kds_test": true`, so the kitchen engine marks its
//! ticket as a test and moves it to done by itself.
//!
//! It only talks HTTP (to the public URL, the intake listener and the app
//! listener); it never touches the store. `kds selftest` and
//! `POST /api/selftest` both run [`run`].

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::config::Secret;
use crate::klikit::{EventType, WebhookSecret};
use crate::simulator::{self, Delivery};

/// Where the self-test goes and with what.
#[derive(Debug, Clone)]
pub struct SelftestPlan {
    /// The intake listener's base URL (`http://127.0.0.1:8080`).
    pub intake_url: String,
    /// The app listener's base URL (`http://127.0.0.1:8787`).
    pub app_url: String,
    /// The public base URL klikit posts to, when there is one.
    pub public_url: Option<String>,
    /// The webhook secret to sign with.
    pub secret: Option<WebhookSecret>,
    /// Bearer token for the app listener, when it needs one.
    pub api_token: Option<Secret>,
    /// How long to wait for the ticket to show.
    pub shown_timeout: Duration,
}

/// How a hop went.
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "HopOutcome"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
}

/// One hop of the path from klikit to the screen.
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "SelftestHop"))]
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// `dns`, `tls`, `tunnel`, `intake`, `signature`, `stored` or `shown`.
    #[cfg_attr(test, ts(type = "string"))]
    pub name: &'static str,
    pub outcome: Outcome,
    /// One sentence for a person: what was seen, or what to do.
    pub detail: String,
    /// Time the hop took, when it ran.
    pub ms: Option<f64>,
}

/// The whole self-test.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SelftestReport {
    /// True when no hop failed.
    pub passed: bool,
    pub order_id: String,
    pub event_id: String,
    /// Where the order was posted.
    pub posted_to: Option<String>,
    pub hops: Vec<Hop>,
}

impl std::fmt::Display for SelftestReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for hop in &self.hops {
            let mark = match hop.outcome {
                Outcome::Passed => "ok  ",
                Outcome::Failed => "FAIL",
                Outcome::Skipped => "skip",
            };
            let ms = hop.ms.map(|ms| format!(" ({ms:.0} ms)")).unwrap_or_default();
            writeln!(f, "{mark} {:<9} {}{ms}", hop.name, hop.detail)?;
        }
        match (&self.posted_to, self.passed) {
            (Some(url), true) => write!(f, "self-test passed: order {} posted to {url}", self.order_id),
            (Some(url), false) => write!(f, "self-test FAILED: order {} posted to {url}", self.order_id),
            (None, _) => write!(f, "self-test FAILED: nothing was posted"),
        }
    }
}

/// `http://ADDR` for reaching a listener bound at `addr` from this machine
/// (an unspecified address like `0.0.0.0` is reached on loopback).
pub fn local_url(addr: std::net::SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if !ip.is_unspecified() => ip,
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
    };
    format!("http://{}", std::net::SocketAddr::new(ip, addr.port()))
}

/// The hops' names, in order.
pub const HOPS: [&str; 7] = ["dns", "tls", "tunnel", "intake", "signature", "stored", "shown"];

/// A fresh self-test order id; it never collides with klikit's numeric ids.
pub fn new_order_id() -> String {
    format!("kds-selftest-{}", hex::encode(rand::random::<[u8; 6]>()))
}

/// The body of a `klikit.order.created.v2` delivery holding one test order.
pub fn test_order(order_id: &str, now: OffsetDateTime) -> Vec<u8> {
    let at = now.format(&Rfc3339).unwrap_or_default();
    let body = json!({
        "brand_id": null,
        "branch_id": null,
        "orders": [{
            "id": order_id,
            "short_id": "TEST",
            "external_id": order_id,
            "kds_test": true,
            "status": 1,
            "type": 1,
            "table_no": "",
            "created_at": at,
            "updated_at": at,
            "item_count": 1,
            "order_comment": "kds self-test: this ticket leaves the board by itself",
            "cart": [{ "title": "Self-test", "quantity": 1, "comment": "", "groups": [] }],
            "cart_v2": [{ "name": "Self-test", "quantity": 1, "comment": "", "modifier_groups": [] }],
        }],
    });
    serde_json::to_vec(&body).expect("a JSON value serializes")
}

/// Runs the self-test. Never fails as a whole: every problem is a hop's.
pub async fn run(plan: SelftestPlan) -> SelftestReport {
    let order_id = new_order_id();
    let event_id = simulator::new_event_id();
    let mut t = Trail::default();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().expect("the HTTP client builds with static settings");

    let base = match &plan.public_url {
        Some(public) => public_hops(&client, public, &mut t).await.then(|| public.clone()),
        None => {
            for name in ["dns", "tls", "tunnel"] {
                t.skip(name, "no public URL (no connected tunnel, no public_url configured): posted to the local intake instead");
            }
            Some(plan.intake_url.clone())
        }
    };
    let posted_to = base.map(|b| format!("{}/webhooks/klikit", b.trim_end_matches('/')));
    if let Some(url) = &posted_to {
        if post_hops(&client, url, &plan, &order_id, &event_id, &mut t).await {
            shown_hop(&client, &plan, &order_id, &mut t).await;
        }
    }
    for name in HOPS {
        if !t.hops.iter().any(|h| h.name == name) {
            let failed = t.hops.iter().find(|h| h.outcome == Outcome::Failed).map(|h| h.name).unwrap_or("an earlier hop");
            t.skip(name, &format!("not reached: {failed} failed"));
        }
    }
    let posted = posted_to.filter(|_| t.hops.iter().any(|h| h.name == "intake" && h.outcome != Outcome::Skipped));
    SelftestReport { passed: t.hops.iter().all(|h| h.outcome != Outcome::Failed), order_id, event_id, posted_to: posted, hops: t.hops }
}

#[derive(Default)]
struct Trail {
    hops: Vec<Hop>,
}

impl Trail {
    fn record(&mut self, name: &'static str, outcome: Outcome, detail: impl Into<String>, started: Option<Instant>) -> bool {
        let ms = started.map(|s| s.elapsed().as_secs_f64() * 1000.0);
        self.hops.push(Hop { name, outcome, detail: detail.into(), ms });
        outcome == Outcome::Passed
    }
    fn pass(&mut self, name: &'static str, detail: impl Into<String>, started: Instant) -> bool {
        self.record(name, Outcome::Passed, detail, Some(started))
    }
    fn fail(&mut self, name: &'static str, detail: impl Into<String>, started: Instant) -> bool {
        self.record(name, Outcome::Failed, detail, Some(started))
    }
    fn skip(&mut self, name: &'static str, detail: &str) {
        self.record(name, Outcome::Skipped, detail, None);
    }
}

/// DNS, TLS and tunnel, through `GET <public>/healthz`. True when all passed.
async fn public_hops(client: &reqwest::Client, public: &str, t: &mut Trail) -> bool {
    let started = Instant::now();
    let Some((https, host, port)) = split_url(public) else {
        return t.fail("dns", format!("{public:?} is not a URL like https://orders.example.com"), started);
    };
    match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => t.pass("dns", format!("{host} resolves to {}", addr.ip()), started),
            None => t.fail("dns", format!("{host} has no address"), started),
        },
        Err(e) => t.fail("dns", format!("{host} does not resolve ({e}): check the hostname, or wait for DNS to propagate"), started),
    };
    if t.hops.last().map(|h| h.outcome) != Some(Outcome::Passed) {
        return false;
    }
    let started = Instant::now();
    let health = format!("{}/healthz", public.trim_end_matches('/'));
    let res = match client.get(&health).send().await {
        Ok(res) => res,
        Err(e) => return t.fail("tls", format!("cannot reach {public}: {}", error_chain(&e)), started),
    };
    if https {
        t.pass("tls", format!("HTTPS to {host} works"), started);
    } else {
        return t.fail("tls", format!("{public} is plain HTTP: klikit only delivers to https:// URLs"), started);
    }
    let started = Instant::now();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or_default();
    match body.get("status").and_then(Value::as_str) {
        Some("ok") | Some("not-configured") => t.pass("tunnel", format!("{public} reaches kds's intake"), started),
        _ if matches!(status, 502 | 503 | 530) => t.fail(
            "tunnel",
            format!("{public} answered {status}: Cloudflare cannot reach kds (is the tunnel connected, and pointed at the intake listener?)"),
            started,
        ),
        _ => t.fail("tunnel", format!("{public} answered {status}, but not as kds's intake: does it point at this kds?"), started),
    }
}

/// `(https, host, port)` of an `http(s)://host[:port][/…]` URL.
fn split_url(url: &str) -> Option<(bool, String, u16)> {
    let (https, rest) = match url.split_once("://")? {
        ("https", rest) => (true, rest),
        ("http", rest) => (false, rest),
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse() {
            Ok(port) => (h, port),
            Err(_) => (authority, if https { 443 } else { 80 }),
        },
        _ => (authority, if https { 443 } else { 80 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (https, host.to_string(), port))
}

/// Intake, signature and stored. True when all passed.
async fn post_hops(client: &reqwest::Client, url: &str, plan: &SelftestPlan, order_id: &str, event_id: &str, t: &mut Trail) -> bool {
    let started = Instant::now();
    let Some(secret) = &plan.secret else {
        let healthz = url.replace("/webhooks/klikit", "/healthz");
        match client.get(&healthz).send().await {
            Ok(_) => t.pass("intake", format!("the intake answers at {healthz}"), started),
            Err(e) => t.fail("intake", format!("the intake does not answer at {healthz}: {}", error_chain(&e)), started),
        };
        return t.fail("signature", "no webhook secret configured here: set KLIKIT_WEBHOOK_SECRET (the one klikit gave you)", Instant::now());
    };
    let delivery = Delivery {
        event_id: event_id.to_string(),
        event_type: EventType::OrderCreated,
        body: test_order(order_id, OffsetDateTime::now_utc()),
    };
    let answer = match simulator::post(client, url, secret, &delivery).await {
        Ok(a) => a,
        Err(e) => return t.fail("intake", format!("no answer from {url}: {e} (is kds running?)"), started),
    };
    let body: Value = serde_json::from_str(&answer.body).unwrap_or_default();
    let is_ours = body.get("status").is_some() || body.get("error").is_some();
    if !is_ours {
        return t.fail("intake", format!("{url} answered {} but not as kds's intake", answer.status), started);
    }
    t.pass("intake", format!("kds's intake answered {}", answer.status), started);
    let started = Instant::now();
    match answer.status {
        401 => return t.fail("signature", "kds refused the signature: kds runs with a different webhook secret than this one", started),
        503 if body["error"] == "receiver not configured" => {
            return t.fail("signature", "kds has no webhook secret configured: set KLIKIT_WEBHOOK_SECRET and restart it", started)
        }
        200 => t.pass("signature", "the signature over the raw body verified", started),
        _ => t.pass("signature", format!("not refused for its signature ({})", answer.status), started),
    };
    let started = Instant::now();
    match (answer.status, body.get("status").and_then(Value::as_str), body.get("unprocessable")) {
        (200, Some("received"), None) => t.pass("stored", "committed to the inbox before the answer", started),
        (200, Some("received"), Some(reason)) => t.fail("stored", format!("stored but unusable: {reason}"), started),
        (status, _, _) => t.fail("stored", format!("not stored: the intake answered {status} {}", answer.body.trim()), started),
    }
}

/// Polls `GET /api/tickets/{order_id}` on the app listener until the ticket shows.
async fn shown_hop(client: &reqwest::Client, plan: &SelftestPlan, order_id: &str, t: &mut Trail) -> bool {
    let started = Instant::now();
    let url = format!("{}/api/tickets/{order_id}", plan.app_url.trim_end_matches('/'));
    let deadline = started + plan.shown_timeout;
    loop {
        let mut req = client.get(&url);
        if let Some(token) = &plan.api_token {
            req = req.bearer_auth(token.expose());
        }
        let last = match req.send().await {
            Ok(res) if res.status().is_success() => {
                let ticket: Value = res.json().await.unwrap_or_default();
                if ticket.get("test") == Some(&Value::Bool(true)) {
                    let column = ticket.get("column").and_then(Value::as_str).unwrap_or("?");
                    return t.pass("shown", format!("ticket TEST is on the board ({column}), marked as a test; it leaves by itself"), started);
                }
                return t.fail("shown", "a ticket showed, but not marked as a test", started);
            }
            Ok(res) if res.status() == reqwest::StatusCode::UNAUTHORIZED => {
                return t.fail("shown", "the app listener wants an API token: set KDS_API_TOKEN", started)
            }
            Ok(res) => format!("the app listener answered {}", res.status().as_u16()),
            Err(e) => format!("the app listener at {} does not answer: {}", plan.app_url, error_chain(&e)),
        };
        if Instant::now() >= deadline {
            let wait = plan.shown_timeout.as_secs_f64();
            return t.fail("shown", format!("no ticket after {wait:.0} s ({last}): is the kitchen engine running?"), started);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An error and its causes, for a person ("error sending request: … : certificate expired").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_order_is_a_klikit_envelope_marked_as_a_test() {
        let body = test_order("kds-selftest-abc", OffsetDateTime::UNIX_EPOCH);
        let env = crate::klikit::Envelope::parse(&body).expect("the intake must accept the self-test order as a usable envelope");
        assert_eq!(env.order_ids, vec!["kds-selftest-abc".to_string()]);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["orders"][0]["kds_test"], json!(true), "the engine turns this flag into a test ticket");
        assert!(new_order_id().starts_with("kds-selftest-") && new_order_id() != new_order_id());
    }

    #[test]
    fn splits_urls_into_scheme_host_and_port() {
        assert_eq!(split_url("https://orders.example.com"), Some((true, "orders.example.com".into(), 443)));
        assert_eq!(split_url("https://a-b.trycloudflare.com/"), Some((true, "a-b.trycloudflare.com".into(), 443)));
        assert_eq!(split_url("http://127.0.0.1:8080/x"), Some((false, "127.0.0.1".into(), 8080)));
        assert_eq!(split_url("ftp://x"), None);
        assert_eq!(split_url("https://"), None);
    }
}
