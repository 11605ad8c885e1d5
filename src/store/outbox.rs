//! The status outbox: every action klikit must learn about, as a row written
//! in the same transaction as the ticket change that caused it, and the
//! sender's reads and marks.
//!
//! A row's idempotency key is fixed when it is written and never changes,
//! so a retry or a restart sends the same key. Marking a row also updates
//! the ticket's sync line in the same transaction, so every screen sees the
//! change on the live stream. The rules (what to send, what an answer
//! means) come from `kitchen` and `partner`; this file only stores.

use rusqlite::{params, Connection, OptionalExtension, Row};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Store, StoreError, TicketTx};
use crate::kitchen::{Event, KlikitAction, Record, Ticket};

pub use crate::kitchen::SyncState as OutboxState;

/// A row to write.
#[derive(Debug, Clone)]
pub struct NewOutboxRow {
    pub order_id: String,
    pub action: KlikitAction,
    pub reason_code: Option<String>,
    pub idempotency_key: String,
    pub occurred_at: OffsetDateTime,
}

/// A row as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub order_id: String,
    pub action: KlikitAction,
    pub reason_code: Option<String>,
    /// Never sent to screens (it is not a secret, but it is klikit's business).
    #[serde(skip)]
    pub idempotency_key: String,
    pub occurred_at: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub klikit_updated_at: Option<String>,
    pub request_id: Option<String>,
    pub changed_at: String,
}

/// How many rows stand where, for health and the header chip.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OutboxCounts {
    pub waiting: i64,
    pub failed: i64,
    pub sent: i64,
    /// When the oldest failed row failed.
    pub failing_since: Option<String>,
}

const COLUMNS: &str = "id, order_id, action, reason_code, idempotency_key, occurred_at, state, attempts, last_error, klikit_updated_at, request_id, changed_at";

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("an OffsetDateTime always formats as RFC 3339")
}

fn row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    let action: String = r.get(2)?;
    let state: String = r.get(6)?;
    Ok(OutboxRow {
        id: r.get(0)?,
        order_id: r.get(1)?,
        action: KlikitAction::parse(&action).unwrap_or(KlikitAction::Accepted),
        reason_code: r.get(3)?,
        idempotency_key: r.get(4)?,
        occurred_at: r.get(5)?,
        state: OutboxState::parse(&state).unwrap_or(OutboxState::Failed),
        attempts: r.get(7)?,
        last_error: r.get(8)?,
        klikit_updated_at: r.get(9)?,
        request_id: r.get(10)?,
        changed_at: r.get(11)?,
    })
}

/// The outbox side of a ticket job: same connection, same transaction.
pub struct OutboxTx<'c> {
    conn: &'c Connection,
    now: OffsetDateTime,
}

impl OutboxTx<'_> {
    /// Writes a waiting row; returns its id.
    pub fn insert(&self, r: &NewOutboxRow) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "INSERT INTO outbox (order_id, action, reason_code, idempotency_key, occurred_at, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            )?
            .query_row(params![r.order_id, r.action.as_str(), r.reason_code, r.idempotency_key, ts(r.occurred_at), ts(self.now)], |r| r.get(0))?)
    }

    /// The newest row of an order for an action, in any state.
    pub fn last(&self, order_id: &str, action: KlikitAction) -> Result<Option<OutboxRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE order_id = ?1 AND action = ?2 ORDER BY id DESC LIMIT 1"))?
            .query_row(params![order_id, action.as_str()], row)
            .optional()?)
    }

    /// Cancels a waiting row (a recall before the send). True if it was
    /// still waiting.
    pub fn cancel(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("UPDATE outbox SET state = 'cancelled', changed_at = ?2 WHERE id = ?1 AND state = 'waiting'")?
            .execute(params![id, ts(self.now)])?
            == 1)
    }
}

/// How the sender marks a row once klikit has answered.
#[derive(Debug, Clone)]
pub struct OutboxMark {
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub klikit_updated_at: Option<String>,
    pub request_id: Option<String>,
}

impl Store {
    /// Changes one ticket and writes or cancels outbox rows in the same
    /// transaction. `f` gets the current record and the outbox; it returns
    /// the new record with its log entry, or refuses. `Ok(None)`: no such
    /// ticket.
    pub async fn update_ticket_with_outbox<E, F>(&self, order_id: &str, now: OffsetDateTime, f: F) -> Result<Option<Result<Ticket, E>>, StoreError>
    where
        E: Send + 'static,
        F: FnOnce(&Record, &OutboxTx<'_>) -> Result<Result<(Record, Event), E>, StoreError> + Send + 'static,
    {
        let order_id = order_id.to_owned();
        self.change_tickets(super::Durability::Synced, move |tx: &mut TicketTx<'_>| {
            let Some(record) = tx.record(&order_id)? else { return Ok(None) };
            let outbox = OutboxTx { conn: tx.conn(), now };
            Ok(Some(match f(&record, &outbox)? {
                Ok((next, event)) => {
                    tx.save(&next, &[event])?;
                    Ok(next.ticket)
                }
                Err(e) => Err(e),
            }))
        })
        .await
    }

