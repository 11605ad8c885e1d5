//! `GET /api/health`: is the receiver able to take deliveries, and is the
//! kitchen keeping up? The same body goes out as the live stream's `health`
//! event.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use time::OffsetDateTime;

use super::wire::{ApplierHealth, Health, HealthUnavailable, IntakeHealth, KlikitHealth, StoreDown, StoreHealth, StoreStatus, TunnelHealth};
use super::AppState;
use crate::store::StoreError;

pub async fn health(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health: store unreadable");
            let body = HealthUnavailable { store: StoreDown { status: StoreStatus::Unavailable } };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// The health body.
pub async fn snapshot(state: &AppState) -> Result<Health, StoreError> {
    let stats = state.intake.stats();
    let counts = state.store.inbox_counts().await?;
    let oldest_pending = state.store.oldest_pending_received_at().await?;
    let lag_ms = oldest_pending.map(|t| (OffsetDateTime::now_utc() - t).whole_milliseconds().max(0) as i64).unwrap_or(0);
    // Before the tunnel's borrow below: a watch guard must not live across an await.
    let klikit = klikit_health(state).await?;
    // Awaited before the tunnel's watch guard is taken: a guard held across
    // an await would make this future not Send.
    let printers = super::printers::health(state).await?;
    Ok(Health {
        intake: IntakeHealth {
            secret_configured: state.intake.secret_configured(),
            listen: state.intake_addr.to_string(),
            received: stats.received,
            duplicates: stats.duplicates,
            invalid_signature: stats.invalid_signature,
            unprocessable: stats.unprocessable,
            store_unavailable: stats.store_unavailable,
            last_received_at: counts.last_received_at,
        },
        store: StoreHealth { status: if state.store.read_only() { StoreStatus::ReadOnly } else if state.store.corrupt() { StoreStatus::Corrupt } else { StoreStatus::Ok }, deliveries: counts.total, unprocessable: counts.unprocessable },
        applier: ApplierHealth { pending: counts.pending, lag_ms },
        tunnel: TunnelHealth::new(&state.tunnel.borrow(), state.tunnel_control.current().mode),
        printers,
        klikit,
    })
}

/// The `"klikit"` object behind the header chip: `state` is `off` (no
/// partner keys), `rejected` (klikit refused our keys; the outbox is
/// paused), `failing` (actions failed, since `failing_since`), `waiting` (N
/// actions not yet confirmed) or `ok`.
pub async fn klikit_health(state: &AppState) -> Result<KlikitHealth, StoreError> {
    let Some(partner) = &state.partner else { return Ok(KlikitHealth::default()) };
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
    Ok(KlikitHealth {
        state: chip.into(),
        waiting: counts.waiting,
        failed: counts.failed,
        sent: counts.sent,
        failing_since: counts.failing_since.or(health.credentials_rejected_since.clone()),
        reason: health.credentials_rejected_since.as_ref().map(|_| crate::partner::sender::CREDENTIALS_REJECTED.to_string()),
        last_ok_at: health.last_ok_at,
        last_catchup: Some(serde_json::to_value(partner.catchup.last()).unwrap_or_default()),
    })
}
