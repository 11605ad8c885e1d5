//! `/api/klikit/…`: the partner connection as the board sees it: the
//! connection check, the outbox's rows, and a person's retry of a failed
//! action. Thin: the partner module does the work.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{ApiError, AppState};
use crate::kitchen::{Event, KlikitSync, Source, SyncState};
use crate::store::OutboxMark;

fn partner(state: &AppState) -> Result<&crate::partner::Partner, ApiError> {
    state.partner.as_ref().ok_or(ApiError::NotFound("klikit partner keys are not configured"))
}

/// `POST /api/klikit/check`: `GET /brands` and `GET /branches` with the
/// current keys; the brands and branches, or what is wrong in plain words.
pub async fn check(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let partner = partner(&state)?;
    Ok(Json(crate::partner::client::check(&partner.client).await))
}

/// `GET /api/klikit/outbox`: the waiting rows and the counts.
pub async fn outbox(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let waiting = state.store.outbox_waiting(500).await?;
    let counts = state.store.outbox_counts().await?;
    Ok(Json(json!({"waiting": waiting, "counts": counts})))
}

/// `POST /api/klikit/outbox/{id}/retry`: a failed action goes back to
/// waiting, under the same key.
pub async fn retry(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let partner = partner(&state)?;
    let row = state.store.outbox_row(id).await?.ok_or(ApiError::NotFound("no such outbox action"))?;
    if row.state != SyncState::Failed {
        return Err(ApiError::BadRequest(format!("only a failed action can be retried; this one is {}", row.state.as_str())));
    }
    let mark = OutboxMark { state: SyncState::Waiting, attempts: row.attempts, last_error: row.last_error.clone(), klikit_updated_at: None, request_id: None };
    let now = OffsetDateTime::now_utc();
    let action = row.action;
    state
        .store
        .outbox_mark(id, mark, now, move |r| {
            let mut next = r.clone();
            next.ticket.klikit_sync = Some(KlikitSync { outbox_id: id, action, state: SyncState::Waiting, reason: None, note: None });
            next.ticket.updated_at = now;
            Some((next, Event { at: now, source: Source::Screen, kind: crate::kitchen::EventKind::KlikitRetry, detail: json!({"outbox_id": id}) }))
        })
        .await?;
    partner.wake();
    Ok(Json(json!({"id": id, "state": "waiting"})))
}

/// `POST /api/klikit/catchup`: runs catch-up now and answers its report.
pub async fn catchup(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let partner = partner(&state)?;
    let report = partner.catchup.run(OffsetDateTime::now_utc()).await;
    Ok(Json(json!(report)))
}
