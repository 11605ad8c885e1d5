//! `GET /api/health`: is the receiver able to take deliveries, and is the
//! kitchen keeping up? The same body goes out as the live stream's `health`
//! event.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::AppState;
use crate::store::StoreError;

pub async fn health(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health: store unreadable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"store": {"status": "unavailable"}}))).into_response()
        }
    }
}

/// The health body.
pub async fn snapshot(state: &AppState) -> Result<Value, StoreError> {
    let stats = state.intake.stats();
    let counts = state.store.inbox_counts().await?;
    let oldest_pending = state.store.oldest_pending_received_at().await?;
    let lag_ms = oldest_pending.map(|t| (OffsetDateTime::now_utc() - t).whole_milliseconds().max(0) as i64).unwrap_or(0);
    Ok(json!({
        "intake": {
            "secret_configured": state.intake.secret_configured(),
            "listen": state.intake_addr.to_string(),
            "received": stats.received,
            "duplicates": stats.duplicates,
            "invalid_signature": stats.invalid_signature,
            "unprocessable": stats.unprocessable,
            "store_unavailable": stats.store_unavailable,
            "last_received_at": counts.last_received_at.and_then(|t| t.format(&Rfc3339).ok()),
        },
        "store": { "status": "ok", "deliveries": counts.total, "unprocessable": counts.unprocessable },
        "applier": { "pending": counts.pending, "lag_ms": lag_ms },
        "tunnel": tunnel_json(state),
        "printers": super::printers::health(state).await?,
    }))
}

/// The `"tunnel"` object: `{"state", "url", "reason", "mode"}`; `mode` is the
/// configured tunnel mode, so the board can warn that a quick tunnel's URL
/// changes on every start.
pub fn tunnel_json(state: &AppState) -> serde_json::Value {
    let mut tunnel = json!(*state.tunnel.borrow());
    tunnel["mode"] = json!(state.config.tunnel);
    tunnel
}
