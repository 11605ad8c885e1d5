//! The partner sender: the task that delivers the status outbox to klikit.
//!
//! It wakes when a screen action commits (a notify rung after the commit,
//! so a bump never waits for klikit), when the keys change, and once a
//! second. It takes the waiting rows oldest first, groups them by order,
//! and sends each order's rows in order while different orders go in
//! parallel. Every try of a row sends the key written with it, so klikit
//! applies it once however often it is sent (a restart included).
//!
//! What each answer means:
//! - success: the row is `sent`, with klikit's `updated_at`;
//! - an invalid transition: `GET /orders/{id}` goes into the inbox as a
//!   snapshot (the applier applies it by the same rules as a webhook) and
//!   the row is `superseded`, with the reason;
//! - an idempotency conflict: the row is `failed` and an alert is raised;
//! - 401 or 403: the outbox pauses ("klikit rejected our credentials") and
//!   the row stays waiting until the keys change;
//! - retries run out (the client retries 429, 5xx and network failures):
//!   `failed`, and a person may retry it.
//!
//! It never decides kitchen rules and never runs SQL itself.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::client::{Client, ErrorKind, PartnerError, StatusChange};
use crate::alert::{Alert, Alerts};
use crate::kitchen::{Event, KlikitSync, Record, Source, SyncState};
use crate::store::{NewDelivery, OutboxMark, OutboxRow, Store, StoreError};

/// How often the sender looks even without a wake-up.
const POLL: Duration = Duration::from_secs(1);
/// Rows taken per round.
const ROUND: usize = 256;
/// The plain words shown when klikit refuses our keys.
pub const CREDENTIALS_REJECTED: &str = "klikit rejected our credentials";

/// What health and the header chip show about klikit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartnerHealth {
    /// Set while the outbox is paused because klikit refused our keys.
    pub credentials_rejected_since: Option<String>,
    pub reason: Option<String>,
    /// When klikit last answered a call successfully.
    pub last_ok_at: Option<String>,
}

/// The partner side of a running kds: the client, and the sender's bell.
#[derive(Clone)]
pub struct Partner {
    pub client: Client,
    store: Store,
    alerts: Alerts,
    wake: Arc<Notify>,
    applier: Arc<Notify>,
    health: Arc<Mutex<PartnerHealth>>,
    /// Catch-up, run alongside the sender with the same keys.
    pub catchup: super::catchup::CatchUp,
}

fn now_text() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).expect("now formats")
}

impl Partner {
    /// `applier` is the applier's bell (a reconcile snapshot goes through it).
    pub fn new(client: Client, store: Store, alerts: Alerts, applier: Arc<Notify>) -> Partner {
        let catchup = super::catchup::CatchUp::new(client.clone(), store.clone(), applier.clone());
        Partner { client, store, alerts, wake: Arc::new(Notify::new()), applier, health: Default::default(), catchup }
    }

    /// Rings the sender: a row was committed, or the keys changed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// New keys (Settings): the pause ends and the sender tries again.
    pub fn set_config(&self, config: Option<super::PartnerConfig>) {
        self.client.set_config(config);
        let mut h = self.health.lock().unwrap();
        h.credentials_rejected_since = None;
        h.reason = None;
        drop(h);
        self.wake();
        self.catchup.run_soon();
    }

    pub fn health(&self) -> PartnerHealth {
        self.health.lock().unwrap().clone()
    }

    fn paused(&self) -> bool {
        self.health.lock().unwrap().credentials_rejected_since.is_some()
    }