    /// Waiting rows, oldest first.
    pub async fn outbox_waiting(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE state = 'waiting' ORDER BY id LIMIT ?1"))?
                .query_map([limit as i64], row)?
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    /// One row.
    pub async fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>, StoreError> {
        self.read(move |c| Ok(c.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))?.query_row([id], row).optional()?)).await
    }

    /// Every row of one order, oldest first.
    pub async fn outbox_for(&self, order_id: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let order_id = order_id.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE order_id = ?1 ORDER BY id"))?.query_map([order_id], row)?.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// Counts for health and the header chip.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        self.read(|c| {
            let (waiting, failed, sent, failing_since) = c.query_row(
                "SELECT coalesce(sum(state = 'waiting'), 0), coalesce(sum(state = 'failed'), 0), coalesce(sum(state = 'sent'), 0),
                        min(CASE WHEN state = 'failed' THEN changed_at END) FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            Ok(OutboxCounts { waiting, failed, sent, failing_since })
        })
        .await
    }

    /// Marks a row (only one still `waiting`, or `failed` for a person's
    /// retry) and updates its ticket's sync line with `sync`, in one
    /// transaction. Returns false if the row had moved on (a recall
    /// cancelled it meanwhile).
    pub async fn outbox_mark<F>(&self, id: i64, mark: OutboxMark, now: OffsetDateTime, sync: F) -> Result<bool, StoreError>
    where
        F: FnOnce(&Record) -> Option<(Record, Event)> + Send + 'static,
    {
        self.change_tickets(super::Durability::Synced, move |tx: &mut TicketTx<'_>| {
            let order_id: Option<String> = tx
                .conn()
                .prepare_cached(
                    "UPDATE outbox SET state = ?2, attempts = ?3, last_error = ?4, klikit_updated_at = coalesce(?5, klikit_updated_at),
                        request_id = coalesce(?6, request_id), changed_at = ?7
                     WHERE id = ?1 AND state IN ('waiting', 'failed') RETURNING order_id",
                )?
                .query_row(
                    params![id, mark.state.as_str(), mark.attempts, mark.last_error, mark.klikit_updated_at, mark.request_id, ts(now)],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(order_id) = order_id else { return Ok(false) };
            if let Some(record) = tx.record(&order_id)? {
                if let Some((next, event)) = sync(&record) {
                    tx.save(&next, &[event])?;
                }
            }
            Ok(true)
        })
        .await
    }

    /// Counts a try without changing the state.
    pub async fn outbox_attempted(&self, id: i64, attempts: i64, error: Option<String>) -> Result<(), StoreError> {
        self.write(move |c| {
            c.prepare_cached("UPDATE outbox SET attempts = ?2, last_error = ?3 WHERE id = ?1")?.execute(params![id, attempts, error])?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::{Action, Kitchen};
    use crate::store::{NewDelivery, StoreOptions};

    #[tokio::test]
    async fn a_bump_and_its_outbox_row_commit_together_and_a_recall_cancels_a_waiting_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let body = include_bytes!("../../tests/fixtures/01-order-created-single.json");
        store
            .insert_delivery(NewDelivery {
                event_id: "e1".into(),
                event_type: "klikit.order.created.v2".into(),
                body: body.to_vec(),
                body_sha256: crate::klikit::body_sha256(body),
                headers: serde_json::json!({}),
                received_at: OffsetDateTime::now_utc(),
                unprocessable: None,
            })
            .await
            .unwrap();
        let kitchen = Kitchen::default();
        let k = kitchen.clone();
        let now = OffsetDateTime::now_utc();
        store
            .apply_deliveries(store.pending_deliveries(0, 10).await.unwrap(), now, move |d, tx| {
                for o in crate::klikit::decode_orders(&d.body).unwrap() {
                    let a = k.apply(tx.record(&o.id)?.as_ref(), &o, now);
                    tx.save(&a.record, &a.events)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let k = kitchen.clone();
        let failed: Result<Option<Result<Ticket, crate::kitchen::Refusal>>, StoreError> = store
            .update_ticket_with_outbox("8120457", now, move |r, out| {
                out.insert(&NewOutboxRow { order_id: "8120457".into(), action: KlikitAction::Accepted, reason_code: None, idempotency_key: "k1".into(), occurred_at: now })?;
                let _ = k.act(r, Action::Bump, None, now);
                Err::<Result<(Record, Event), crate::kitchen::Refusal>, _>(StoreError::Sqlite("the ticket write fails".into()))
            })
            .await;
        assert!(failed.is_err());
        assert!(store.outbox_waiting(10).await.unwrap().is_empty(), "a ticket change that fails takes its outbox row with it");
        let k = kitchen.clone();
        store
            .update_ticket_with_outbox("8120457", now, move |r, out| {
                out.insert(&NewOutboxRow { order_id: "8120457".into(), action: KlikitAction::Accepted, reason_code: None, idempotency_key: "k2".into(), occurred_at: now })?;
                Ok(k.act(r, Action::Bump, None, now))
            })
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let waiting = store.outbox_waiting(10).await.unwrap();
        assert_eq!((waiting.len(), waiting[0].idempotency_key.as_str()), (1, "k2"), "the bump's row is waiting with its fixed key");
        let id = waiting[0].id;
        store
            .update_ticket_with_outbox("8120457", now, move |r, out| {
                assert!(out.cancel(id)?, "a waiting row can be cancelled");
                Ok(kitchen.act(r, Action::Recall, None, now))
            })
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(store.outbox_row(id).await.unwrap().unwrap().state, OutboxState::Cancelled);
        let marked = store
            .outbox_mark(id, OutboxMark { state: OutboxState::Sent, attempts: 1, last_error: None, klikit_updated_at: None, request_id: None }, now, |_| None)
            .await
            .unwrap();
        assert!(!marked, "a cancelled row is never marked sent afterwards");
        store.close();
    }
}
