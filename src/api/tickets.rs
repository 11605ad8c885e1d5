//! Tickets (as each screen sees them), done tickets, screen actions (whole
//! ticket or one station's lines, and the expo's rush mark), and the
//! delivery log.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use time::OffsetDateTime;

use super::wire::{ActionRequest, Delivery, DeliveryList, DoneList, Outcome, RushRequest, Ticket, TicketList};
use super::{ApiError, AppState};
use crate::kitchen::screen::Screen;
use crate::kitchen::{Action, Column, REASON_CODES};
use crate::partner::staging;
use crate::klikit::Envelope;
use crate::store::DeliveryState;

const DEFAULT_LIMIT: usize = 50;
/// Shown on a delivery that catch-up fetched.
const CATCH_UP_NOTE: &str = "arrived by catch-up: klikit's webhook did not reach us. Check that klikit has this kitchen's URL for this brand, branch and event, and run the self-test (Going live)";
const MAX_LIMIT: usize = 500;

/// `GET /api/tickets[?screen=NAME]`: the board as that screen sees it
/// (a station: only its lines; `expo` or none: everything; a station that
/// no longer exists: everything, with a notice), rush tickets first.
pub async fn open(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<TicketList>, ApiError> {
    let screen = Screen::parse(q.get("screen").map(String::as_str), &state.kitchen.setup.get());
    let (seq, tickets) = state.store.open_tickets().await?;
    Ok(Json(board(seq, &screen, &tickets)))
}

/// The open tickets as `screen` sees them, as of `seq`.
pub(super) fn board(seq: i64, screen: &Screen, tickets: &[crate::kitchen::Ticket]) -> TicketList {
    TicketList { seq, tickets: screen.board(tickets).iter().map(Ticket::from).collect(), screen: screen.name(), notice: screen.notice() }
}

/// `POST /api/tickets/{order_id}/rush` with `{"rush": true|false}`: the
/// expo's rush mark; `409` when it would change nothing.
pub async fn rush(State(state): State<AppState>, Path(order_id): Path<String>, body: Bytes) -> Result<Json<Ticket>, ApiError> {
    let RushRequest { rush } = serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("expected {{\"rush\": true|false}}: {e}")))?;
    let kitchen = state.kitchen.clone();
    let now = OffsetDateTime::now_utc();
    answer(state.store.update_ticket(&order_id, move |r| kitchen.set_rush(r, rush, now)).await?, &state)
}

/// `GET /api/tickets/{order_id}`.
pub async fn one(State(state): State<AppState>, Path(order_id): Path<String>) -> Result<Json<Ticket>, ApiError> {
    state.store.ticket(&order_id).await?.map(|t| Json(Ticket::from(t))).ok_or(ApiError::NotFound("no such ticket"))
}

/// `GET /api/done?limit=N`: done tickets still recallable, newest first.
/// With `screen=STATION`: the tickets still cooking whose lines that
/// station bumped within the recall window, most recent first.
pub async fn done(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<DoneList>, ApiError> {
    let since = OffsetDateTime::now_utc() - state.kitchen.recall_window;
    let screen = Screen::parse(q.get("screen").map(String::as_str), &state.kitchen.setup.get());
    if screen.station().is_some() {
        let (_, open) = state.store.open_tickets().await?;
        let mut tickets = screen.recallable(&open, since);
        tickets.truncate(limit(&q)?);
        return Ok(Json(DoneList { tickets: tickets.iter().map(Ticket::from).collect() }));
    }
    let tickets = state.store.done_tickets(since, limit(&q)?).await?;
    Ok(Json(DoneList { tickets: tickets.into_iter().map(Ticket::from).collect() }))
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
        ActionRequest::default()
    } else {
        serde_json::from_slice::<ActionRequest>(&body).map_err(|e| ApiError::BadRequest(format!("malformed JSON body: {e}")))?
    };
    let from = match parsed.from {
        None => None,
        Some(c) => Some(Column::parse(&c).ok_or_else(|| ApiError::BadRequest(format!("unknown column {c:?}")))?),
    };
    let kitchen = state.kitchen.clone();
    let now = OffsetDateTime::now_utc();
    if let Some(name) = parsed.station.as_deref() {
        let bump = match action {
            Some(Action::Bump) => true,
            Some(Action::Recall) => false,
            _ => return Err(ApiError::BadRequest("\"station\" goes only with bump and recall".into())),
        };
        let setup = state.kitchen.setup.get();
        let Some(station) = setup.find_station(name).map(str::to_string) else {
            return Err(ApiError::Unprocessable { field: "station".into(), why: format!("there is no station {name:?}") });
        };
        let result = state
            .store
            .update_ticket(&order_id, move |r| if bump { kitchen.bump_station(r, &station, from, now) } else { kitchen.recall_station(r, &station, from, now) })
            .await?;
        return answer(result, &state);
    }
    let result = match (action, &state.partner) {
        (Some(action), None) => state.store.update_ticket(&order_id, move |r| kitchen.act(r, action, from, now)).await?,
        (Some(action), Some(_)) => {
            state.store.update_ticket_with_outbox(&order_id, now, move |r, out| staging::act(&kitchen, r, action, from, now, out)).await?
        }
        (None, None) => return Err(ApiError::BadRequest("reject and cancel are sent to klikit: set the klikit partner keys first".into())),
        (None, Some(_)) => {
            if parsed.confirm != Some(true) {
                return Err(ApiError::BadRequest("reject and cancel need a confirmation: send \"confirm\": true".into()));
            }
            let reason = parsed.reason_code.ok_or_else(|| ApiError::BadRequest(format!("a reason_code is required: one of {}", REASON_CODES.join(", "))))?;
            state.store.update_ticket_with_outbox(&order_id, now, move |r, out| staging::withdraw(&kitchen, r, &reason, from, now, out)).await?
        }
    };
    answer(result, &state)
}

