//! A fake ESC/POS network printer: a real TCP server for tests and demos
//! (`kds dev fake-printer`), never used by a running kitchen.
//!
//! What it owns: the printer's raw port (records what each connection
//! sent, answers the status queries `DLE EOT 1/2/4` with the condition it
//! is set to), a way to switch it off and on again on the same port, to
//! cut the next connection off after some bytes (a cable pulled
//! mid-ticket), and an HTTP control port for a test that runs it as a child
//! process (`POST /_fake/condition`, `GET /_fake/pages`; no auth: it is a
//! test tool on loopback). Decoding what arrived is [`decode`].
//!
//! What it never does: touch a kds store. It is the printer, seen from kds.

pub mod decode;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use decode::{decode, save_png, stack, Page, TextLine};
use crate::printing::escpos::{DLE, EOT};

/// What the printer says when asked (`offline`: switched off, connections refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Ready,
    CoverOpen,
    PaperOut,
    Offline,
}

/// One connection's bytes.
#[derive(Debug, Clone)]
pub struct Received {
    pub bytes: Vec<u8>,
    /// The fake cut the connection off before the sender finished.
    pub cut_off: bool,
    /// When the last byte arrived.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    condition: Option<Condition>,
    cut_after: Option<usize>,
}

struct Inner {
    addr: SocketAddr,
    state: Mutex<State>,
    /// Fired after each connection that sent something.
    arrived: Notify,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A running fake printer. Cloning shares it.
#[derive(Clone)]
pub struct FakePrinter {
    inner: Arc<Inner>,
}

impl FakePrinter {
    /// A ready printer on a free loopback port.
    pub async fn start() -> FakePrinter {
        FakePrinter::bind("127.0.0.1:0".parse().expect("a literal address")).await.expect("the fake printer binds a free port")
    }

    /// A ready printer on `addr` (port 0: a free one).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<FakePrinter> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner { addr, state: Mutex::new(State { condition: Some(Condition::Ready), ..State::default() }), arrived: Notify::new(), task: Mutex::new(None) });
        *inner.task.lock().unwrap() = Some(tokio::spawn(accept(listener, Arc::downgrade(&inner))));
        Ok(FakePrinter { inner })
    }

    /// The raw port's address.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `tcp://127.0.0.1:PORT`, for the printer's config.
    pub fn address(&self) -> String {
        format!("tcp://{}", self.inner.addr)
    }

    /// Switched off: connections are refused.
    pub fn stop(&self) {
        if let Some(t) = self.inner.task.lock().unwrap().take() {
            t.abort();
        }
    }

    /// Whether it is switched on.
    pub fn is_on(&self) -> bool {
        self.inner.task.lock().unwrap().is_some()
    }

    /// Switched on again, on the same port.
    pub async fn resume(&self) {
        self.stop();
        let mut tries = 0;
        let listener = loop {
            // The aborted task lets go of the old socket on its next poll.
            tokio::time::sleep(Duration::from_millis(20)).await;
            match TcpListener::bind(self.inner.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 100 => {
                    tries += 1;
                    tracing::debug!(error = %e, "fake printer: port not free yet");
                }
                Err(e) => panic!("the fake printer cannot bind its old port {} again: {e}", self.inner.addr),
            }
        };
        *self.inner.task.lock().unwrap() = Some(tokio::spawn(accept(listener, Arc::downgrade(&self.inner))));
    }

    /// What the status queries answer from now on (`Offline` is [`stop`](Self::stop)).
    pub fn set_condition(&self, c: Condition) {
        if c == Condition::Offline {
            self.stop();
        } else {
            self.inner.state.lock().unwrap().condition = Some(c);
        }
    }

    /// Sets the condition, switching the printer off or back on as needed.
    pub async fn switch(&self, c: Condition) {
        self.set_condition(c);
        if c != Condition::Offline && !self.is_on() {
            self.resume().await;
        }
    }

    /// The condition as the status queries answer it, or `Offline`.
    pub fn condition(&self) -> Condition {
        if !self.is_on() {
            return Condition::Offline;
        }
        self.inner.state.lock().unwrap().condition.unwrap_or(Condition::Ready)
    }

    /// The next connection is cut off after `n` bytes of job data.
    pub fn cut_next_after(&self, n: usize) {
        self.inner.state.lock().unwrap().cut_after = Some(n);
    }

