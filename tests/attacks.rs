//! The attack tests, short form: what a hostile network does to the two
//! listeners (sockets that never speak, floods of idle connections, slow
//! unsigned bodies), each bounded in count and time and only on loopback
//! (127.0.0.1). They run in CI with the rest of `cargo test`.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kds::klikit::EventType;
use support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BODY: &[u8] = br#"{"brand_id":1,"branch_id":2,"orders":[{"id":42,"status":1}]}"#;
/// The HTTP/2 client preface, sent alone.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long the server took to close a connection it was given `send` on
/// (nothing more is sent); `None` if it still held it open after `wait`.
async fn closed_within(addr: SocketAddr, send: &[u8], wait: Duration) -> Option<Duration> {
    let mut s = TcpStream::connect(addr).await.expect("connect on loopback");
    s.write_all(send).await.unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + wait).into(), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            // An answer (a 400 to a preface, say): keep reading until closed.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn silent_and_http2_preface_only_connections_are_closed_on_both_listeners() {
    let t = TestServer::start_with(|c| c.header_timeout = Duration::from_secs(1)).await;
    for (listener, addr) in [("intake", t.server.intake_addr()), ("app", t.server.app_addr())] {
        for (what, send) in [("a socket that sends nothing", &b""[..]), ("an HTTP/2 preface alone", H2_PREFACE), ("half a request line", b"GET /api/hea")] {
            let took = closed_within(addr, send, Duration::from_secs(8)).await;
            let took = took.unwrap_or_else(|| panic!("{listener}: {what} must be closed by the server, not held open for ever"));
            assert!(took < Duration::from_secs(6), "{listener}: {what} closed after the 1 s header timeout, not {took:?}");
        }
    }
    assert_eq!(t.send("after", EventType::OrderCreated, BODY).await.status, 200, "real deliveries still work");
    t.stop().await;
}

/// Opens `n` connections to `addr` that send nothing, and keeps them open.
async fn idle_sockets(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(TcpStream::connect(addr).await.expect("the kernel accepts into the backlog"));
    }
    out
}

#[tokio::test]
async fn over_the_cap_a_new_connection_waits_until_a_slot_frees() {
    let t = TestServer::start_with(|c| {
        c.header_timeout = Duration::from_secs(30);
        c.max_connections = 20;
    })
    .await;
    let addr = t.server.app_addr();
    let held = idle_sockets(addr, 20).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let url = t.app_url("/api/health");
    let request = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!request.is_finished(), "the 21st connection is over the cap of 20: it is not served while the 20 are open");
    drop(held);
    let status = tokio::time::timeout(Duration::from_secs(10), request).await.expect("served once slots free").unwrap().expect("answered");
    assert_eq!(status, 200, "a waiting connection is served, not dropped, once the idle ones are gone");
    t.stop().await;
}

#[tokio::test]
async fn a_flood_of_idle_sockets_on_one_listener_leaves_the_other_reachable() {
    let t = TestServer::start_with(|c| {
        c.header_timeout = Duration::from_secs(30);
        c.max_connections = 50;
    })
    .await;
    let flood = idle_sockets(t.server.app_addr(), 300).await;
    let answer = tokio::time::timeout(Duration::from_secs(10), t.send("during-app-flood", EventType::OrderCreated, BODY)).await;
    assert_eq!(answer.expect("the intake answers in time").status, 200, "300 idle sockets on the app listener must not keep klikit's delivery out");
    drop(flood);

    let flood = idle_sockets(t.server.intake_addr(), 300).await;
    let health = tokio::time::timeout(Duration::from_secs(10), reqwest::get(t.app_url("/api/health"))).await;
    let health = health.expect("the app answers in time").expect("the app listener is reachable");
    assert_eq!(health.status().as_u16(), 200, "300 idle sockets on the intake must not take the board down");
    drop(flood);
    t.stop().await;
}

