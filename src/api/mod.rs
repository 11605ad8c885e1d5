//! The app listener: the board's JSON API, its live stream, the settings the
//! board changes, and the board itself (`board`: embedded `ui/dist`, served
//! with a strict Content-Security-Policy). Bound to loopback by default.
//!
//! Handlers are thin: they translate HTTP to calls on `store`, `kitchen` and
//! `intake`, and back. This module never runs SQL itself.

pub mod board;
mod health;
mod settings;

use std::sync::Arc;

use axum::middleware::map_response;
use axum::routing::get;
use axum::Router;
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
        .route("/api/settings", get(settings::get_settings).put(settings::put_settings))
        .fallback(board::serve)
        .layer(map_response(board::security_headers))
        .with_state(state)
}
