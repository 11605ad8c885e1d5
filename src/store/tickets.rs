//! Tickets, their append-only event log, and the change feed.
//!
//! Every change to a ticket is one write job: the ticket row, its log
//! entries, and a `ticket_changes` row with the next `seq`, committed
//! together. Applying a delivery adds the inbox row's `applied` mark to the
//! same job, so a delivery is applied exactly once (the mark is conditional
//! on the row still being pending). Once the transaction has committed, the
//! changes are broadcast in `seq` order to [`Store::subscribe_changes`]; the
//! writer thread does that, so the order on the channel is the commit order.
//!
//! The rules themselves come from `kitchen`, passed in as closures: this
//! file stores what they decide and never decides.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;
use tokio::sync::broadcast;

use super::inbox::StoredDelivery;
use super::{run_cached, AfterCommit, Durability, Store, StoreError};
use crate::kitchen::{Event, Record, Ticket};

/// Changes a slow subscriber may fall behind by before it must re-read.
pub(super) const CHANGE_CHANNEL_CAPACITY: usize = 4096;
/// Changes kept in the feed table; a screen further behind gets a snapshot.
pub const CHANGES_KEPT: i64 = 10_000;

/// One committed ticket change.
#[derive(Debug, Clone)]
pub struct TicketChange {
    pub seq: i64,
    /// The whole ticket after the change.
    pub ticket: Arc<Ticket>,
}

/// An entry of the ticket log, as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TicketEvent {
    pub id: i64,
    pub order_id: String,
    pub at: String,
    pub source: String,
    pub kind: String,
    pub detail: serde_json::Value,
    pub delivery_seq: Option<i64>,
}

/// Why one delivery was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// It can never be applied; it is marked so, with this reason.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// Storage failed; the delivery stays pending and is retried.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What became of one delivery in [`Store::apply_deliveries`].
#[derive(Debug)]
pub enum DeliveryApplied<N> {
    Applied { seq: i64, outcome: N },
    Unprocessable { seq: i64, reason: String },
    /// Already applied (or no longer pending): nothing was done.
    Skipped { seq: i64 },
}

/// The ticket side of one write job: read records, save them with their log
/// entries and a change-feed row.
pub struct TicketTx<'c> {
    conn: &'c Connection,
    delivery_seq: Option<i64>,
    changes: Vec<TicketChange>,
    /// Which printers print this change: its jobs join the same transaction.
    print_plan: Option<super::PrintPlan>,
}

pub(super) fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).expect("an OffsetDateTime always formats as RFC 3339")
}

pub(super) fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Sqlite(format!("stored JSON unreadable: {e}"))
}

impl<'c> TicketTx<'c> {
    fn new(conn: &'c Connection, print_plan: Option<super::PrintPlan>) -> Self {
        TicketTx { conn, delivery_seq: None, changes: Vec::new(), print_plan }
    }

    /// The job's connection, for the store's other tables in the same
    /// transaction (the outbox).
    pub(super) fn conn(&self) -> &'c Connection {
        self.conn
    }

    /// The kitchen's record of an order, if it has one.
    pub fn record(&self, order_id: &str) -> Result<Option<Record>, StoreError> {
        let text: Option<String> =
            self.conn.prepare_cached("SELECT record FROM tickets WHERE order_id = ?1")?.query_row([order_id], |r| r.get(0)).optional()?;
        text.map(|t| serde_json::from_str(&t).map_err(json_err)).transpose()
    }

    /// Saves a changed record with its log entries, and appends the change
    /// to the feed.
    pub fn save(&mut self, record: &Record, events: &[Event]) -> Result<(), StoreError> {
        let t = &record.ticket;
        let ticket_json = serde_json::to_string(t).map_err(json_err)?;
        let seq: i64 = self
            .conn
            .prepare_cached("INSERT INTO ticket_changes (order_id, at, ticket) VALUES (?1, ?2, ?3) RETURNING seq")?
            .query_row(params![t.order_id, rfc3339(t.updated_at), ticket_json], |r| r.get(0))?;
        self.conn
            .prepare_cached(
                "INSERT INTO tickets (order_id, record, \"column\", open, column_since, due_at, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (order_id) DO UPDATE SET record = excluded.record, \"column\" = excluded.\"column\", open = excluded.open,
                    column_since = excluded.column_since, due_at = excluded.due_at, seq = excluded.seq",
            )?
            .execute(params![
                t.order_id,
                serde_json::to_string(record).map_err(json_err)?,
                t.column.as_str(),
                t.open,
                ms(t.column_since),
                record.due_at().map(ms),
                seq
            ])?;
        self.log(&t.order_id, events)?;
        if let Some(brand) = &t.brand {
            super::stations::saw_brand(self.conn, brand, t.updated_at)?;
        }
        if let Some(plan) = &self.print_plan {
            super::print_jobs::write_planned(self.conn, t, &ticket_json, &plan(t, events), t.updated_at)?;
        }
        self.changes.push(TicketChange { seq, ticket: Arc::new(t.clone()) });
        Ok(())
    }

    /// Appends log entries without changing the ticket (a stale or
    /// duplicate snapshot, say).
    pub fn log(&mut self, order_id: &str, events: &[Event]) -> Result<(), StoreError> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO ticket_events (order_id, at, source, kind, detail, delivery_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for e in events {
            insert.execute(params![order_id, rfc3339(e.at), e.source.as_str(), e.kind.as_str(), e.detail.to_string(), self.delivery_seq])?;
        }
        Ok(())
    }
}

