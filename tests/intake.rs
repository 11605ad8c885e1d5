//! End-to-end tests of the intake listener: the real server on 127.0.0.1:0,
//! a temp SQLite file, and real HTTP. One test (or more) per row of the
//! answer table in `src/intake/answer.rs`.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use kds::klikit::{EventType, WebhookSecret};
use kds::store::DeliveryState;
use support::{fixture, TestServer, SECRET};

const BODY: &[u8] = br#"{"brand_id":1,"branch_id":2,"orders":[{"id":42,"status":1}]}"#;

fn json(a: &kds::client::Answer) -> serde_json::Value {
    serde_json::from_str(&a.body).unwrap_or_else(|_| panic!("answer must be JSON, got {:?}", a.body))
}

#[tokio::test]
async fn new_delivery_is_received_and_stored_byte_exact_with_headers() {
    let t = TestServer::start().await;
    let body = fixture("01-order-created-single.json");
    let a = t.send("evt-001", EventType::OrderCreated, &body).await;
    assert_eq!((a.status, json(&a)), (200, serde_json::json!({"status": "received"})));
    let stored = t.server.store().delivery("evt-001").await.unwrap().expect("a 200 means the delivery is in the store");
    assert_eq!(stored.body, body, "the raw body is kept byte for byte");
    assert_eq!(stored.event_type, "klikit.order.created.v2");
    assert!(stored.headers.contains("x-klikit-signature"), "headers are kept with the delivery: {}", stored.headers);
    let age = time::OffsetDateTime::now_utc() - stored.received_at;
    assert!(age.whole_seconds().abs() < 60, "receive time is recorded");
    t.stop().await;
}

#[tokio::test]
async fn duplicates_sequential_concurrent_and_after_restart_store_one_row() {
    let t = TestServer::start().await;
    let first = t.send("evt-dup", EventType::OrderCreated, BODY).await;
    assert_eq!(json(&first)["status"], "received");
    let again = t.send("evt-dup", EventType::OrderCreated, BODY).await;
    assert_eq!((again.status, json(&again)), (200, serde_json::json!({"status": "duplicate-ignored"})));

    // 64 copies of a new event at once: exactly one is received.
    let answers = futures_util::future::join_all((0..64).map(|_| t.send("evt-burst", EventType::OrderCreated, BODY))).await;
    let received = answers.iter().filter(|a| json(a)["status"] == "received").count();
    let duplicates = answers.iter().filter(|a| json(a)["status"] == "duplicate-ignored").count();
    assert_eq!((received, duplicates), (1, 63), "64 concurrent copies: one stored, 63 answered duplicate");

    let dir = t.stop().await;
    let t = TestServer::start_in(dir, |_| {}).await;
    let after = t.send("evt-dup", EventType::OrderCreated, BODY).await;
    assert_eq!(json(&after)["status"], "duplicate-ignored", "dedupe survives a restart: it lives in SQLite");
    assert_eq!(t.server.store().inbox_counts().await.unwrap().total, 2, "two distinct event ids, two rows");
    t.stop().await;
}

#[tokio::test]
async fn missing_or_empty_klikit_headers_are_400_naming_the_header() {
    let t = TestServer::start().await;
    let sig = t.secret.sign(BODY);
    for missing in ["x-klikit-signature", "x-klikit-event-id", "x-klikit-event-type"] {
        for empty in [false, true] {
            let mut req = t.client.post(t.intake_url()).header("content-type", "application/json");
            for (name, value) in [("x-klikit-signature", sig.as_str()), ("x-klikit-event-id", "evt-h"), ("x-klikit-event-type", "klikit.order.created.v2")] {
                if name != missing {
                    req = req.header(name, value);
                } else if empty {
                    req = req.header(name, "");
                }
            }
            let res = req.body(BODY.to_vec()).send().await.unwrap();
            assert_eq!(res.status(), 400, "{missing} missing (empty={empty}) must be a 400");
            let body: serde_json::Value = res.json().await.unwrap();
            assert!(body["error"].as_str().unwrap().contains(missing), "the error names {missing}: {body}");
        }
    }
    assert!(t.server.store().delivery("evt-h").await.unwrap().is_none(), "nothing is stored for a bad request");
    t.stop().await;
}