    /// Every connection that sent something, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.inner.state.lock().unwrap().received.clone()
    }

    /// The completed jobs, decoded.
    pub fn pages(&self) -> Vec<Page> {
        self.received().iter().filter(|r| !r.cut_off).map(|r| decode(&r.bytes)).collect()
    }

    /// Waits for the completed job number `index` (from 0) and returns it.
    pub async fn page(&self, index: usize) -> Page {
        loop {
            let arrived = self.inner.arrived.notified();
            if let Some(r) = self.received().iter().filter(|r| !r.cut_off).nth(index) {
                return decode(&r.bytes);
            }
            arrived.await;
        }
    }

    /// Serves the control port on `listener` until the task is dropped or aborted.
    pub fn serve_control(&self, listener: TcpListener) -> JoinHandle<()> {
        let app = Router::new().route("/_fake/condition", post(set_condition).get(get_condition)).route("/_fake/pages", get(pages)).with_state(self.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "fake printer: control port stopped");
            }
        })
    }
}

#[derive(Deserialize)]
struct ConditionRequest {
    condition: Condition,
}

/// `POST /_fake/condition {"condition": "paper_out"}`.
async fn set_condition(AxumState(fake): AxumState<FakePrinter>, body: Result<Json<ConditionRequest>, JsonRejection>) -> Response {
    match body {
        Ok(Json(r)) => {
            fake.switch(r.condition).await;
            Json(json!({"condition": fake.condition()})).into_response()
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": format!("expected {{\"condition\": \"ready|cover_open|paper_out|offline\"}}: {}", e.body_text())}))).into_response(),
    }
}

async fn get_condition(AxumState(fake): AxumState<FakePrinter>) -> Json<serde_json::Value> {
    Json(json!({"condition": fake.condition()}))
}

/// `GET /_fake/pages`: every completed job, decoded.
async fn pages(AxumState(fake): AxumState<FakePrinter>) -> Json<serde_json::Value> {
    let pages: Vec<serde_json::Value> = fake
        .pages()
        .iter()
        .map(|p| json!({"text": p.text(), "lines": p.lines, "images": p.images.len(), "ink": p.images.iter().map(|i| i.ink()).sum::<usize>(), "cuts": p.cuts, "unknown": p.unknown.len()}))
        .collect();
    Json(json!({"pages": pages}))
}

/// Accepts until aborted, or until every handle to the printer is gone.
async fn accept(listener: TcpListener, inner: std::sync::Weak<Inner>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let Some(inner) = inner.upgrade() else { return };
        tokio::spawn(connection(stream, inner));
    }
}

impl Drop for Inner {
    /// The last handle gone: switched off.
    fn drop(&mut self) {
        if let Some(t) = self.task.get_mut().map(Option::take).ok().flatten() {
            t.abort();
        }
    }
}

async fn connection(mut stream: tokio::net::TcpStream, inner: Arc<Inner>) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let mut queries_over = false;
    let cut_after = inner.state.lock().unwrap().cut_after.take();
    let mut cut_off = false;
    let mut at = Instant::now();
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        // Status queries come first, before any job data.
        while !queries_over && chunk.len() >= 3 && chunk[0] == DLE && chunk[1] == EOT {
            let condition = inner.state.lock().unwrap().condition.unwrap_or(Condition::Ready);
            let answer = match (chunk[2], condition) {
                (2, Condition::CoverOpen) => 0x16,
                (2, Condition::PaperOut) => 0x32,
                (4, Condition::PaperOut) => 0x72,
                _ => 0x12,
            };
            let _ = stream.write_all(&[answer]).await;
            chunk = &chunk[3..];
        }
        if !chunk.is_empty() {
            queries_over = true;
        }
        bytes.extend_from_slice(chunk);
        at = Instant::now();
        // A status query after the job asks whether it all arrived.
        if queries_over && bytes.len() >= 3 && bytes[bytes.len() - 3..] == [DLE, EOT, 1] && cut_after.is_none_or(|limit| bytes.len() - 3 < limit) {
            bytes.truncate(bytes.len() - 3);
            let _ = stream.write_all(&[0x16]).await;
        }
        if let Some(limit) = cut_after {
            if bytes.len() >= limit {
                bytes.truncate(limit);
                cut_off = true;
                break;
            }
        }
    }
    if !bytes.is_empty() {
        inner.state.lock().unwrap().received.push(Received { bytes, cut_off, at });
        inner.arrived.notify_waiters();
    }
}