/// Starts an unsigned delivery that declares a 1 MiB body, sends 1 KiB of
/// it, and stalls; returns the socket (still open) and whatever the server
/// answered within `wait` (empty: no answer yet, the body is being waited for).
async fn slow_sender(addr: SocketAddr, wait: Duration) -> (TcpStream, String) {
    let mut s = TcpStream::connect(addr).await.expect("connect on loopback");
    let head = format!(
        "POST /webhooks/klikit HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nx-klikit-signature: {}\r\nx-klikit-event-id: slow\r\nx-klikit-event-type: klikit.order.created.v2\r\n\r\n",
        kds::intake::MAX_BODY_BYTES,
        "0".repeat(64)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&[b' '; 1024]).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let answer = match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).to_string(),
        _ => String::new(),
    };
    (s, answer)
}

#[tokio::test]
async fn slow_unsigned_senders_cannot_take_more_than_the_budget_and_real_deliveries_get_through() {
    const BUDGET: u64 = 4 * 1024 * 1024;
    let t = TestServer::start_with(|c| {
        c.intake_budget_bytes = BUDGET;
        c.body_timeout = Duration::from_secs(20);
    })
    .await;
    let addr = t.server.intake_addr();
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..40 {
        let (socket, answer) = slow_sender(addr, Duration::from_millis(300)).await;
        if answer.starts_with("HTTP/1.1 503") {
            assert!(answer.to_ascii_lowercase().contains("retry-after"), "a full budget tells the sender when to retry: {answer}");
            refused += 1;
        } else {
            assert_eq!(answer, "", "a sender within the budget is still being read");
        }
        held.push(socket);
    }
    let budget = t.server.intake().body_budget();
    assert_eq!(budget.limit_bytes, BUDGET);
    assert!(budget.peak_in_flight_bytes <= BUDGET, "the budget holds: peak {} of {BUDGET} bytes", budget.peak_in_flight_bytes);
    assert_eq!(refused, 37, "three 1 MiB bodies fit in the three quarters of 4 MiB large bodies may use; the other 37 are refused");
    let answer = tokio::time::timeout(Duration::from_secs(10), t.send("real-during-attack", EventType::OrderCreated, BODY)).await;
    assert_eq!(answer.expect("answered in time").status, 200, "a real (small, signed) delivery gets through while the budget is held by slow senders");
    drop(held);
    let freed = support::eventually("reservations are given back", Duration::from_secs(10), || async {
        (t.server.intake().body_budget().in_flight_bytes == 0).then_some(())
    })
    .await;
    assert_eq!(freed, ());
    t.stop().await;
}

#[tokio::test]
async fn a_signed_order_with_absurd_quantities_is_kept_unprocessable_and_the_pipeline_goes_on() {
    let t = TestServer::start().await;
    let near_max = u32::MAX as u64 - 5;
    let poison = format!(
        r#"{{"brand_id":1,"branch_id":2,"orders":[{{"id":900,"status":1,"cart_v2":[{{"name":"Rice","quantity":{near_max}}},{{"name":"Tea","quantity":{near_max}}}]}}]}}"#
    );
    assert_eq!(t.send("poison", EventType::OrderCreated, poison.as_bytes()).await.status, 200, "signed and stored: acknowledged");
    let reason = support::eventually("the poison delivery is marked", Duration::from_secs(10), || async {
        let d = t.server.store().delivery("poison").await.unwrap()?;
        (d.state == kds::store::DeliveryState::Unprocessable).then_some(d.reason)
    })
    .await;
    assert!(reason.as_deref().is_some_and(|r| r.contains("quantity")), "the reason names the absurd quantity: {reason:?}");
    for i in 0..3 {
        let body = format!(r#"{{"brand_id":1,"branch_id":2,"orders":[{{"id":{},"status":1}}]}}"#, 901 + i);
        assert_eq!(t.send(&format!("after-{i}"), EventType::OrderCreated, body.as_bytes()).await.status, 200, "the intake still stores deliveries");
    }
    support::eventually("later deliveries are applied", Duration::from_secs(10), || async {
        t.server.store().ticket("903").await.unwrap().map(|_| ())
    })
    .await;
    t.stop().await;
}
