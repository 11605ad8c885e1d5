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
        "klikit": klikit_json(state).await?,
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

/// The `"klikit"` object behind the header chip: `state` is `off` (no
/// partner keys), `rejected` (klikit refused our keys; the outbox is
/// paused), `failing` (actions failed, since `failing_since`), `waiting` (N
/// actions not yet confirmed) or `ok`.
pub async fn klikit_json(state: &AppState) -> Result<Value, StoreError> {
    let Some(partner) = &state.partner else { return Ok(json!({"state": "off"})) };
    let counts = state.store.outbox_counts().await?;
    let health = partner.health();
    let chip = if health.credentials_rejected_since.is_some() {
        "rejected"
    } else if counts.failed > 0 {
        "failing"
    } else if counts.waiting > 0 {
        "waiting"
    } else {
        "ok"
    };
    Ok(json!({
        "state": chip,
        "waiting": counts.waiting,
        "failed": counts.failed,
        "sent": counts.sent,
        "failing_since": counts.failing_since.or(health.credentials_rejected_since.clone()),
        "reason": health.credentials_rejected_since.as_ref().map(|_| crate::partner::sender::CREDENTIALS_REJECTED),
        "last_ok_at": health.last_ok_at,
        "last_catchup": partner.catchup.last(),
    }))
}
