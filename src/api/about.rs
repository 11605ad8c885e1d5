//! `GET /api/about`: the version, the data dir and the listeners, for the
//! About section in Settings and the diagnostics zip. Holds nothing secret.

use axum::extract::State;
use axum::Json;

use super::wire::About;
use super::AppState;

pub async fn about(State(state): State<AppState>) -> Json<About> {
    Json(of(&state))
}

/// The About answer for this running kds.
pub fn of(state: &AppState) -> About {
    let data_dir = &state.config.data_dir;
    About {
        version: crate::diagnostics::VERSION.to_string(),
        data_dir: data_dir.display().to_string(),
        log_file: crate::logs::path(data_dir).display().to_string(),
        intake_listen: state.intake_addr.to_string(),
        app_listen: state.app_addr.to_string(),
        webhook_path: "/webhooks/klikit".to_string(),
    }
}