/// The result of a job that changed tickets: its own answer, and the changes
/// to broadcast once committed.
struct Changed<R> {
    answer: R,
    changes: Vec<TicketChange>,
}

/// The message a panic was raised with, when it has one.
pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "panic".into())
}

impl Store {
    /// Committed ticket changes from now on, in `seq` order. A receiver that
    /// lags gets `RecvError::Lagged` and should re-read with
    /// [`Store::changes_since`].
    pub fn subscribe_changes(&self) -> broadcast::Receiver<TicketChange> {
        self.inner.changes.subscribe()
    }

    /// Runs a ticket job and broadcasts its changes after the commit.
    pub(super) async fn change_tickets<R, F>(&self, durability: Durability, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut TicketTx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        let sender = self.inner.changes.clone();
        let print_plan = self.print_plan();
        let publish: AfterCommit<Changed<R>> = Box::new(move |done: &Changed<R>| {
            for change in &done.changes {
                let _ = sender.send(change.clone());
            }
        });
        let done = self
            .write_then(
                move |conn| {
                    let mut tx = TicketTx::new(conn, print_plan);
                    let answer = f(&mut tx)?;
                    Ok(Changed { answer, changes: tx.changes })
                },
                Some(publish),
                durability,
            )
            .await?;
        Ok(done.answer)
    }