#[tokio::test]
async fn bad_signatures_are_401_not_stored_and_counted() {
    let t = TestServer::start().await;
    let good = t.secret.sign(BODY);
    let other = WebhookSecret::new("some-other-secret").unwrap().sign(BODY);
    let cases = [
        ("wrong digest", other.clone()),
        ("not hex", format!("zz{}", &good[2..])),
        ("too short", good[..40].to_string()),
        ("too long", format!("{good}ab")),
        ("base64 instead of hex", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=".into()),
    ];
    for (i, (why, sig)) in cases.iter().enumerate() {
        let res = t
            .client
            .post(t.intake_url())
            .header("x-klikit-signature", sig)
            .header("x-klikit-event-id", format!("evt-bad-{i}"))
            .header("x-klikit-event-type", "klikit.order.created.v2")
            .body(BODY.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{why} must be refused");
        assert_eq!(res.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"error": "invalid signature"}));
        assert!(t.server.store().delivery(&format!("evt-bad-{i}")).await.unwrap().is_none(), "{why}: a forged delivery is never stored");
    }
    let stats = t.server.intake().stats();
    assert_eq!(stats.invalid_signature, cases.len() as u64, "each refusal is counted for diagnostics");
    assert_eq!(stats.recent_refusals.len(), cases.len(), "and remembered with its reason");
    t.stop().await;
}

#[tokio::test]
async fn previous_secret_is_accepted_during_a_rotation() {
    let t = TestServer::start_with(|c| {
        c.webhook_secret = Some(WebhookSecret::new("new-secret").unwrap());
        c.webhook_secret_previous = Some(WebhookSecret::new(SECRET).unwrap());
    })
    .await;
    let a = t.send("evt-rot", EventType::OrderCreated, BODY).await;
    assert_eq!(a.status, 200, "a delivery signed with the previous secret is still accepted");
    t.stop().await;
}

/// Sends raw bytes on a fresh connection and returns the status line's code
/// (or None when the server closed without answering).
fn raw_request(addr: std::net::SocketAddr, bytes: &[u8], timeout: Duration) -> Option<u16> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    let _ = s.write_all(bytes);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&buf);
    text.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)).and_then(|c| c.parse().ok())
}