/// The answer to a screen action: the ticket after it, `404`, or `409`
/// with the ticket as it is.
fn answer(result: Option<Result<crate::kitchen::Ticket, crate::kitchen::Refusal>>, state: &AppState) -> Result<Json<Ticket>, ApiError> {
    match result {
        None => Err(ApiError::NotFound("no such ticket")),
        Some(Ok(ticket)) => {
            if let Some(partner) = &state.partner {
                partner.wake();
            }
            Ok(Json(Ticket::from(ticket)))
        }
        Some(Err(refusal)) => Err(ApiError::Conflict { reason: refusal.reason, ticket: Box::new(refusal.ticket) }),
    }
}

/// Where a stored delivery came from: klikit's webhook, catch-up, or a
/// reconcile after an invalid transition.
fn delivery_source(event_id: &str) -> &'static str {
    if event_id.starts_with(crate::partner::catchup::EVENT_PREFIX) {
        "catch-up"
    } else if event_id.starts_with("reconcile:") {
        "reconcile"
    } else {
        "webhook"
    }
}

/// `GET /api/deliveries?limit=N`: stored deliveries merged with the
/// intake's recent refusals, newest first.
pub async fn deliveries(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<DeliveryList>, ApiError> {
    let limit = limit(&q)?;
    Ok(Json(delivery_list(&state, limit).await?))
}

/// The newest `limit` deliveries and refusals (also for the diagnostics zip).
pub async fn delivery_list(state: &AppState, limit: usize) -> Result<DeliveryList, ApiError> {
    let stored = state.store.recent_deliveries(limit).await?;
    let mut rows: Vec<Delivery> = stored
        .into_iter()
        .map(|d| Delivery {
            order_ids: Envelope::parse(&d.body).map(|e| e.order_ids).unwrap_or_default(),
            source: delivery_source(&d.event_id).into(),
            note: d.event_id.starts_with(crate::partner::catchup::EVENT_PREFIX).then(|| CATCH_UP_NOTE.to_string()),
            event_id: Some(d.event_id),
            event_type: Some(d.event_type),
            received_at: d.received_at,
            outcome: match d.state {
                DeliveryState::Pending => Outcome::Received,
                DeliveryState::Applied => Outcome::Applied,
                DeliveryState::Unprocessable => Outcome::Unprocessable,
            },
            reason: d.reason,
            duplicates: d.duplicates,
        })
        .collect();
    rows.extend(state.intake.stats().recent_refusals.into_iter().take(limit).map(|r| Delivery {
        event_id: r.event_id,
        event_type: r.event_type,
        received_at: r.at,
        outcome: r.outcome,
        reason: Some(r.detail),
        order_ids: vec![],
        duplicates: 0,
        source: "webhook".into(),
        note: None,
    }));
    rows.sort_by(|a, b| b.received_at.cmp(&a.received_at));
    rows.truncate(limit);
    Ok(DeliveryList { deliveries: rows })
}

fn limit(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    match q.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v.trim().parse::<usize>().map(|n| n.clamp(1, MAX_LIMIT)).map_err(|_| ApiError::BadRequest(format!("limit must be a number, got {v:?}"))),
    }
}