    /// Runs until `shutdown` turns true.
    pub fn spawn(self, mut shutdown: crate::shutdown::Shutdown) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if !self.paused() {
                    if let Err(e) = self.round().await {
                        tracing::error!(error = %e, "partner: cannot read or mark the outbox");
                    }
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = shutdown.wait() => break,
                }
            }
        })
    }

    /// Sends every waiting row once: orders in parallel, each order's rows in order.
    pub async fn round(&self) -> Result<(), StoreError> {
        let rows = self.store.outbox_waiting(ROUND).await?;
        let mut by_order: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
        for row in rows {
            by_order.entry(row.order_id.clone()).or_default().push(row);
        }
        let sends = by_order.into_values().map(|rows| async move {
            for row in rows {
                if self.paused() || !self.send(row).await? {
                    break;
                }
            }
            Ok::<_, StoreError>(())
        });
        for result in futures_util::future::join_all(sends).await {
            result?;
        }
        Ok(())
    }

    /// Sends one row and records the answer. False: stop this order's rows
    /// (the outbox is paused).
    async fn send(&self, row: OutboxRow) -> Result<bool, StoreError> {
        let change = StatusChange { status: row.action.as_str().into(), reason_code: row.reason_code.clone(), occurred_at: Some(row.occurred_at.clone()) };
        let attempts = row.attempts + 1;
        let result = self.client.set_status(&row.order_id, &change, &row.idempotency_key).await;
        let (state, error, updated_at) = match result {
            Ok(answer) => {
                self.health.lock().unwrap().last_ok_at = Some(now_text());
                (SyncState::Sent, None, answer.updated_at)
            }
            Err(e) => match e.kind() {
                Some(ErrorKind::InvalidTransition) => (SyncState::Superseded, Some(self.reconcile(&row, &e).await?), None),
                Some(ErrorKind::Unauthorized | ErrorKind::Forbidden) => {
                    tracing::warn!(error = %e, "partner: klikit refused our credentials; the outbox is paused until the keys change");
                    {
                        let mut h = self.health.lock().unwrap();
                        h.credentials_rejected_since.get_or_insert_with(now_text);
                        h.reason = Some(e.plain());
                    }
                    self.alerts.raise(Alert::KlikitProblem { reason: format!("{CREDENTIALS_REJECTED}: {}", e.plain()) });
                    self.store.outbox_attempted(row.id, attempts, Some(e.plain())).await?;
                    return Ok(false);
                }
                Some(ErrorKind::IdempotencyConflict) => {
                    tracing::error!(error = %e, order_id = %row.order_id, "partner: idempotency conflict; this action is stopped");
                    self.alerts.raise(Alert::KlikitProblem { reason: format!("order {}: {}", row.order_id, e.plain()) });
                    (SyncState::Failed, Some(e.plain()), None)
                }
                Some(kind) if kind.retryable() => (SyncState::Failed, Some(format!("gave up after {} tries: {}", super::client::MAX_TRIES, e.plain())), None),
                None if matches!(e, PartnerError::Network(_)) => (SyncState::Failed, Some(format!("gave up after {} tries: {}", super::client::MAX_TRIES, e.plain())), None),
                _ => (SyncState::Failed, Some(e.plain()), None),
            },
        };
        let mark = OutboxMark { state, attempts, last_error: error.clone(), klikit_updated_at: updated_at, request_id: None };
        let (id, action) = (row.id, row.action);
        self.store
            .outbox_mark(id, mark, OffsetDateTime::now_utc(), move |record| sync_line(record, id, action, state, error))
            .await?;
        Ok(true)
    }

    /// Fetches klikit's record of the order and puts it in the inbox as a
    /// snapshot; returns the reason to show.
    async fn reconcile(&self, row: &OutboxRow, refused: &PartnerError) -> Result<String, StoreError> {
        let order = match self.client.order(&row.order_id).await {
            Ok(order) => order,
            Err(e) => {
                tracing::warn!(error = %e, order_id = %row.order_id, "partner: cannot fetch the order to reconcile");
                return Ok(format!("{}; its current state could not be fetched ({})", refused.plain(), e.plain()));
            }
        };
        let status = order["status"].clone();
        let updated_at = order["updated_at"].as_str().unwrap_or("unknown").to_string();
        let body = serde_json::to_vec(&json!({"brand_id": order["brand_id"], "branch_id": order["branch_id"], "orders": [order]})).expect("JSON");
        let delivery = NewDelivery {
            event_id: format!("reconcile:{}:{updated_at}", row.order_id),
            event_type: crate::klikit::EventType::StatusUpdated.as_str().into(),
            body_sha256: crate::klikit::body_sha256(&body),
            body,
            headers: json!({"source": "reconcile"}),
            received_at: OffsetDateTime::now_utc(),
            unprocessable: None,
        };
        self.store.insert_delivery(delivery).await?;
        self.applier.notify_one();
        Ok(format!("klikit did not allow {} (its status is {status}); the ticket now follows klikit's record", row.action.as_str()))
    }
}

/// The ticket's new sync line, when the row is still the card's latest.
fn sync_line(record: &Record, id: i64, action: crate::kitchen::KlikitAction, state: SyncState, reason: Option<String>) -> Option<(Record, Event)> {
    if record.ticket.klikit_sync.as_ref().is_some_and(|s| s.outbox_id > id) {
        return None;
    }
    let now = OffsetDateTime::now_utc();
    let mut next = record.clone();
    next.ticket.klikit_sync = Some(KlikitSync { outbox_id: id, action, state, reason: reason.clone(), note: None });
    next.ticket.updated_at = now;
    let event = Event { at: now, source: Source::Kitchen, kind: crate::kitchen::EventKind::KlikitSync, detail: json!({"action": action, "state": state, "reason": reason}) };
    Some((next, event))
}