#[tokio::test]
async fn oversized_body_is_413_with_or_without_content_length() {
    let t = TestServer::start().await;
    let big = vec![b' '; kds::intake::MAX_BODY_BYTES + 1];
    let sig = t.secret.sign(&big);
    let a = t.send("evt-big", EventType::OrderCreated, &big).await;
    assert_eq!(a.status, 413, "a declared length over 1 MiB is refused before reading");

    // Chunked, so no Content-Length: the limit must still hold while streaming.
    let addr = t.server.intake_addr();
    let answer = tokio::task::spawn_blocking(move || {
        let mut req = format!(
            "POST /webhooks/klikit HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nx-klikit-signature: {sig}\r\nx-klikit-event-id: evt-big2\r\nx-klikit-event-type: klikit.order.created.v2\r\n\r\n"
        )
        .into_bytes();
        for chunk in big.chunks(64 * 1024) {
            req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            req.extend_from_slice(chunk);
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"0\r\n\r\n");
        raw_request(addr, &req, Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert_eq!(answer, Some(413), "a chunked body over 1 MiB is refused");
    assert_eq!(t.server.store().inbox_counts().await.unwrap().total, 0, "nothing oversized is stored");
    t.stop().await;
}

#[tokio::test]
async fn signed_but_unusable_bodies_are_acknowledged_and_kept_as_unprocessable() {
    let t = TestServer::start().await;
    let cases: [(&str, &[u8], EventType, &str); 3] = [
        ("evt-u1", b"<html>not json</html>", EventType::OrderCreated, "not JSON"),
        ("evt-u2", br#"{"brand_id":1,"orders":[]}"#, EventType::StatusUpdated, "empty"),
        ("evt-u3", br#"{"hello":"world"}"#, EventType::CartUpdated, "no \"orders\""),
    ];
    for (id, body, ty, reason) in cases {
        let a = t.send(id, ty, body).await;
        assert_eq!(a.status, 200, "{id}: retries cannot fix a signed body, so it is acknowledged");
        let stored = t.server.store().delivery(id).await.unwrap().expect("signed deliveries are always kept");
        assert_eq!(stored.state, DeliveryState::Unprocessable);
        assert!(stored.reason.as_deref().unwrap_or("").contains(reason), "{id}: reason {:?} should mention {reason:?}", stored.reason);
        assert_eq!(stored.body, body, "kept byte-exact");
    }
    // Unknown event type, valid envelope.
    let res = t
        .client
        .post(t.intake_url())
        .header("x-klikit-signature", t.secret.sign(BODY))
        .header("x-klikit-event-id", "evt-u4")
        .header("x-klikit-event-type", "klikit.order.refunded.v3")
        .body(BODY.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let stored = t.server.store().delivery("evt-u4").await.unwrap().unwrap();
    assert_eq!(stored.state, DeliveryState::Unprocessable);
    assert!(stored.reason.unwrap().contains("unknown event type"));
    t.stop().await;
}

#[tokio::test]
async fn a_failing_commit_is_503_with_retry_after_and_nothing_is_acknowledged() {
    // A database capped at a few pages: the first large delivery cannot fit.
    let t = TestServer::start_with(|c| c.store.max_page_count = Some(40)).await;
    // Random letters: the stored body is compressed, and these stay large.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let comment: String = (0..600_000)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (b'a' + (x >> 59) as u8 % 26) as char
        })
        .collect();
    let mut order = serde_json::json!({"id": 7, "order_comment": comment});
    order["status"] = 1.into();
    let body = serde_json::to_vec(&serde_json::json!({"orders": [order]})).unwrap();
    let res = t
        .client
        .post(t.intake_url())
        .header("x-klikit-signature", t.secret.sign(&body))
        .header("x-klikit-event-id", "evt-full")
        .header("x-klikit-event-type", "klikit.order.created.v2")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503, "a commit that fails must never earn a 2xx");
    assert!(res.headers().contains_key("retry-after"), "klikit is told when to retry");
    assert!(t.server.store().delivery("evt-full").await.unwrap().is_none(), "nothing half-stored");
    // A small delivery still fits: the failure was local to that commit.
    let a = t.send("evt-small", EventType::OrderCreated, BODY).await;
    assert_eq!(a.status, 200, "the store keeps working for deliveries that fit");
    t.stop().await;
}

#[tokio::test]
async fn no_secret_configured_is_503_and_visible_in_health() {
    let t = TestServer::start_with(|c| c.webhook_secret = None).await;
    let a = t.send("evt-ns", EventType::OrderCreated, BODY).await;
    assert_eq!(a.status, 503, "without a secret nothing can be verified, so klikit must retry later");
    let health: serde_json::Value = t.client.get(t.app_url("/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["intake"]["secret_configured"], false, "health shows the missing secret: {health}");
    let res = t.client.get(format!("http://{}/healthz", t.server.intake_addr())).send().await.unwrap();
    assert_eq!(res.status(), 503);
    t.stop().await;
}

#[tokio::test]
async fn intake_listener_serves_nothing_but_the_webhook_and_healthz() {
    let t = TestServer::start().await;
    let base = format!("http://{}", t.server.intake_addr());
    assert_eq!(t.client.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    for path in ["/api/health", "/api/tickets", "/", "/webhooks/other"] {
        assert_eq!(t.client.get(format!("{base}{path}")).send().await.unwrap().status(), 404, "{path} must not exist on the intake listener");
    }
    assert_eq!(t.client.get(format!("{base}/webhooks/klikit")).send().await.unwrap().status(), 405);
    assert_eq!(t.client.put(format!("{base}/webhooks/klikit")).send().await.unwrap().status(), 405);
    t.stop().await;
}

#[tokio::test]
async fn slow_headers_and_slow_bodies_are_cut_off() {
    let t = TestServer::start_with(|c| {
        c.header_timeout = Duration::from_millis(500);
        c.body_timeout = Duration::from_millis(500);
    })
    .await;
    let addr = t.server.intake_addr();
    let headers_closed = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"POST /webhooks/klikit HTTP/1.1\r\nHost: x\r\n").unwrap();
        let started = std::time::Instant::now();
        let mut buf = [0u8; 512];
        // Ok(_) means the server answered or closed; a read timeout (Err) means it kept the connection open.
        let closed_by_server = s.read(&mut buf).is_ok();
        (closed_by_server, started.elapsed())
    })
    .await
    .unwrap();
    assert!(headers_closed.0, "a connection that never finishes its headers must be closed by the server, not left open");
    assert!(headers_closed.1 < Duration::from_secs(9), "it is closed after the bounded header timeout, took {:?}", headers_closed.1);

    let sig = t.secret.sign(BODY);
    let status = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let head = format!(
            "POST /webhooks/klikit HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nx-klikit-signature: {sig}\r\nx-klikit-event-id: evt-slow\r\nx-klikit-event-type: klikit.order.created.v2\r\n\r\n",
            BODY.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&BODY[..5]).unwrap();
        let mut buf = vec![0u8; 1024];
        let n = s.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).to_string()
    })
    .await
    .unwrap();
    assert!(status.starts_with("HTTP/1.1 408"), "a trickled body is answered 408 and dropped, got {status:?}");
    assert!(t.server.store().delivery("evt-slow").await.unwrap().is_none());
    // Normal deliveries still work afterwards.
    assert_eq!(t.send("evt-ok", EventType::OrderCreated, BODY).await.status, 200);
    t.stop().await;
}

