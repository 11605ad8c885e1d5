//! What a screen action means for klikit: the pure mapping from a ticket's
//! move to the status klikit must learn (`accepted`, `ready`, `picked_up`),
//! the deliberate reject and cancel, and the sync state a card shows.
//!
//! What it owns: the rules of which move sends what, and when a recall
//! undoes an action not yet sent. It never sends anything and never reads
//! the clock; the outbox and the partner sender do the rest.

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::{Column, Event, EventKind, Kitchen, Record, Refusal, Source, Ticket, CANCELLED_RANK};
use crate::klikit::{OrderStatus, OrderType};

/// The reasons a kitchen may give for rejecting or cancelling an order
/// (klikit has not published its list; these are the draft contract's).
pub const REASON_CODES: &[&str] = &["out_of_items", "kitchen_closed", "store_too_busy", "customer_requested", "cannot_complete_request", "other"];

/// A status klikit's `PATCH /orders/{id}/status` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KlikitAction {
    Accepted,
    Ready,
    PickedUp,
    Rejected,
    Cancelled,
}

impl KlikitAction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KlikitAction::Accepted => "accepted",
            KlikitAction::Ready => "ready",
            KlikitAction::PickedUp => "picked_up",
            KlikitAction::Rejected => "rejected",
            KlikitAction::Cancelled => "cancelled",
        }
    }

    /// The ticket log's kind for a screen's reject or cancel.
    pub fn event_kind(self) -> EventKind {
        match self {
            KlikitAction::Rejected => EventKind::Rejected,
            _ => EventKind::Cancelled,
        }
    }

    pub fn parse(s: &str) -> Option<KlikitAction> {
        [KlikitAction::Accepted, KlikitAction::Ready, KlikitAction::PickedUp, KlikitAction::Rejected, KlikitAction::Cancelled]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// Where an outbox action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Written, not yet confirmed by klikit.
    Waiting,
    /// klikit confirmed it.
    Sent,
    /// Gave up (retries ran out, or klikit refused); a person may retry.
    Failed,
    /// klikit's state made it moot (an invalid transition, reconciled).
    Superseded,
    /// Undone by a recall before it was sent: nothing reached klikit.
    Cancelled,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Waiting => "waiting",
            SyncState::Sent => "sent",
            SyncState::Failed => "failed",
            SyncState::Superseded => "superseded",
            SyncState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<SyncState> {
        [SyncState::Waiting, SyncState::Sent, SyncState::Failed, SyncState::Superseded, SyncState::Cancelled].into_iter().find(|a| a.as_str() == s)
    }
}

/// The card's sync line: the last action for klikit and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KlikitSync {
    pub outbox_id: i64,
    pub action: KlikitAction,
    pub state: SyncState,
    /// Why it failed or was superseded, in plain words.
    pub reason: Option<String>,
    /// A note for the kitchen (e.g. a recall after the send: klikit keeps its state).
    pub note: Option<String>,
}

impl Kitchen {
    fn klikit_status(&self, t: &Ticket) -> Option<OrderStatus> {
        t.status_code.and_then(|c| self.statuses.meaning(c))
    }

    /// What klikit must learn from a screen's move from `before` to `after`.
    /// New → Preparing is `accepted` only while klikit still has the order
    /// at PLACED; reaching Ready is `ready` unless klikit is already there
    /// or beyond; Ready → Done is `picked_up` for pickup and dine-in orders
    /// only, never for delivery (the rider completes those).
    pub fn klikit_action(&self, before: &Ticket, after: &Ticket) -> Option<KlikitAction> {
        let klikit = self.klikit_status(before);
        let at_or_beyond_ready = matches!(klikit, Some(OrderStatus::Ready | OrderStatus::Delivered | OrderStatus::PickedUp | OrderStatus::Cancelled));
        match (before.column, after.column) {
            (Column::New, Column::Preparing) if klikit == Some(OrderStatus::Placed) => Some(KlikitAction::Accepted),
            (Column::New | Column::Preparing, Column::Ready) if !at_or_beyond_ready => Some(KlikitAction::Ready),
            (Column::Ready, Column::Done)
                if matches!(after.order_type, OrderType::Pickup | OrderType::DineIn)
                    && !matches!(klikit, Some(OrderStatus::Delivered | OrderStatus::PickedUp | OrderStatus::Cancelled)) =>
            {
                Some(KlikitAction::PickedUp)
            }
            _ => None,
        }
    }

    /// The action a recall from `before` to `after` undoes, if any (it is
    /// cancelled when not yet sent).
    pub fn recall_undoes(&self, before: &Ticket, after: &Ticket) -> Option<KlikitAction> {
        match (before.column, after.column) {
            (Column::Preparing, Column::New) => Some(KlikitAction::Accepted),
            (Column::Ready, Column::Preparing) => Some(KlikitAction::Ready),
            (Column::Done, Column::Ready) => Some(KlikitAction::PickedUp),
            _ => None,
        }
    }

