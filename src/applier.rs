//! The applier: the task that turns stored deliveries into tickets.
//!
//! It wakes when the intake rings (a delivery was committed), at start, and
//! once a second for the kitchen's clock rules. Each time it takes the
//! pending deliveries in arrival order and applies every order of each one
//! (deliveries may batch several orders) through the kitchen rules. The
//! store commits each delivery's ticket changes together with its `applied`
//! mark, so after a crash the applier resumes with exactly the deliveries
//! that were not applied, and none is applied twice. A delivery whose orders
//! cannot be decoded is marked unprocessable with the reason, never dropped.
//!
//! After each commit it raises `Alert::NewOrder` / `Alert::Cancelled`; the
//! store itself broadcasts the ticket changes to the live stream.
//!
//! It never answers HTTP and never runs SQL itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::alert::{Alert, Alerts, TicketAlert};
use crate::kitchen::{Kitchen, Notice, Ticket};
use crate::klikit::{decode_orders, Order, OrderError};
use crate::shutdown::Shutdown;
use crate::store::{ApplyError, DeliveryApplied, StoreError, StoredDelivery, Store, TicketTx};

/// Deliveries applied per write job. Small on purpose: the store has one
/// writer, and an intake commit queued behind a long apply job waits for all
/// of it. A smaller job gives faster acks under load at the same overall
/// apply rate; the cost is that in an overload burst the board trails the
/// acks. The measurements (256 per job against 32) are in `bench/RESULTS.md`
/// ("Profile: where the time goes at concurrency 64"; `BENCH_ONLY=64 bench/run
/// sidebyside`).
const BATCH: usize = 32;
/// How often the clock rules run (self-test and scheduled tickets).
const TICK: Duration = Duration::from_secs(1);
/// Pause after a storage error before trying again.
const RETRY: Duration = Duration::from_millis(500);

/// How often a failure that goes on (a read-only database fails the clock
/// rules every second) is logged again while it lasts.
const COMPLAINT_EVERY: Duration = Duration::from_secs(60);

/// One kind of repeating failure and when it was last logged: the first
/// failure is logged at once, a lasting one once a minute with how many
/// times it failed, and its end once. Time is passed in.
struct Complaint {
    what: &'static str,
    /// Failures since the last success, and when the last log line was written.
    failing: Option<(u64, std::time::Instant)>,
}

impl Complaint {
    fn new(what: &'static str) -> Complaint {
        Complaint { what, failing: None }
    }

    /// Counts a failure at `now`; `Some(times failed so far)` when it should be logged.
    fn failed(&mut self, now: std::time::Instant) -> Option<u64> {
        match &mut self.failing {
            None => {
                self.failing = Some((1, now));
                Some(1)
            }
            Some((times, logged)) => {
                *times += 1;
                if now.duration_since(*logged) < COMPLAINT_EVERY {
                    return None;
                }
                *logged = now;
                Some(*times)
            }
        }
    }

    /// A success: logs once that a failure has ended.
    fn cleared(&mut self) {
        if let Some((times, _)) = self.failing.take() {
            tracing::info!(times, what = self.what, "applier: working again after failures");
        }
    }
}

/// The applier's handles.
#[derive(Clone)]
pub struct Applier {
    store: Store,
    kitchen: Arc<Kitchen>,
    alerts: Alerts,
    wake: Arc<Notify>,
}

impl Applier {
    /// `wake` is the bell the intake rings after each committed delivery.
    pub fn new(store: Store, kitchen: Arc<Kitchen>, alerts: Alerts, wake: Arc<Notify>) -> Applier {
        Applier { store, kitchen, alerts, wake }
    }

    /// Runs until `shutdown` turns true.
    pub fn spawn(self, mut shutdown: Shutdown) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut next_tick = tokio::time::Instant::now();
            let (mut draining, mut ticking) = (Complaint::new("applying deliveries"), Complaint::new("the clock rules"));
            loop {
                match self.drain().await {
                    Ok(()) => draining.cleared(),
                    Err(e) => {
                        if let Some(times) = draining.failed(std::time::Instant::now()) {
                            tracing::error!(error = %e, times, "applier: storage error; retrying");
                        }
                        tokio::time::sleep(RETRY).await;
                    }
                }
                if tokio::time::Instant::now() >= next_tick {
                    let now = OffsetDateTime::now_utc();
                    let kitchen = self.kitchen.clone();
                    match self.store.tick_tickets(now, move |r| kitchen.tick(r, now)).await {
                        Ok(_) => ticking.cleared(),
                        Err(e) => {
                            if let Some(times) = ticking.failed(std::time::Instant::now()) {
                                tracing::error!(error = %e, times, "applier: clock rules failed");
                            }
                        }
                    }
                    next_tick = tokio::time::Instant::now() + TICK;
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep_until(next_tick) => {}
                    _ = shutdown.wait() => break,
                }
            }
        })
    }

    /// Applies every pending delivery, oldest first.
    pub async fn drain(&self) -> Result<(), StoreError> {
        let mut after = 0;
        loop {
            let batch = self.store.pending_deliveries(after, BATCH).await?;
            let Some(last) = batch.last().map(|d| d.seq) else { return Ok(()) };
            let count = batch.len();
            let results = apply_stored(&self.store, &self.kitchen, batch, AppliedAt::Time(OffsetDateTime::now_utc())).await?;
            let stopped_early = results.len() < count;
            for result in results {
                match result {
                    DeliveryApplied::Applied { outcome, .. } => self.announce(outcome),
                    DeliveryApplied::Unprocessable { seq, reason } => {
                        tracing::warn!(seq, %reason, "applier: delivery is unprocessable");
                    }
                    DeliveryApplied::Skipped { .. } => {}
                }
            }
            if stopped_early {
                return Err(StoreError::Internal("a delivery could not be applied; it stays pending".into()));
            }
            after = last;
        }
    }

    fn announce(&self, notices: Vec<(Notice, Ticket)>) {
        for (notice, t) in notices {
            let alert = TicketAlert {
                order_id: t.order_id.clone(),
                short_id: t.short_id.clone(),
                brand: t.brand.as_ref().and_then(|b| b.title.clone()),
                item_count: t.item_count,
                order_type: t.order_type.as_str().to_string(),
                table_no: t.table_no.clone(),
            };
            self.alerts.raise(match notice {
                Notice::NewOrder => Alert::NewOrder(alert),
                Notice::Cancelled => Alert::Cancelled(alert),
            });
        }
    }
}

