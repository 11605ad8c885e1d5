//! The app listener: the board's JSON API, its live stream, and (later) the
//! board itself. Bound to loopback by default.
//!
//! Handlers are thin: they translate HTTP to calls on `store`, `kitchen` and
//! `intake`, and back. This module never runs SQL itself.

mod health;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::get;
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
    /// Turns true when the server shuts down; long-lived streams end on it.
    pub shutdown: watch::Receiver<bool>,
}

/// The app listener's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health::health))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))) })
        .with_state(state)
}