    /// A person rejects (an order not yet accepted) or cancels (an accepted
    /// one), with a reason code from [`REASON_CODES`]. The ticket becomes
    /// cancelled and leaves the board; the outbox carries it to klikit.
    pub fn withdraw(&self, record: &Record, reason_code: &str, from: Option<Column>, now: OffsetDateTime) -> Result<(Record, Event, KlikitAction), Refusal> {
        let t = &record.ticket;
        let refuse = |reason: String| Err(Refusal { reason, ticket: t.clone() });
        if !REASON_CODES.contains(&reason_code) {
            return refuse(format!("unknown reason {reason_code:?}; one of: {}", REASON_CODES.join(", ")));
        }
        if let Some(seen) = from {
            if seen != t.column {
                return refuse(format!("the ticket is no longer in {seen}: it is in {}", t.column));
            }
        }
        let action = match (t.column, self.klikit_status(t)) {
            (Column::Cancelled | Column::Done, _) => return refuse(format!("a ticket in {} cannot be rejected or cancelled", t.column)),
            (_, Some(OrderStatus::Placed | OrderStatus::Scheduled) | None) => KlikitAction::Rejected,
            _ => KlikitAction::Cancelled,
        };
        let mut next = record.clone();
        next.status_rank = Some(CANCELLED_RANK);
        let n = &mut next.ticket;
        let from_column = n.column;
        n.column = Column::Cancelled;
        n.column_since = now;
        n.cancelled = true;
        n.cancellation_reason = Some(reason_code.to_string());
        n.cancellation_acknowledged = true;
        n.updated_at = now;
        n.refresh_derived();
        let event = Event { at: now, source: Source::Screen, kind: action.event_kind(), detail: json!({"from": from_column, "reason_code": reason_code}) };
        Ok((next, event, action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::Action;
    use crate::klikit::decode_orders;

    fn ticket(fixture: &[u8], status: i64, order_type: i64) -> (Kitchen, Record) {
        let mut body: serde_json::Value = serde_json::from_slice(fixture).unwrap();
        body["orders"][0]["status"] = status.into();
        body["orders"][0]["type"] = order_type.into();
        let order = decode_orders(&serde_json::to_vec(&body).unwrap()).unwrap().remove(0);
        let kitchen = Kitchen::default();
        let record = kitchen.apply(None, &order, OffsetDateTime::UNIX_EPOCH).record;
        (kitchen, record)
    }

    const FIXTURE: &[u8] = include_bytes!("../../tests/fixtures/01-order-created-single.json");

    fn bump(k: &Kitchen, r: &Record) -> Record {
        k.act(r, Action::Bump, None, OffsetDateTime::UNIX_EPOCH).unwrap().0
    }

    #[test]
    fn each_bump_maps_to_the_status_klikit_must_learn() {
        let (k, new) = ticket(FIXTURE, 1, 1);
        let preparing = bump(&k, &new);
        assert_eq!(k.klikit_action(&new.ticket, &preparing.ticket), Some(KlikitAction::Accepted), "leaving New while klikit has PLACED is accepted");
        let ready = bump(&k, &preparing);
        assert_eq!(k.klikit_action(&preparing.ticket, &ready.ticket), Some(KlikitAction::Ready));
        let done = bump(&k, &ready);
        assert_eq!(k.klikit_action(&ready.ticket, &done.ticket), Some(KlikitAction::PickedUp), "a pickup order is picked up at the counter");
        assert_eq!(k.recall_undoes(&done.ticket, &ready.ticket), Some(KlikitAction::PickedUp));
        assert_eq!(k.recall_undoes(&preparing.ticket, &new.ticket), Some(KlikitAction::Accepted));
    }

    #[test]
    fn a_delivery_order_never_maps_to_picked_up() {
        let (k, new) = ticket(FIXTURE, 1, 2);
        let ready = bump(&k, &bump(&k, &new));
        let done = bump(&k, &ready);
        assert_eq!(k.klikit_action(&ready.ticket, &done.ticket), None, "the rider completes delivery orders");
    }

    #[test]
    fn nothing_is_sent_when_klikit_is_already_there() {
        let (k, accepted) = ticket(FIXTURE, 2, 1);
        assert_eq!(accepted.ticket.column, Column::Preparing);
        let (k2, placed_new) = ticket(FIXTURE, 4, 3);
        assert_eq!(placed_new.ticket.column, Column::Ready);
        let done = bump(&k2, &placed_new);
        assert_eq!(k2.klikit_action(&placed_new.ticket, &done.ticket), Some(KlikitAction::PickedUp), "dine-in ready → done is picked_up");
        let ready = bump(&k, &accepted);
        assert_eq!(k.klikit_action(&accepted.ticket, &ready.ticket), Some(KlikitAction::Ready));
        let (k3, auto) = ticket(FIXTURE, 4, 1);
        let mut recalled = auto.clone();
        recalled.ticket.column = Column::Preparing;
        assert_eq!(k3.klikit_action(&recalled.ticket, &auto.ticket), None, "klikit already has READY: nothing to send");
    }

    #[test]
    fn withdraw_rejects_a_placed_order_and_cancels_an_accepted_one_with_a_listed_reason() {
        let (k, new) = ticket(FIXTURE, 1, 1);
        let (gone, event, action) = k.withdraw(&new, "out_of_items", None, OffsetDateTime::UNIX_EPOCH).unwrap();
        assert_eq!((action, gone.ticket.column, gone.ticket.open, event.kind), (KlikitAction::Rejected, Column::Cancelled, false, EventKind::Rejected));
        let (k, accepted) = ticket(FIXTURE, 2, 1);
        assert_eq!(k.withdraw(&accepted, "store_too_busy", None, OffsetDateTime::UNIX_EPOCH).unwrap().2, KlikitAction::Cancelled);
        assert!(k.withdraw(&accepted, "because", None, OffsetDateTime::UNIX_EPOCH).is_err(), "only reasons from the list");
        assert!(k.withdraw(&gone, "other", None, OffsetDateTime::UNIX_EPOCH).is_err(), "a cancelled ticket cannot be cancelled again");
    }
}
