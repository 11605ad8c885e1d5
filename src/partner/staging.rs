//! A screen action's outbox side: the rows it writes or cancels, and the
//! card's sync line, decided inside the ticket's own write job so that the
//! ticket change and its outbox row commit together (DESIGN decision 10).
//!
//! What it owns: turning the kitchen's mapping ([`Kitchen::klikit_action`],
//! [`Kitchen::recall_undoes`]) into rows with a fixed idempotency key and
//! the moment of the tap. It never sends anything.

use time::OffsetDateTime;

use crate::kitchen::{Action, Column, Event, Kitchen, KlikitAction, KlikitSync, Record, Refusal, SyncState};
use crate::store::{NewOutboxRow, OutboxTx, StoreError};

/// Said on a card when a recall comes after klikit already has the action.
pub const KLIKIT_KEEPS_ITS_STATE: &str = "klikit keeps its state: a recall is not sent to klikit";
/// Said on a card when a recall undid an action before it was sent.
pub const RECALLED_BEFORE_SEND: &str = "recalled before it was sent: nothing reached klikit";

/// A fresh idempotency key (128 random bits, UUID v4 shaped).
pub fn new_key() -> String {
    crate::client::new_event_id()
}

fn waiting(id: i64, action: KlikitAction) -> KlikitSync {
    KlikitSync { outbox_id: id, action, state: SyncState::Waiting, reason: None, note: None }
}

/// A bump, recall or acknowledge, with its outbox rows.
pub fn act(kitchen: &Kitchen, record: &Record, action: Action, from: Option<Column>, now: OffsetDateTime, out: &OutboxTx<'_>) -> Result<Result<(Record, Event), Refusal>, StoreError> {
    let (mut next, event) = match kitchen.act(record, action, from, now) {
        Ok(done) => done,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let order_id = record.ticket.order_id.clone();
    if let Some(a) = kitchen.klikit_action(&record.ticket, &next.ticket) {
        let id = out.insert(&NewOutboxRow { order_id, action: a, reason_code: None, idempotency_key: new_key(), occurred_at: now })?;
        next.ticket.klikit_sync = Some(waiting(id, a));
    } else if let Some(a) = kitchen.recall_undoes(&record.ticket, &next.ticket) {
        if let Some(row) = out.last(&order_id, a)? {
            let (state, note) = if row.state == SyncState::Waiting && out.cancel(row.id)? {
                (SyncState::Cancelled, RECALLED_BEFORE_SEND)
            } else {
                (row.state, KLIKIT_KEEPS_ITS_STATE)
            };
            next.ticket.klikit_sync = Some(KlikitSync { outbox_id: row.id, action: a, state, reason: row.last_error.clone(), note: Some(note.into()) });
        }
    }
    Ok(Ok((next, event)))
}

/// A reject or cancel with its reason code, and its outbox row.
pub fn withdraw(kitchen: &Kitchen, record: &Record, reason_code: &str, from: Option<Column>, now: OffsetDateTime, out: &OutboxTx<'_>) -> Result<Result<(Record, Event), Refusal>, StoreError> {
    let (mut next, event, action) = match kitchen.withdraw(record, reason_code, from, now) {
        Ok(done) => done,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let row = NewOutboxRow { order_id: record.ticket.order_id.clone(), action, reason_code: Some(reason_code.into()), idempotency_key: new_key(), occurred_at: now };
    let id = out.insert(&row)?;
    next.ticket.klikit_sync = Some(waiting(id, action));
    Ok(Ok((next, event)))
}
