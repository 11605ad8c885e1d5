//! `GET /api/health`: is the receiver able to take deliveries, and is the
//! kitchen keeping up?

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use super::AppState;

pub async fn health(State(state): State<AppState>) -> Response {
    let stats = state.intake.stats();
    match state.store.inbox_counts().await {
        Ok(counts) => Json(json!({
            "intake": {
                "secret_configured": state.intake.secret_configured(),
                "received": stats.received,
                "duplicates": stats.duplicates,
                "invalid_signature": stats.invalid_signature,
                "unprocessable": stats.unprocessable,
                "store_unavailable": stats.store_unavailable,
                "last_received_at": counts.last_received_at.and_then(|t| t.format(&Rfc3339).ok()),
            },
            "store": { "status": "ok", "deliveries": counts.total, "unprocessable": counts.unprocessable },
            "applier": { "pending": counts.pending },
            "tunnel": tunnel_json(&state),
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health: store unreadable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"store": {"status": "unavailable"}}))).into_response()
        }
    }
}

/// The `"tunnel"` object: `{"state", "url", "reason"}`.
pub fn tunnel_json(state: &AppState) -> serde_json::Value {
    json!(*state.tunnel.borrow())
}
