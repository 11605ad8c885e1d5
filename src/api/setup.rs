//! `GET /api/setup`: what the board's first-run setup shows: whether it is
//! needed (no webhook secret yet), the tunnel and cloudflared's state with
//! install help for this operating system, the webhook URL to give klikit,
//! and the brand and branch ids seen so far. Changes go through
//! `PUT /api/settings` and `POST /api/selftest`, like everywhere else.

use axum::extract::State;
use axum::Json;

use super::wire::{Setup, TunnelHealth};
use super::{ApiError, AppState};
use crate::tunnel::{install, process};

/// Most (brand, branch) pairs listed.
const SEEN: usize = 20;

pub async fn setup(State(state): State<AppState>) -> Result<Json<Setup>, ApiError> {
    let seen = state.store.seen_ids(SEEN).await?;
    let wanted = state.tunnel_control.current();
    let status = state.tunnel.borrow().clone();
    let base = status.url.clone().or_else(|| wanted.public_url.clone());
    let path_var = std::env::var_os("PATH");
    let os = std::env::consts::OS;
    Ok(Json(Setup {
        needed: !state.intake.secret_configured(),
        secret_configured: state.intake.secret_configured(),
        tunnel: TunnelHealth::new(&status, wanted.mode),
        public_url: wanted.public_url,
        webhook_url: base.map(|b| format!("{}/webhooks/klikit", b.trim_end_matches('/'))),
        cloudflared_found: process::find_program(state.config.cloudflared.as_deref(), path_var.as_deref()).is_some(),
        os: install::os_name(os).to_string(),
        install_help: install::help(os),
        seen: seen.into_iter().map(Into::into).collect(),
    }))
}