#[tokio::test]
async fn every_example_fixture_is_received_then_duplicate() {
    let t = TestServer::start().await;
    for (name, ty) in [
        ("01-order-created-single.json", EventType::OrderCreated),
        ("02-order-status-ready.json", EventType::StatusUpdated),
        ("03-order-cart-updated.json", EventType::CartUpdated),
        ("04-order-created-batched.json", EventType::OrderCreated),
        ("05-order-status-cancelled.json", EventType::StatusUpdated),
    ] {
        let body = fixture(name);
        assert_eq!(json(&t.send(name, ty, &body).await)["status"], "received", "{name}");
        assert_eq!(json(&t.send(name, ty, &body).await)["status"], "duplicate-ignored", "{name} again");
        let stored = t.server.store().delivery(name).await.unwrap().unwrap();
        assert_ne!(stored.state, DeliveryState::Unprocessable, "{name} is a valid envelope");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_secret_changed_in_settings_keeps_the_old_one_for_its_window_across_a_restart() {
    let t = TestServer::start().await;
    let put = t.client.put(t.app_url("/api/settings")).json(&serde_json::json!({"webhook_secret": "rotated-secret"})).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let view: serde_json::Value = put.json().await.unwrap();
    assert!(view["previous_secret_until"].is_string(), "settings show until when the old secret is accepted: {view}");
    assert_eq!(t.send("old-after-change", EventType::OrderCreated, BODY).await.status, 200, "klikit's deliveries signed with the old secret still count");
    let rotated = WebhookSecret::new("rotated-secret").unwrap();
    let d = kds::client::Delivery { event_id: "new-after-change".into(), event_type: EventType::OrderCreated, body: BODY.to_vec() };
    assert_eq!(kds::client::post(&t.client, &t.intake_url(), &rotated, &d).await.unwrap().status, 200, "and the new one is used at once");

    let dir = t.stop().await;
    let loaded = kds::config::Config::load_with(
        kds::config::Overrides { data_dir: Some(dir.path().to_owned()), webhook_listen: Some("127.0.0.1:0".into()), listen: Some("127.0.0.1:0".into()), ..Default::default() },
        |_| None,
    )
    .unwrap();
    assert_eq!(loaded.webhook_secret_source, kds::config::SecretSource::File);
    let t = TestServer::start_in(dir, |c| *c = loaded).await;
    assert_eq!(t.send("old-after-restart", EventType::OrderCreated, BODY).await.status, 200, "the window survives a restart");
    let forged = WebhookSecret::new("never-configured").unwrap();
    let d = kds::client::Delivery { event_id: "forged".into(), event_type: EventType::OrderCreated, body: BODY.to_vec() };
    assert_eq!(kds::client::post(&t.client, &t.intake_url(), &forged, &d).await.unwrap().status, 401);
    t.stop().await;
}
