//! The app listener: the board's JSON API, its live stream, and (later) the
//! board itself. Bound to loopback by default.
//!
//! Handlers are thin: they translate HTTP to calls on `store`, `kitchen` and
//! `intake`, and back. This module never runs SQL itself.

mod health;
mod selftest;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

use crate::alert::Alerts;
use crate::config::Config;
use crate::intake::Intake;
use crate::store::Store;

/// What every handler on the app listener can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub intake: Intake,
    pub config: Arc<Config>,
    pub alerts: Alerts,
    /// Where the app listener is bound (for the Host check).
    pub app_addr: SocketAddr,
    /// Where the intake listener is bound (shown in health).
    pub intake_addr: SocketAddr,
    /// Turns true when the server shuts down; long-lived streams end on it.
    pub shutdown: watch::Receiver<bool>,
    /// The tunnel supervisor's status (`off` when there is none).
    pub tunnel: watch::Receiver<crate::tunnel::TunnelStatus>,
}

/// The app listener's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health::health))
        .route("/api/selftest", post(selftest::selftest))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))) })
        .with_state(state)
}
