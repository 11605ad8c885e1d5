//! `GET/PUT /api/settings`: what the board's settings view reads and
//! changes, persisted in `config.toml` in the data dir.
//!
//! The webhook secret is write-only: a `PUT` may set it (and the intake uses
//! it at once), but no answer ever contains it, only `secret_configured`.
//! Tunnel mode and status-name overrides are saved for the next start.

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tokio::sync::Mutex;

use super::wire::{ErrorBody, Settings as SettingsView, SettingsUpdate};
use super::AppState;
use crate::config::{self, ConfigError, ConfigFile, TunnelMode};
use crate::klikit::WebhookSecret;

/// Longest webhook secret accepted from the settings view.
const MAX_SECRET_LEN: usize = 512;

/// One settings change at a time: each is a read-modify-write of the file.
static SAVING: Mutex<()> = Mutex::const_new(());


/// Why a settings request failed. Only `Invalid` tells the client more than
/// that it failed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
    #[error("settings file: {0}")]
    File(#[from] ConfigError),
    #[error("settings task failed")]
    Task,
}

impl IntoResponse for SettingsError {
    fn into_response(self) -> Response {
        match self {
            SettingsError::Invalid(error) => (StatusCode::BAD_REQUEST, Json(ErrorBody { error, ticket: None })).into_response(),
            other => {
                tracing::error!(error = %other, "settings: cannot read or save config.toml");
                let body = ErrorBody { error: "cannot read or save the settings file".into(), ticket: None };
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
        }
    }
}

fn view(file: &ConfigFile, secret_configured: bool) -> SettingsView {
    let board = file.board.unwrap_or_default();
    SettingsView {
        secret_configured,
        warn_after_minutes: board.warn_after_minutes,
        late_after_minutes: board.late_after_minutes,
        chime: board.chime,
        chime_repeat: board.chime_repeat,
        tunnel: file.tunnel.unwrap_or_default(),
        status_names: file.status_names.clone(),
    }
}

async fn read(state: &AppState) -> Result<ConfigFile, SettingsError> {
    let dir = state.config.data_dir.clone();
    tokio::task::spawn_blocking(move || config::read_config_file(&dir)).await.map_err(|_| SettingsError::Task)?.map_err(Into::into)
}

pub async fn get_settings(State(state): State<AppState>) -> Result<Json<SettingsView>, SettingsError> {
    let file = read(&state).await?;
    Ok(Json(view(&file, state.intake.secret_configured())))
}

pub async fn put_settings(
    State(state): State<AppState>,
    update: Result<Json<SettingsUpdate>, JsonRejection>,
) -> Result<Json<SettingsView>, SettingsError> {
    let Json(update) = update.map_err(|e| SettingsError::Invalid(format!("unreadable settings: {}", e.body_text())))?;
    let _one_at_a_time = SAVING.lock().await;
    let mut file = read(&state).await?;
    let secret = apply(&mut file, update)?;
    let dir = state.config.data_dir.clone();
    let saved = file.clone();
    tokio::task::spawn_blocking(move || config::save_config_file(&dir, &saved)).await.map_err(|_| SettingsError::Task)??;
    if let Some(secret) = secret {
        // The new secret first; a previous one from the environment or the
        // file stays accepted while klikit catches up.
        let mut secrets = vec![secret];
        secrets.extend(state.config.webhook_secret_previous.iter().cloned());
        state.intake.set_secrets(secrets);
        tracing::info!("webhook secret changed from the settings view");
    }
    Ok(Json(view(&file, state.intake.secret_configured())))
}

/// Validates `update` and applies it to `file`. Returns the new webhook
/// secret when there is one. Leaves `file` untouched on an error.
fn apply(file: &mut ConfigFile, update: SettingsUpdate) -> Result<Option<WebhookSecret>, SettingsError> {
    let secret = match update.webhook_secret.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) if s.len() > MAX_SECRET_LEN => return Err(SettingsError::Invalid(format!("the webhook secret is longer than {MAX_SECRET_LEN} characters"))),
        Some(s) => Some(WebhookSecret::new(s).ok_or_else(|| SettingsError::Invalid("the webhook secret is empty".into()))?),
    };
    let mut board = file.board.unwrap_or_default();
    board.warn_after_minutes = update.warn_after_minutes.unwrap_or(board.warn_after_minutes);
    board.late_after_minutes = update.late_after_minutes.unwrap_or(board.late_after_minutes);
    board.chime = update.chime.unwrap_or(board.chime);
    board.chime_repeat = update.chime_repeat.unwrap_or(board.chime_repeat);
    board.validate().map_err(|e| SettingsError::Invalid(e.to_string()))?;
    let status_names = match update.status_names {
        Some(names) => status_names(names)?,
        None => file.status_names.clone(),
    };
    if update.tunnel == Some(TunnelMode::Named) && file.tunnel_token.is_none() {
        return Err(SettingsError::Invalid("a named tunnel needs its token: set KDS_TUNNEL_TOKEN or tunnel_token in config.toml first".into()));
    }

    if let Some(s) = &update.webhook_secret {
        if secret.is_some() {
            file.webhook_secret = Some(s.trim().to_string());
        }
    }
    file.board = Some(board);
    file.status_names = status_names;
    if let Some(mode) = update.tunnel {
        file.tunnel = Some(mode);
    }
    Ok(secret)
}

