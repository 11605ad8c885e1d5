//! Catch-up: fetching back the orders whose webhooks never reached us.
//!
//! On start, after the tunnel reconnects from an outage, every
//! [`DEFAULT_EVERY`] (configurable) and on request, it lists the orders
//! klikit created from the newest one the kitchen has seen minus
//! [`OVERLAP`] (at most [`MAX_BACK`] back) up to now, page by page. klikit's
//! list carries full order records (the same model as `GET /orders/{id}`
//! and the webhooks), so each one that is missing here, or whose
//! `updated_at` is newer than ours, goes into the inbox as a snapshot with
//! the source `catch-up` and the synthetic event id
//! `catchup:{order_id}:{updated_at}`: deduplicated, replayable, and applied
//! by the applier through the same rules as a webhook (a stale snapshot
//! never pulls a newer ticket back; a new order rings like any other).
//!
//! It never decides kitchen rules and never runs SQL itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::client::Client;
use crate::store::{InsertOutcome, NewDelivery, Store};
use crate::tunnel::{TunnelState, TunnelStatus};

/// How often catch-up runs by default.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(600);
/// How far before the newest order seen the window starts.
pub const OVERLAP: time::Duration = time::Duration::minutes(15);
/// The furthest back a window starts.
pub const MAX_BACK: time::Duration = time::Duration::hours(24);
/// Orders per page.
const PAGE: u32 = 100;
/// The event id prefix of catch-up deliveries.
pub const EVENT_PREFIX: &str = "catchup:";

/// The last catch-up, for health.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CatchUpReport {
    pub at: Option<String>,
    pub from: Option<String>,
    /// Orders klikit listed in the window.
    pub listed: u64,
    /// Orders fed into the inbox (missing here, or newer at klikit).
    pub fetched: u64,
    /// What went wrong, in plain words.
    pub error: Option<String>,
}

/// The catch-up task's handles.
#[derive(Clone)]
pub struct CatchUp {
    client: Client,
    store: Store,
    applier: Arc<Notify>,
    now: Arc<Notify>,
    last: Arc<Mutex<CatchUpReport>>,
}

fn text(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("a time formats")
}

impl CatchUp {
    pub fn new(client: Client, store: Store, applier: Arc<Notify>) -> CatchUp {
        CatchUp { client, store, applier, now: Arc::new(Notify::new()), last: Default::default() }
    }

    /// Asks for a run now.
    pub fn run_soon(&self) {
        self.now.notify_one();
    }

    /// The last run's report.
    pub fn last(&self) -> CatchUpReport {
        self.last.lock().unwrap().clone()
    }

    /// Runs at start, every `every`, on request and when the tunnel comes
    /// back from an outage, until `shutdown`.
    pub fn spawn(self, every: Duration, mut tunnel: watch::Receiver<TunnelStatus>, mut shutdown: crate::shutdown::Shutdown) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut was_down = false;
            loop {
                self.run(OffsetDateTime::now_utc()).await;
                let until = tokio::time::Instant::now() + every;
                loop {
                    tokio::select! {
                        _ = self.now.notified() => break,
                        _ = tokio::time::sleep_until(until) => break,
                        changed = tunnel.changed() => {
                            if changed.is_err() {
                                // No tunnel supervisor: wait on the rest.
                                tokio::select! {
                                    _ = self.now.notified() => {}
                                    _ = tokio::time::sleep_until(until) => {}
                                    _ = shutdown.wait() => return,
                                }
                                break;
                            }
                            let state = tunnel.borrow().state;
                            if matches!(state, TunnelState::Reconnecting | TunnelState::Failed) {
                                was_down = true;
                            } else if state == TunnelState::Connected && was_down {
                                was_down = false;
                                break;
                            }
                        }
                        _ = shutdown.wait() => return,
                    }
                }
            }
        })
    }

    /// One catch-up, reported in [`CatchUp::last`].
    pub async fn run(&self, now: OffsetDateTime) -> CatchUpReport {
        let newest = self.store.newest_order_created_at().await.ok().flatten();
        let from = newest.map(|n| n - OVERLAP).unwrap_or(now - MAX_BACK).max(now - MAX_BACK);
        let mut report = CatchUpReport { at: Some(text(now)), from: Some(text(from)), ..Default::default() };
        if let Err(e) = self.pages(from, now, &mut report).await {
            tracing::warn!(error = %e, "catch-up: stopped");
            report.error = Some(e);
        }
        if report.fetched > 0 {
            self.applier.notify_one();
            tracing::info!(fetched = report.fetched, listed = report.listed, "catch-up: fed orders klikit's webhooks did not bring");
        }
        *self.last.lock().unwrap() = report.clone();
        report
    }

    async fn pages(&self, from: OffsetDateTime, now: OffsetDateTime, report: &mut CatchUpReport) -> Result<(), String> {
        let to = now + time::Duration::seconds(1);
        let (from, to) = (text(from), text(to));
        for page in 1.. {
            let listed = self.client.orders(&from, &to, page, PAGE).await.map_err(|e| e.plain())?;
            let count = listed.orders.len() as u64;
            for order in listed.orders {
                if self.feed(order, now).await? {
                    report.fetched += 1;
                }
            }
            report.listed += count;
            if count == 0 || report.listed >= listed.total {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Puts one listed order into the inbox when it is missing here or
    /// newer at klikit. True when it was fed.
    async fn feed(&self, order: Value, now: OffsetDateTime) -> Result<bool, String> {
        let Some(id) = crate::klikit::envelope::order_id(&order["id"]) else { return Ok(false) };
        let updated_at = order["updated_at"].as_str().unwrap_or("").to_string();
        let theirs = OffsetDateTime::parse(&updated_at, &Rfc3339).ok();
        let ours = self.store.ticket(&id).await.map_err(|e| e.to_string())?;
        let event_type = match &ours {
            None => crate::klikit::EventType::OrderCreated,
            Some(t) if matches!((theirs, t.klikit_updated_at), (Some(a), Some(b)) if a > b) => crate::klikit::EventType::StatusUpdated,
            Some(_) => return Ok(false),
        };
        let body = serde_json::to_vec(&json!({"brand_id": order["brand_id"], "branch_id": order["branch_id"], "orders": [order]})).expect("JSON");
        let delivery = NewDelivery {
            event_id: format!("{EVENT_PREFIX}{id}:{updated_at}"),
            event_type: event_type.as_str().into(),
            body_sha256: crate::klikit::body_sha256(&body),
            body,
            headers: json!({"source": "catch-up"}),
            received_at: now,
            unprocessable: None,
        };
        match self.store.insert_delivery(delivery).await.map_err(|e| e.to_string())? {
            InsertOutcome::Inserted { .. } => Ok(true),
            InsertOutcome::Duplicate { .. } => Ok(false),
        }
    }
}
