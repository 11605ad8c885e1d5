//! `POST /api/selftest`: runs the first-delivery self-test from the server
//! (the settings and diagnostics views' button) and answers its hop report.

use std::time::Duration;

use axum::extract::State;
use axum::Json;

use super::AppState;
use crate::selftest::{self, SelftestPlan, SelftestReport};

pub async fn selftest(State(state): State<AppState>) -> Json<SelftestReport> {
    let public_url = state.tunnel.borrow().url.clone().or_else(|| state.tunnel_control.current().public_url);
    let plan = SelftestPlan {
        intake_url: selftest::local_url(state.intake_addr),
        app_url: selftest::local_url(state.app_addr),
        public_url,
        secret: state.intake.current_secret(),
        api_token: state.config.api_token.clone(),
        shown_timeout: Duration::from_secs(10),
    };
    Json(selftest::run(plan).await)
}
