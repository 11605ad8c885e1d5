//! `GET /api/diagnostics.zip`: the "Export diagnostics" button. Gathers the
//! reports from the running kds and hands them to [`crate::diagnostics`],
//! which writes the zip with every secret masked. Behind the API token like
//! every `/api/` route.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

/// How many recent deliveries the zip lists.
const DELIVERIES: usize = 200;

pub async fn export(State(state): State<AppState>) -> Result<Response, ApiError> {
    let health = super::health::snapshot(&state).await?;
    let deliveries = super::tickets::delivery_list(&state, DELIVERIES).await?;
    let about = super::about::of(&state);
    let mut secrets: Vec<String> = state.intake.accepted_secrets().iter().map(|s| s.expose().to_string()).collect();
    if let Some(keys) = state.partner.as_ref().and_then(|p| p.client.config()) {
        secrets.extend([keys.partner_key.clone(), keys.secret_key().to_string()]);
    }
    let config = state.config.clone();
    let zip = tokio::task::spawn_blocking(move || {
        let reports = crate::diagnostics::Reports { about: &about, health: &health, deliveries: &deliveries };
        crate::diagnostics::build(&config, reports, &secrets)
    })
    .await
    .map_err(|_| ApiError::Internal("the diagnostics task failed".into()))?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let headers = [
        (header::CONTENT_TYPE, "application/zip"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"kds-diagnostics.zip\""),
        (header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, zip).into_response())
}
