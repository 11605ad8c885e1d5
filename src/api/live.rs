//! `GET /api/live`: the live stream (Server-Sent Events).
//!
//! A screen names what it shows with `?screen=NAME` (a station, `expo`, or
//! nothing for everything) and itself with `?name=`; every ticket it gets
//! is that screen's view (see `kitchen::screen`), and it is listed in the
//! screens registry until it goes away. The screen is read against the
//! station setup in force at each change: when its station is deleted, it
//! gets a fresh snapshot of everything, with a notice.
//!
//! A screen connects with the last `seq` it saw (`?since=SEQ` or the
//! `Last-Event-ID` header its `EventSource` sends on reconnect) and receives
//! exactly the changes it missed, as `ticket` events, then every change as
//! it commits. With no `seq`, or one the change feed no longer covers, it
//! first gets a `snapshot` of the open tickets. A `health` event goes out at
//! connect and whenever the health body changes (checked every 2 s), and a
//! `ping` event after 15 s without any other. The stream ends at shutdown.
//!
//! The `ping` is an event, not an SSE comment, because a page never sees
//! comments: with events it can tell a quiet kitchen from a dead connection
//! (one that never closed: a tablet that roamed, a proxy that hung) and
//! reconnect, so the board is never silently stale.
//!
//! Each connection is a task that subscribes to the store's change
//! broadcast *before* reading the snapshot or the missed changes, and skips
//! anything at or below the `seq` it has sent, so nothing falls between.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{Extensions, HeaderMap};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::screens::{Arrival, ScreenGuard};
use super::wire::{LiveEventName, Ticket, TicketEvent};
use super::AppState;
use crate::kitchen::screen::Screen;
use crate::store::{StoreError, TicketChange};

/// Most missed changes replayed; further behind gets a snapshot.
const REPLAY_LIMIT: usize = 1000;
const HEALTH_EVERY: Duration = Duration::from_secs(2);
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Events buffered for a slow screen before its task waits.
const BUFFER: usize = 256;

/// Longest screen display name kept.
const MAX_NAME_CHARS: usize = 60;

#[derive(Deserialize)]
pub struct LiveQuery {
    since: Option<String>,
    /// What the screen shows: a station, `expo`, or absent for everything.
    screen: Option<String>,
    /// The screen's display name, for Settings' list.
    name: Option<String>,
}

pub async fn live(State(state): State<AppState>, headers: HeaderMap, extensions: Extensions, Query(q): Query<LiveQuery>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let since = q
        .since
        .as_deref()
        .or_else(|| headers.get("last-event-id").and_then(|v| v.to_str().ok()))
        .and_then(|s| s.trim().parse::<i64>().ok());
    let (tx, rx) = mpsc::channel(BUFFER);
    let wanted = q.screen.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let view = Screen::parse(wanted.as_deref(), &state.kitchen.setup.get());
    let remote = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.to_string()).unwrap_or_else(|| "unknown".into());
    let name = q.name.map(|n| n.trim().chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect::<String>()).filter(|n| !n.is_empty());
    let arrival = Arrival { name, screen: view.name(), station: view.station().map(str::to_string), remote };
    let guard = state.screens.join(arrival, time::OffsetDateTime::now_utc());
    tokio::spawn(async move {
        if let Err(StreamEnd::Store(e)) = stream(state, since, tx, View { wanted, screen: view, guard }).await {
            tracing::warn!(error = %e, "live stream ended by a store error");
        }
    });
    // (An event with no data is never dispatched to the page.)
    Sse::new(ReceiverStream::new(rx).map(Ok)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).event(Event::default().event(LiveEventName::Ping.as_str()).data("{}")))
}

/// One event of the stream: its name and its JSON body.
fn event(name: LiveEventName, body: &impl Serialize) -> Event {
    Event::default().event(name.as_str()).data(serde_json::to_string(body).expect("wire types serialize"))
}

/// Why a stream task stopped early.
#[derive(Debug, thiserror::Error)]
enum StreamEnd {
    #[error("the screen went away")]
    Gone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one stream's screen shows, and its entry in the registry.
struct View {
    /// The screen as asked for (`?screen=`).
    wanted: Option<String>,
    /// As last read against the station setup.
    screen: Screen,
    guard: ScreenGuard,
}

impl View {
    /// Reads the screen again against the setup in force; true when what
    /// it shows changed (its station was deleted or came back).
    fn refresh(&mut self, state: &AppState) -> bool {
        let now = Screen::parse(self.wanted.as_deref(), &state.kitchen.setup.get());
        if now == self.screen {
            return false;
        }
        self.guard.shows(now.name(), now.station().map(str::to_string));
        self.screen = now;
        true
    }
}

struct Sender {
    tx: mpsc::Sender<Event>,
    /// The last `seq` sent.
    last: i64,
    view: View,
}

impl Sender {
    async fn send(&self, event: Event) -> Result<(), StreamEnd> {
        self.tx.send(event).await.map_err(|_| StreamEnd::Gone)?;
        self.view.guard.seen(time::OffsetDateTime::now_utc());
        Ok(())
    }

    async fn change(&mut self, change: &TicketChange, state: &AppState) -> Result<(), StreamEnd> {
        if change.seq <= self.last {
            return Ok(());
        }
        if self.view.refresh(state) {
            return self.snapshot(state).await;
        }
        let body = TicketEvent { seq: change.seq, ticket: Ticket::from(&self.view.screen.view(&change.ticket)) };
        self.send(event(LiveEventName::Ticket, &body).id(change.seq.to_string())).await?;
        self.last = change.seq;
        Ok(())
    }

    async fn snapshot(&mut self, state: &AppState) -> Result<(), StreamEnd> {
        self.view.refresh(state);
        let (seq, tickets) = state.store.open_tickets().await?;
        let body = super::tickets::board(seq, &self.view.screen, &tickets);
        self.send(event(LiveEventName::Snapshot, &body).id(seq.to_string())).await?;
        self.last = seq;
        Ok(())
    }

    /// Sends what was missed since `self.last`, or a snapshot.
    async fn catch_up(&mut self, state: &AppState) -> Result<(), StreamEnd> {
        match state.store.changes_since(self.last, REPLAY_LIMIT).await? {
            Some(changes) => {
                for c in &changes {
                    self.change(c, state).await?;
                }
                Ok(())
            }
            None => self.snapshot(state).await,
        }
    }
}

async fn stream(state: AppState, since: Option<i64>, tx: mpsc::Sender<Event>, view: View) -> Result<(), StreamEnd> {
    let mut changes = state.store.subscribe_changes();
    let mut out = Sender { tx, last: 0, view };
    match since {
        Some(seq) => {
            out.last = seq;
            out.catch_up(&state).await?;
        }
        None => out.snapshot(&state).await?,
    }
    let mut shutdown = state.shutdown.clone();
    let mut health_timer = tokio::time::interval(HEALTH_EVERY);
    let mut last_health = None;
    loop {
        tokio::select! {
            received = changes.recv() => match received {
                Ok(change) if change.seq > out.last + 1 => out.catch_up(&state).await?,
                Ok(change) => out.change(&change, &state).await?,
                Err(RecvError::Lagged(_)) => out.catch_up(&state).await?,
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = health_timer.tick() => {
                match super::health::snapshot(&state).await {
                    Ok(health) if last_health.as_ref() != Some(&health) => {
                        out.send(event(LiveEventName::Health, &health)).await?;
                        last_health = Some(health);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "live: health unreadable"),
                }
            }
            _ = shutdown.wait() => return Ok(()),
            _ = out.tx.closed() => return Err(StreamEnd::Gone),
        }
    }
}
