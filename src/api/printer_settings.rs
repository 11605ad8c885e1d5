//! Adding, changing and removing printers from the board's settings view:
//! `GET/POST /api/printers`, `PUT/DELETE /api/printers/{name}`.
//!
//! Printers live where an installer would write them by hand: the
//! `[[printers]]` tables of `config.toml`, saved atomically like the rest of
//! Settings (one file holds every setting, survives a backup of the data
//! dir, and needs no migration). Every change is checked by the core
//! (`printing::printer`), answered `422` with the reason when it is wrong,
//! saved, and then applied to the running printers without a restart.
//!
//! What it never does: talk to a printer, or touch the print queue except
//! to drop the jobs of a printer that was removed (they could never print).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use time::OffsetDateTime;

use super::settings::{self, SettingsError, SAVING};
use super::wire::{ErrorBody, PrinterList};
use super::AppState;
use crate::config::{self, ConfigFile};
use crate::printing::printer::validate_all;
use crate::printing::PrinterConfig;

/// Why a printer change was refused or failed. Only `Invalid` and
/// `NotFound` tell the client more than that it failed.
#[derive(Debug, thiserror::Error)]
pub enum PrinterSettingsError {
    /// The body is not JSON at all.
    #[error("{0}")]
    Unreadable(String),
    /// JSON, but not a valid printer (or a clash with another one).
    #[error("{0}")]
    Invalid(String),
    #[error("no such printer")]
    NotFound,
    #[error("{0}")]
    Settings(#[from] SettingsError),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl IntoResponse for PrinterSettingsError {
    fn into_response(self) -> Response {
        let answer = |status, error: String| (status, Json(ErrorBody { error, field: None, ticket: None })).into_response();
        match self {
            PrinterSettingsError::Unreadable(why) => answer(StatusCode::BAD_REQUEST, why),
            PrinterSettingsError::Invalid(why) => answer(StatusCode::UNPROCESSABLE_ENTITY, why),
            PrinterSettingsError::NotFound => answer(StatusCode::NOT_FOUND, "no such printer".into()),
            PrinterSettingsError::Settings(e) => e.into_response(),
            PrinterSettingsError::Store(e) => {
                tracing::error!(error = %e, "printer settings: cannot drop a removed printer's jobs");
                answer(StatusCode::INTERNAL_SERVER_ERROR, "the printer was removed, but its waiting jobs could not be cleared".into())
            }
        }
    }
}

/// A body that is JSON but not a printer is a 422 naming the field;
/// one that is not JSON at all, a 400.
fn body(given: Result<Json<PrinterConfig>, JsonRejection>) -> Result<PrinterConfig, PrinterSettingsError> {
    match given {
        Ok(Json(p)) => Ok(p),
        Err(JsonRejection::JsonDataError(e)) => Err(PrinterSettingsError::Invalid(format!("not a printer: {}", e.body_text()))),
        Err(e) => Err(PrinterSettingsError::Unreadable(format!("unreadable printer: {}", e.body_text()))),
    }
}

fn list(file: &ConfigFile) -> PrinterList {
    PrinterList { printers: file.printers.clone() }
}

/// `GET /api/printers`: the printers as saved.
pub async fn list_printers(State(state): State<AppState>) -> Result<Json<PrinterList>, PrinterSettingsError> {
    Ok(Json(list(&settings::read(&state).await?)))
}

/// `POST /api/printers`: adds a printer (201).
pub async fn add_printer(State(state): State<AppState>, given: Result<Json<PrinterConfig>, JsonRejection>) -> Result<(StatusCode, Json<PrinterList>), PrinterSettingsError> {
    let printer = body(given)?;
    let saved = change(&state, move |printers| {
        if printers.iter().any(|p| p.name.trim() == printer.name.trim()) {
            return Err(PrinterSettingsError::Invalid(format!("a printer named {:?} already exists", printer.name.trim())));
        }
        printers.push(printer);
        Ok(())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// `PUT /api/printers/{name}`: replaces a printer's settings. The name
/// cannot change (it keys the printer's queue): remove and add instead.
pub async fn update_printer(State(state): State<AppState>, Path(name): Path<String>, given: Result<Json<PrinterConfig>, JsonRejection>) -> Result<Json<PrinterList>, PrinterSettingsError> {
    let printer = body(given)?;
    let saved = change(&state, move |printers| {
        let slot = printers.iter_mut().find(|p| p.name.trim() == name).ok_or(PrinterSettingsError::NotFound)?;
        if printer.name.trim() != name {
            return Err(PrinterSettingsError::Invalid(format!(
                "a printer's name cannot change ({name:?} to {:?}): remove it and add a new one",
                printer.name.trim()
            )));
        }
        *slot = printer;
        Ok(())
    })
    .await?;
    Ok(Json(saved))
}

/// `DELETE /api/printers/{name}`: removes a printer; the jobs still
/// waiting for it are dropped (nothing would ever print them).
pub async fn remove_printer(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<PrinterList>, PrinterSettingsError> {
    let gone = name.clone();
    let saved = change(&state, move |printers| {
        let before = printers.len();
        printers.retain(|p| p.name.trim() != gone);
        if printers.len() == before {
            return Err(PrinterSettingsError::NotFound);
        }
        Ok(())
    })
    .await?;
    let dropped = state.store.drop_waiting_print_jobs(&name, "the printer was removed", OffsetDateTime::now_utc()).await?;
    if dropped > 0 {
        tracing::warn!(printer = %name, dropped, "printing: printer removed with jobs waiting; they are dropped");
    }
    Ok(Json(saved))
}

/// One change to the printers: read the file, change its list, check the
/// whole list, save it atomically, then apply it to the running senders.
/// A refused change leaves the file and the printers as they were.
async fn change(state: &AppState, edit: impl FnOnce(&mut Vec<PrinterConfig>) -> Result<(), PrinterSettingsError>) -> Result<PrinterList, PrinterSettingsError> {
    let _one_at_a_time = SAVING.lock().await;
    let mut file = settings::read(state).await?;
    edit(&mut file.printers)?;
    let printers = validate_all(&file.printers).map_err(PrinterSettingsError::Invalid)?;
    // Saved as checked: trimmed names, so the file and the queue agree.
    for (saved, checked) in file.printers.iter_mut().zip(&printers) {
        saved.name = checked.name.clone();
    }
    let dir = state.config.data_dir.clone();
    let saved = file.clone();
    tokio::task::spawn_blocking(move || config::save_config_file(&dir, &saved))
        .await
        .map_err(|_| SettingsError::Task)?
        .map_err(SettingsError::from)?;
    state.printing.reconfigure(printers);
    Ok(list(&file))
}