/// The moment the kitchen rules take as "now" for a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliedAt {
    /// One moment for the whole batch: the applier's clock.
    Time(OffsetDateTime),
    /// Each delivery at the moment it was received: rebuilding a kitchen's
    /// history (benchmarks, tests on a known data set).
    WhenReceived,
}

/// Applies a batch of stored deliveries, in order, through the kitchen
/// rules, in one write job of the store (see [`Store::apply_deliveries`]).
/// Decoding needs no database, so the bodies are decoded first, on the
/// blocking pool, not on the store's single writer thread that every
/// delivery waits for. Answers what each delivery did, with the notices the
/// applied ones raise.
pub async fn apply_stored(
    store: &Store,
    kitchen: &Arc<Kitchen>,
    batch: Vec<StoredDelivery>,
    at: AppliedAt,
) -> Result<Vec<DeliveryApplied<Vec<(Notice, Ticket)>>>, StoreError> {
    let (batch, mut decoded) = tokio::task::spawn_blocking(move || {
        let decoded: HashMap<i64, Result<Vec<Order>, OrderError>> = batch.iter().map(|d| (d.seq, decode_orders(&d.body))).collect();
        (batch, decoded)
    })
    .await
    .map_err(|e| StoreError::Internal(format!("decoding task failed: {e}")))?;
    // The `applied_at` stamp: the batch's moment, or its last arrival.
    let stamp = match at {
        AppliedAt::Time(t) => t,
        AppliedAt::WhenReceived => batch.last().map_or(OffsetDateTime::UNIX_EPOCH, |d| d.received_at),
    };
    let kitchen = kitchen.clone();
    store
        .apply_deliveries(batch, stamp, move |d, tx| {
            let orders = decoded.remove(&d.seq).unwrap_or_else(|| decode_orders(&d.body));
            let now = match at {
                AppliedAt::Time(t) => t,
                AppliedAt::WhenReceived => d.received_at,
            };
            apply_delivery(&kitchen, d, orders, tx, now)
        })
        .await
}

/// Applies every order of one delivery. Runs inside the store's write job.
/// `orders` is the delivery's body, decoded.
fn apply_delivery(
    kitchen: &Kitchen,
    d: &StoredDelivery,
    orders: Result<Vec<Order>, OrderError>,
    tx: &mut TicketTx<'_>,
    now: OffsetDateTime,
) -> Result<Vec<(Notice, Ticket)>, ApplyError> {
    let orders = orders.map_err(|e| ApplyError::Unprocessable(e.to_string()))?;
    let mut notices = Vec::new();
    for order in &orders {
        let existing = tx.record(&order.id)?;
        let mut applied = kitchen.apply(existing.as_ref(), order, now);
        for e in &mut applied.events {
            if let Some(detail) = e.detail.as_object_mut() {
                detail.insert("event_type".into(), d.event_type.clone().into());
                detail.insert("event_id".into(), d.event_id.clone().into());
            }
        }
        if applied.changed {
            tx.save(&applied.record, &applied.events)?;
        } else {
            tx.log(&order.id, &applied.events)?;
        }
        notices.extend(applied.notices.iter().map(|n| (*n, applied.record.ticket.clone())));
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_lasting_failure_is_logged_once_a_minute_not_every_second() {
        let start = Instant::now();
        let mut c = Complaint::new("the clock rules");
        assert_eq!(c.failed(start), Some(1), "the first failure is logged at once");
        let logged: Vec<u64> = (1..=130).filter_map(|s| c.failed(start + Duration::from_secs(s))).collect();
        assert_eq!(logged, vec![61, 121], "130 more failures a second apart are logged twice, each with the count so far");
        c.cleared();
        assert_eq!(c.failed(start + Duration::from_secs(131)), Some(1), "after a success, a new failure is logged at once and counted afresh");
    }
}
