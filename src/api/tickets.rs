//! Tickets, done tickets, screen actions, and the delivery log.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{ApiError, AppState};
use crate::kitchen::{Action, Column, Ticket, REASON_CODES};
use crate::partner::staging;
use crate::klikit::Envelope;
use crate::store::DeliveryState;

const DEFAULT_LIMIT: usize = 50;
/// Shown on a delivery that catch-up fetched.
const CATCH_UP_NOTE: &str = "arrived by catch-up: klikit's webhook did not reach us. Check that klikit has this kitchen's URL for this brand, branch and event, and run the self-test (Going live)";
const MAX_LIMIT: usize = 500;

/// `GET /api/tickets`: the board.
pub async fn open(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (seq, tickets) = state.store.open_tickets().await?;
    Ok(Json(json!({"seq": seq, "tickets": tickets})))
}

/// `GET /api/tickets/{order_id}`.
pub async fn one(State(state): State<AppState>, Path(order_id): Path<String>) -> Result<Json<Ticket>, ApiError> {
    state.store.ticket(&order_id).await?.map(Json).ok_or(ApiError::NotFound("no such ticket"))
}

/// `GET /api/done?limit=N`: done tickets still recallable, newest first.
pub async fn done(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    let since = OffsetDateTime::now_utc() - state.kitchen.recall_window;
    let tickets = state.store.done_tickets(since, limit(&q)?).await?;
    Ok(Json(json!({"tickets": tickets})))
}

#[derive(Deserialize)]
struct ActionBody {
    from: Option<String>,
    /// Reject and cancel only: a code from `kitchen::REASON_CODES`.
    reason_code: Option<String>,
    /// Reject and cancel only: must be `true` (the board's confirmation step).
    #[serde(default)]
    confirm: bool,
}

/// `POST /api/tickets/{order_id}/{bump|recall|acknowledge|reject|cancel}`,
/// with an optional body `{"from": "<column the screen saw>"}`. Reject and
/// cancel (klikit partner keys needed) also take `"reason_code"` and
/// `"confirm": true`. With partner keys, an action klikit must learn about
/// writes its outbox row in the same transaction; the answer never waits
/// for klikit.
pub async fn act(State(state): State<AppState>, Path((order_id, action)): Path<(String, String)>, body: Bytes) -> Result<Json<Ticket>, ApiError> {
    let action = match action.as_str() {
        "bump" => Some(Action::Bump),
        "recall" => Some(Action::Recall),
        "acknowledge" => Some(Action::Acknowledge),
        "reject" | "cancel" => None,
        _ => return Err(ApiError::NotFound("not found")),
    };
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody { from: None, reason_code: None, confirm: false }
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("malformed JSON body: {e}")))?
    };
    let from = match parsed.from {
        None => None,
        Some(c) => Some(Column::parse(&c).ok_or_else(|| ApiError::BadRequest(format!("unknown column {c:?}")))?),
    };
    let kitchen = state.kitchen.clone();
    let now = OffsetDateTime::now_utc();
    let result = match (action, &state.partner) {
        (Some(action), None) => state.store.update_ticket(&order_id, move |r| kitchen.act(r, action, from, now)).await?,
        (Some(action), Some(_)) => {
            state.store.update_ticket_with_outbox(&order_id, now, move |r, out| staging::act(&kitchen, r, action, from, now, out)).await?
        }
        (None, None) => return Err(ApiError::BadRequest("reject and cancel are sent to klikit: set the klikit partner keys first".into())),
        (None, Some(_)) => {
            if !parsed.confirm {
                return Err(ApiError::BadRequest("reject and cancel need a confirmation: send \"confirm\": true".into()));
            }
            let reason = parsed.reason_code.ok_or_else(|| ApiError::BadRequest(format!("a reason_code is required: one of {}", REASON_CODES.join(", "))))?;
            state.store.update_ticket_with_outbox(&order_id, now, move |r, out| staging::withdraw(&kitchen, r, &reason, from, now, out)).await?
        }
    };
    match result {
        None => Err(ApiError::NotFound("no such ticket")),
        Some(Ok(ticket)) => {
            if let Some(partner) = &state.partner {
                partner.wake();
            }
            Ok(Json(ticket))
        }
        Some(Err(refusal)) => Err(ApiError::Conflict { reason: refusal.reason, ticket: Box::new(refusal.ticket) }),
    }
}

/// `GET /api/deliveries?limit=N`: stored deliveries merged with the
/// intake's recent refusals, newest first.
pub async fn deliveries(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    let limit = limit(&q)?;
    let stored = state.store.recent_deliveries(limit).await?;
    let mut rows: Vec<(OffsetDateTime, Value)> = stored
        .into_iter()
        .map(|d| {
            let outcome = match d.state {
                DeliveryState::Pending => "received",
                DeliveryState::Applied => "applied",
                DeliveryState::Unprocessable => "unprocessable",
            };
            let order_ids = Envelope::parse(&d.body).map(|e| e.order_ids).unwrap_or_default();
            let mut row = json!({
                "event_id": d.event_id, "event_type": d.event_type, "received_at": d.received_at.format(&Rfc3339).ok(),
                "outcome": outcome, "reason": d.reason, "order_ids": order_ids, "duplicates": d.duplicates, "source": "webhook",
            });
            if d.event_id.starts_with(crate::partner::catchup::EVENT_PREFIX) {
                row["source"] = "catch-up".into();
                row["note"] = CATCH_UP_NOTE.into();
            } else if d.event_id.starts_with("reconcile:") {
                row["source"] = "reconcile".into();
            }
            (d.received_at, row)
        })
        .collect();
    rows.extend(state.intake.stats().recent_refusals.into_iter().take(limit).map(|r| {
        let row = json!({
            "event_id": r.event_id, "event_type": r.event_type, "received_at": r.at.format(&Rfc3339).ok(),
            "outcome": r.outcome, "reason": r.detail, "order_ids": [], "duplicates": 0,
        });
        (r.at, row)
    }));
    rows.sort_by(|a, b| b.0.cmp(&a.0));
    rows.truncate(limit);
    Ok(Json(json!({"deliveries": rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>()})))
}

fn limit(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    match q.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v.trim().parse::<usize>().map(|n| n.clamp(1, MAX_LIMIT)).map_err(|_| ApiError::BadRequest(format!("limit must be a number, got {v:?}"))),
    }
}
