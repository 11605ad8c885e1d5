//! The printers on the app listener: a test page, a reprint from a card,
//! and each printer's state for the health strip.
//!
//! Both actions only write a print job (answered `202` once it is durably
//! queued) and wake the printer's sender: nothing here waits for paper.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{ApiError, AppState};
use crate::store::{PrintKind, StoreError};

/// `POST /api/printers/{name}/test`: queues a test page.
pub async fn test_page(State(state): State<AppState>, Path(name): Path<String>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let printer = state.printing.printer(&name).ok_or(ApiError::NotFound("no such printer"))?.name.clone();
    state.store.queue_print(&printer, None, PrintKind::Test, false, OffsetDateTime::now_utc()).await?;
    state.printing.wake(&printer);
    Ok((StatusCode::ACCEPTED, Json(json!({"queued": [printer]}))))
}

/// `POST /api/tickets/{order_id}/reprint`: the ticket as it is now, marked
/// REPRINT, on every printer but the backup ones.
pub async fn reprint(State(state): State<AppState>, Path(order_id): Path<String>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let printers = state.printing.reprint_printers();
    if printers.is_empty() {
        return Err(ApiError::Unavailable("no printer is configured"));
    }
    let now = OffsetDateTime::now_utc();
    for p in &printers {
        if state.store.queue_print(p, Some(&order_id), PrintKind::Ticket, true, now).await?.is_none() {
            return Err(ApiError::NotFound("no such ticket"));
        }
        state.printing.wake(p);
    }
    Ok((StatusCode::ACCEPTED, Json(json!({"queued": printers}))))
}

/// The health body's `"printers"`: each printer's state, with its waiting
/// jobs and every job ever dropped as too old.
pub async fn health(state: &AppState) -> Result<Value, StoreError> {
    if state.printing.is_empty() {
        return Ok(json!([]));
    }
    let counts = state.store.print_queue_counts().await?;
    Ok(Value::Array(
        state
            .printing
            .statuses()
            .into_iter()
            .map(|s| {
                let c = counts.get(&s.name).cloned().unwrap_or_default();
                let mut v = json!(s);
                v["waiting"] = json!(c.waiting);
                v["dropped_total"] = json!(c.dropped);
                v
            })
            .collect(),
    ))
}
