//! The printers on the app listener: a test page, a reprint from a card,
//! and each printer's state for the health strip.
//!
//! Both actions only write a print job (answered `202` once it is durably
//! queued) and wake the printer's sender: nothing here waits for paper.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use time::OffsetDateTime;

use super::wire::{PrintQueued, PrinterHealth};
use super::{ApiError, AppState};
use crate::store::{PrintKind, StoreError};

/// `POST /api/printers/{name}/test`: queues a test page.
pub async fn test_page(State(state): State<AppState>, Path(name): Path<String>) -> Result<(StatusCode, Json<PrintQueued>), ApiError> {
    let printer = state.printing.printer(&name).ok_or(ApiError::NotFound("no such printer"))?.name;
    state.store.queue_print(&printer, None, PrintKind::Test, false, OffsetDateTime::now_utc()).await?;
    state.printing.wake(&printer);
    Ok((StatusCode::ACCEPTED, Json(PrintQueued { queued: vec![printer] })))
}

/// `POST /api/tickets/{order_id}/reprint`: the ticket as it is now, marked
/// REPRINT, on every printer but the backup ones.
pub async fn reprint(State(state): State<AppState>, Path(order_id): Path<String>) -> Result<(StatusCode, Json<PrintQueued>), ApiError> {
    if state.printing.printers().iter().all(|p| p.backup) {
        return Err(ApiError::Unavailable("no printer is configured"));
    }
    let ticket = state.store.ticket(&order_id).await?.ok_or(ApiError::NotFound("no such ticket"))?;
    let printers = state.printing.reprint_printers(&ticket);
    if printers.is_empty() {
        return Err(ApiError::Unavailable("no printer prints this ticket's stations"));
    }
    let now = OffsetDateTime::now_utc();
    for p in &printers {
        if state.store.queue_print(p, Some(&order_id), PrintKind::Ticket, true, now).await?.is_none() {
            return Err(ApiError::NotFound("no such ticket"));
        }
        state.printing.wake(p);
    }
    Ok((StatusCode::ACCEPTED, Json(PrintQueued { queued: printers })))
}

/// The health body's `"printers"`: each printer's state, with its waiting
/// jobs and every job ever dropped as too old.
pub async fn health(state: &AppState) -> Result<Vec<PrinterHealth>, StoreError> {
    if state.printing.is_empty() {
        return Ok(Vec::new());
    }
    let counts = state.store.print_queue_counts().await?;
    Ok(state
        .printing
        .statuses()
        .into_iter()
        .map(|s| {
            let c = counts.get(&s.name).cloned().unwrap_or_default();
            PrinterHealth {
                name: s.name,
                state: s.state,
                last_error: s.last_error,
                last_printed_at: s.last_printed_at,
                backup: s.backup,
                backup_on: s.backup_on,
                waiting: c.waiting,
                dropped: s.dropped,
                last_dropped: s.last_dropped,
                dropped_total: c.dropped,
            }
        })
        .collect())
}