fn status_names(names: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, SettingsError> {
    let mut out = BTreeMap::new();
    for (code, name) in names {
        let number = code.trim().parse::<i64>().map_err(|_| SettingsError::Invalid(format!("status code {code:?} is not a number")))?;
        let name = name.trim().to_ascii_uppercase();
        if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(SettingsError::Invalid(format!("status name for {number} must be 1-40 letters, digits or _")));
        }
        out.insert(number.to_string(), name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn update(json: serde_json::Value) -> SettingsUpdate {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_change_is_validated_before_anything_is_applied() {
        let mut file = ConfigFile::default();
        let err = apply(&mut file, update(json!({"webhook_secret": "new-secret", "warn_after_minutes": 12, "late_after_minutes": 8}))).unwrap_err();
        assert!(matches!(err, SettingsError::Invalid(_)), "amber after red is refused");
        assert!(file.webhook_secret.is_none(), "a refused change leaves the secret as it was");
        assert!(file.board.is_none());
    }

    #[test]
    fn an_empty_secret_keeps_the_old_one_and_a_new_one_is_returned_for_the_intake() {
        let mut file = ConfigFile { webhook_secret: Some("old".into()), ..Default::default() };
        assert!(apply(&mut file, update(json!({"webhook_secret": "  "}))).unwrap().is_none());
        assert_eq!(file.webhook_secret.as_deref(), Some("old"), "a blank field in the form is not a new secret");
        let new = apply(&mut file, update(json!({"webhook_secret": " new-secret\n"}))).unwrap();
        assert_eq!(new, Some(WebhookSecret::new("new-secret").unwrap()), "a pasted trailing newline is not part of the secret");
        assert_eq!(file.webhook_secret.as_deref(), Some("new-secret"));
    }

    #[test]
    fn status_names_are_numbers_to_plain_names() {
        let mut file = ConfigFile::default();
        apply(&mut file, update(json!({"status_names": {"5": "ready", " 12 ": "on_hold"}}))).unwrap();
        assert_eq!(file.status_names.get("5").map(String::as_str), Some("READY"));
        assert_eq!(file.status_names.get("12").map(String::as_str), Some("ON_HOLD"));
        assert!(apply(&mut file, update(json!({"status_names": {"five": "READY"}}))).is_err());
        assert!(apply(&mut file, update(json!({"status_names": {"5": "<b>x</b>"}}))).is_err(), "names are plain words");
    }

    #[test]
    fn the_view_never_holds_the_secret() {
        let file = ConfigFile { webhook_secret: Some("whsec-never-shown".into()), ..Default::default() };
        let shown = serde_json::to_string(&view(&file, true)).unwrap();
        assert!(!shown.contains("whsec-never-shown"), "{shown}");
        assert!(shown.contains("\"secret_configured\":true"));
    }
}
