//! The app listener: the board's JSON API, its live stream, and (later) the
//! board itself. Bound to loopback by default.
//!
//! Handlers are thin: they translate HTTP to calls on `store`, `kitchen` and
//! `intake`, and back. This module never runs SQL itself. Errors leave as
//! [`ApiError`], which logs internal causes and sends the client only
//! `{"error": "..."}` (plus the current ticket on a 409).
//!
//! Every request passes [`guard`] first: `Host` and `Origin` checks against
//! DNS rebinding, and a bearer token on `/api/` when bound beyond loopback.

mod guard;
mod health;
mod live;
mod tickets;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

use crate::alert::Alerts;
use crate::config::Config;
use crate::intake::Intake;
use crate::kitchen::{Kitchen, Ticket};
use crate::store::{Store, StoreError};

/// What every handler on the app listener can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub intake: Intake,
    pub config: Arc<Config>,
    pub alerts: Alerts,
    /// The kitchen rules screens act through.
    pub kitchen: Arc<Kitchen>,
    /// Where the app listener is bound (for the Host check).
    pub app_addr: SocketAddr,
    /// Where the intake listener is bound (shown in health).
    pub intake_addr: SocketAddr,
    /// Turns true when the server shuts down; long-lived streams end on it.
    pub shutdown: watch::Receiver<bool>,
}

/// The app listener's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health::health))
        .route("/api/tickets", get(tickets::open))
        .route("/api/tickets/{order_id}", get(tickets::one))
        .route("/api/tickets/{order_id}/{action}", post(tickets::act))
        .route("/api/done", get(tickets::done))
        .route("/api/deliveries", get(tickets::deliveries))
        .route("/api/live", get(live::live))
        .fallback(|| async { ApiError::NotFound("not found") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::guard))
        .with_state(state)
}

/// Every way an API call can fail, each with one status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    BadRequest(String),
    /// The action is illegal now; the client gets the current ticket.
    #[error("{reason}")]
    Conflict { reason: String, ticket: Box<Ticket> },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, json!({"error": what})),
            ApiError::BadRequest(why) => (StatusCode::BAD_REQUEST, json!({"error": why})),
            ApiError::Conflict { reason, ticket } => (StatusCode::CONFLICT, json!({"error": reason, "ticket": ticket})),
            ApiError::Forbidden(why) => (StatusCode::FORBIDDEN, json!({"error": why})),
            ApiError::Unauthorized(why) => {
                let mut res = (StatusCode::UNAUTHORIZED, Json(json!({"error": why}))).into_response();
                res.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
                return res;
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "api: store error");
                (StatusCode::SERVICE_UNAVAILABLE, json!({"error": "temporarily unavailable, retry"}))
            }
        };
        (status, Json(body)).into_response()
    }
}