    /// Applies deliveries in the order given, in one write job, each in its
    /// own savepoint: a delivery's ticket changes, log entries and its
    /// `applied` mark commit together or not at all. `apply` is called once
    /// per delivery that is still pending. A delivery it finds unprocessable
    /// is marked so with the reason; on a storage error the job stops there
    /// and the rest stay pending.
    pub async fn apply_deliveries<N, F>(&self, deliveries: Vec<StoredDelivery>, now: OffsetDateTime, mut apply: F) -> Result<Vec<DeliveryApplied<N>>, StoreError>
    where
        N: Send + 'static,
        F: FnMut(&StoredDelivery, &mut TicketTx<'_>) -> Result<N, ApplyError> + Send + 'static,
    {
        self.change_tickets(Durability::Derived, move |tx| {
            let mut results = Vec::with_capacity(deliveries.len());
            for d in &deliveries {
                run_cached(tx.conn, "SAVEPOINT delivery")?;
                let marked = tx
                    .conn
                    .prepare_cached("UPDATE inbox SET state = 'applied', applied_at = ?2 WHERE seq = ?1 AND state = 'pending'")?
                    .execute(params![d.seq, rfc3339(now)])?;
                if marked == 0 {
                    run_cached(tx.conn, "RELEASE delivery")?;
                    results.push(DeliveryApplied::Skipped { seq: d.seq });
                    continue;
                }
                let kept = tx.changes.len();
                tx.delivery_seq = Some(d.seq);
                // One delivery must never stop the pipeline: a panic while
                // applying it (a bug) marks it unprocessable, like a body
                // that cannot be decoded, and the next one goes on.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply(d, tx)))
                    .unwrap_or_else(|panic| Err(ApplyError::Unprocessable(format!("applying it failed (a kds bug, see the log): {}", panic_message(&*panic)))));
                tx.delivery_seq = None;
                match result {
                    Ok(outcome) => {
                        run_cached(tx.conn, "RELEASE delivery")?;
                        results.push(DeliveryApplied::Applied { seq: d.seq, outcome });
                    }
                    Err(ApplyError::Unprocessable(reason)) => {
                        run_cached(tx.conn, "ROLLBACK TO delivery")?;
                        tx.changes.truncate(kept);
                        tx.conn
                            .prepare_cached("UPDATE inbox SET state = 'unprocessable', reason = ?2 WHERE seq = ?1")?
                            .execute(params![d.seq, reason])?;
                        run_cached(tx.conn, "RELEASE delivery")?;
                        results.push(DeliveryApplied::Unprocessable { seq: d.seq, reason });
                    }
                    // SQLite rolled the whole transaction back (a full disk):
                    // nothing of this job is left to keep; the writer answers it.
                    Err(ApplyError::Store(e)) if tx.conn.is_autocommit() => return Err(e),
                    Err(ApplyError::Store(e)) => {
                        tx.conn.execute_batch("ROLLBACK TO delivery; RELEASE delivery")?;
                        tx.changes.truncate(kept);
                        tracing::error!(error = %e, seq = d.seq, "store: applying a delivery failed; it stays pending");
                        break;
                    }
                }
            }
            Ok(results)
        })
        .await
    }

    /// Changes one ticket in one write job: `f` gets the current record and
    /// returns the new one with its log entry, or refuses. `Ok(None)`: no
    /// such ticket.
    pub async fn update_ticket<E, F>(&self, order_id: &str, f: F) -> Result<Option<Result<Ticket, E>>, StoreError>
    where
        E: Send + 'static,
        F: FnOnce(&Record) -> Result<(Record, Event), E> + Send + 'static,
    {
        let order_id = order_id.to_owned();
        self.change_tickets(Durability::Synced, move |tx| {
            let Some(record) = tx.record(&order_id)? else { return Ok(None) };
            Ok(Some(match f(&record) {
                Ok((next, event)) => {
                    tx.save(&next, &[event])?;
                    Ok(next.ticket)
                }
                Err(e) => Err(e),
            }))
        })
        .await
    }

    /// Applies the clock rules to every ticket due by `now`, and prunes the
    /// change feed. Returns how many tickets changed.
    pub async fn tick_tickets<F>(&self, now: OffsetDateTime, mut rule: F) -> Result<usize, StoreError>
    where
        F: FnMut(&Record) -> Option<(Record, Event)> + Send + 'static,
    {
        self.change_tickets(Durability::Derived, move |tx| {
            let due: Vec<String> = tx
                .conn
                .prepare_cached("SELECT order_id FROM tickets WHERE due_at IS NOT NULL AND due_at <= ?1")?
                .query_map([ms(now)], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut changed = 0;
            for order_id in due {
                let Some(record) = tx.record(&order_id)? else { continue };
                if let Some((next, event)) = rule(&record) {
                    tx.save(&next, &[event])?;
                    changed += 1;
                }
            }
            tx.conn
                .prepare_cached("DELETE FROM ticket_changes WHERE seq <= (SELECT max(seq) FROM ticket_changes) - ?1")?
                .execute([CHANGES_KEPT])?;
            Ok(changed)
        })
        .await
    }

    /// The open tickets (the board), oldest change first, with the feed's
    /// `seq` they are current as of. Read in one transaction.
    pub async fn open_tickets(&self) -> Result<(i64, Vec<Ticket>), StoreError> {
        self.read(|c| {
            c.execute_batch("BEGIN")?;
            let result = (|| {
                let seq = latest_seq(c)?;
                let tickets = tickets_where(c, "WHERE open = 1 ORDER BY seq", params![])?;
                Ok((seq, tickets))
            })();
            c.execute_batch("COMMIT")?;
            result
        })
        .await
    }

    /// One ticket, in any column.
    pub async fn ticket(&self, order_id: &str) -> Result<Option<Ticket>, StoreError> {
        let order_id = order_id.to_owned();
        self.read(move |c| Ok(tickets_where(c, "WHERE order_id = ?1", params![order_id])?.pop())).await
    }

    /// Done tickets that went done at or after `since`, newest first.
    pub async fn done_tickets(&self, since: OffsetDateTime, limit: usize) -> Result<Vec<Ticket>, StoreError> {
        self.read(move |c| {
            tickets_where(c, "WHERE \"column\" = 'done' AND column_since >= ?1 ORDER BY column_since DESC LIMIT ?2", params![ms(since), limit as i64])
        })
        .await
    }

    /// The changes after `seq`, oldest first, if the feed still holds all
    /// of them and there are at most `limit`; `None` when the caller is too
    /// far behind (or ahead) and needs a snapshot.
    pub async fn changes_since(&self, seq: i64, limit: usize) -> Result<Option<Vec<TicketChange>>, StoreError> {
        self.read(move |c| {
            c.execute_batch("BEGIN")?;
            let result = (|| {
                let (oldest, latest): (Option<i64>, Option<i64>) =
                    c.query_row("SELECT min(seq), max(seq) FROM ticket_changes", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let latest = latest.unwrap_or(0);
                if seq > latest || (seq < latest && oldest.is_some_and(|o| seq < o - 1)) || latest - seq > limit as i64 {
                    return Ok(None);
                }
                let rows = c
                    .prepare_cached("SELECT seq, ticket FROM ticket_changes WHERE seq > ?1 ORDER BY seq")?
                    .query_map([seq], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.into_iter()
                    .map(|(seq, json)| Ok(TicketChange { seq, ticket: Arc::new(serde_json::from_str(&json).map_err(json_err)?) }))
                    .collect::<Result<Vec<_>, StoreError>>()
                    .map(Some)
            })();
            c.execute_batch("COMMIT")?;
            result
        })
        .await
    }

    /// The log of one ticket, oldest first.
    pub async fn ticket_events(&self, order_id: &str) -> Result<Vec<TicketEvent>, StoreError> {
        let order_id = order_id.to_owned();
        self.read(move |c| events_of(c, &order_id)).await
    }

    /// When the oldest delivery still waiting for the kitchen arrived.
    pub async fn oldest_pending_received_at(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        self.read(|c| {
            let at: Option<String> = c
                .query_row("SELECT received_at FROM inbox WHERE state = 'pending' ORDER BY seq LIMIT 1", [], |r| r.get(0))
                .optional()?;
            Ok(at.and_then(|s| OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339).ok()))
        })
        .await
    }
}

/// The log of one ticket, oldest first.
pub(super) fn events_of(c: &Connection, order_id: &str) -> Result<Vec<TicketEvent>, StoreError> {
    let rows = c
        .prepare_cached("SELECT id, order_id, at, source, kind, detail, delivery_seq FROM ticket_events WHERE order_id = ?1 ORDER BY id")?
        .query_map([order_id], |r| {
            Ok(TicketEvent {
                id: r.get(0)?,
                order_id: r.get(1)?,
                at: r.get(2)?,
                source: r.get(3)?,
                kind: r.get(4)?,
                detail: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or(serde_json::Value::Null),
                delivery_seq: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn latest_seq(c: &Connection) -> Result<i64, StoreError> {
    // sqlite_sequence keeps the number even when the feed has been pruned.
    Ok(c.query_row("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'ticket_changes'), 0)", [], |r| r.get(0))?)
}

fn tickets_where(c: &Connection, clause: &str, params: impl rusqlite::Params) -> Result<Vec<Ticket>, StoreError> {
    let sql = format!("SELECT record FROM tickets {clause}");
    let texts = c.prepare_cached(&sql)?.query_map(params, |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    texts.iter().map(|t| serde_json::from_str::<Record>(t).map(|r| r.ticket).map_err(json_err)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::{Action, Kitchen};
    use crate::klikit::decode_orders;
    use crate::store::{DeliveryState, NewDelivery, StoreOptions};

    fn delivery(id: &str, body: &[u8]) -> NewDelivery {
        NewDelivery {
            event_id: id.into(),
            event_type: "klikit.order.created.v2".into(),
            body: body.to_vec(),
            body_sha256: crate::klikit::body_sha256(body),
            headers: serde_json::json!({}),
            received_at: OffsetDateTime::now_utc(),
            unprocessable: None,
        }
    }

    #[tokio::test]
    async fn a_panic_applying_one_delivery_marks_it_unprocessable_and_the_next_is_applied() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        for (id, order) in [("poison", 1), ("fine", 2)] {
            let body = serde_json::to_vec(&serde_json::json!({"orders": [{"id": order, "status": 1}]})).unwrap();
            store.insert_delivery(delivery(id, &body)).await.unwrap();
        }
        let pending = store.pending_deliveries(0, 100).await.unwrap();
        let kitchen = Kitchen::default();
        let now = OffsetDateTime::now_utc();
        let results = store
            .apply_deliveries(pending, now, move |d, tx| {
                let o = &decode_orders(&d.body).unwrap()[0];
                let applied = kitchen.apply(tx.record(&o.id)?.as_ref(), o, now);
                tx.save(&applied.record, &applied.events)?;
                if d.event_id == "poison" {
                    panic!("injected: a bug met while applying this delivery");
                }
                Ok(())
            })
            .await
            .expect("a panic in one delivery must not fail the write job");
        assert_eq!(results.len(), 2, "the delivery after the panicking one is applied in the same pass");
        let poison = store.delivery("poison").await.unwrap().unwrap();
        assert_eq!(poison.state, DeliveryState::Unprocessable);
        assert!(poison.reason.as_deref().unwrap().contains("injected"), "the reason says what happened: {:?}", poison.reason);
        assert!(store.ticket("1").await.unwrap().is_none(), "what the panicking delivery wrote is rolled back");
        assert_eq!(store.delivery("fine").await.unwrap().unwrap().state, DeliveryState::Applied);
        assert!(store.ticket("2").await.unwrap().is_some());
        store.insert_delivery(delivery("later", b"{}")).await.expect("the writer thread is still alive");
        store.close();
    }

    async fn apply_pending(store: &Store, kitchen: &Kitchen) -> Vec<DeliveryApplied<usize>> {
        let pending = store.pending_deliveries(0, 100).await.unwrap();
        let kitchen = kitchen.clone();
        let now = OffsetDateTime::now_utc();
        store
            .apply_deliveries(pending, now, move |d, tx| {
                let orders = decode_orders(&d.body).map_err(|e| ApplyError::Unprocessable(e.to_string()))?;
                for o in &orders {
                    let applied = kitchen.apply(tx.record(&o.id)?.as_ref(), o, now);
                    if applied.changed {
                        tx.save(&applied.record, &applied.events)?;
                    } else {
                        tx.log(&o.id, &applied.events)?;
                    }
                }
                Ok(orders.len())
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_delivery_is_applied_once_with_its_log_and_feed_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let mut changes = store.subscribe_changes();
        store.insert_delivery(delivery("e1", include_bytes!("../../tests/fixtures/04-order-created-batched.json"))).await.unwrap();
        store.insert_delivery(delivery("e2", b"{\"orders\":[{\"no_id\":1}]}")).await.unwrap();
        let kitchen = Kitchen::default();
        let results = apply_pending(&store, &kitchen).await;
        assert!(matches!(results[0], DeliveryApplied::Applied { outcome: 2, .. }), "both orders of the batch are applied: {results:?}");
        assert!(matches!(&results[1], DeliveryApplied::Unprocessable { reason, .. } if reason.contains("id")), "{results:?}");
        assert_eq!(store.delivery("e2").await.unwrap().unwrap().state, crate::store::DeliveryState::Unprocessable, "never dropped");
        let (seq, open) = store.open_tickets().await.unwrap();
        assert_eq!((seq, open.len()), (2, 2));
        let (a, b) = (changes.recv().await.unwrap(), changes.recv().await.unwrap());
        assert_eq!((a.seq, b.seq), (1, 2), "changes are broadcast in seq order after the commit");
        assert!(store.pending_deliveries(0, 10).await.unwrap().is_empty());
        let again = store.apply_deliveries(vec![store.delivery("e1").await.unwrap().unwrap()], OffsetDateTime::now_utc(), |_, _| Ok(0usize)).await.unwrap();
        assert!(matches!(again[0], DeliveryApplied::Skipped { .. }), "an applied delivery is never applied again");
        let events = store.ticket_events("8120610").await.unwrap();
        assert_eq!((events[0].kind.as_str(), events[0].source.as_str(), events[0].delivery_seq), ("received", "klikit", Some(1)));
    }

    #[tokio::test]
    async fn screen_updates_and_change_feed_resume() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        store.insert_delivery(delivery("e1", include_bytes!("../../tests/fixtures/01-order-created-single.json"))).await.unwrap();
        let kitchen = Kitchen::default();
        apply_pending(&store, &kitchen).await;
        let k = kitchen.clone();
        let bumped = store.update_ticket("8120457", move |r| k.act(r, Action::Bump, None, OffsetDateTime::now_utc())).await.unwrap();
        assert_eq!(bumped.unwrap().unwrap().column.as_str(), "preparing");
        assert!(store.update_ticket("nope", |_| Err::<(Record, Event), ()>(())).await.unwrap().is_none());
        let since_1 = store.changes_since(1, 100).await.unwrap().expect("seq 1 is within the feed");
        assert_eq!(since_1.iter().map(|c| c.seq).collect::<Vec<_>>(), [2]);
        assert_eq!(store.changes_since(2, 100).await.unwrap().map(|c| c.len()), Some(0), "up to date: nothing missed");
        assert!(store.changes_since(99, 100).await.unwrap().is_none(), "a seq from the future needs a snapshot");
        assert!(store.changes_since(0, 1).await.unwrap().is_none(), "too far behind needs a snapshot");
    }
}
