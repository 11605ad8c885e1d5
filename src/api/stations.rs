//! `GET/PUT /api/stations` (the station setup Settings edits) and
//! `GET /api/allday` (what a screen still has to cook).
//!
//! Thin: checking a setup, routing and counting are `kitchen`'s; saving and
//! moving the open tickets' lines are the store's, in one transaction.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use time::OffsetDateTime;

use super::wire::{AllDay, BrandInfo, StationSettings, StationSetup};
use super::{ApiError, AppState};
use crate::kitchen::screen::Screen;
use crate::kitchen::station::PALETTE;

/// `GET /api/stations`.
pub async fn get_stations(State(state): State<AppState>) -> Result<Json<StationSettings>, ApiError> {
    Ok(Json(settings(&state).await?))
}

/// `PUT /api/stations` with a whole [`StationSetup`]: checked (`422` names
/// the field), saved and put in force in one transaction, then the open
/// tickets' lines moved to their new stations before the answer (each move
/// is a `rerouted` entry in the ticket's log and a change on the live
/// stream; a ticket touched meanwhile is routed by the new setup anyway).
pub async fn put_stations(State(state): State<AppState>, body: Bytes) -> Result<Json<StationSettings>, ApiError> {
    let setup: StationSetup = serde_json::from_slice(&body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::Unprocessable { field: "body".into(), why: e.to_string() },
        _ => ApiError::BadRequest(format!("malformed JSON body: {e}")),
    })?;
    let setup = setup.normalized();
    setup.validate().map_err(|e| ApiError::Unprocessable { field: e.field, why: e.why })?;
    let now = OffsetDateTime::now_utc();
    let previous = state.kitchen.setup.get();
    let (cell, in_force) = (state.kitchen.setup.clone(), setup.clone());
    if let Err(e) = state.store.save_station_setup(&setup, now, move || cell.set(in_force)).await {
        // The job may have put the new setup in force before failing.
        state.kitchen.setup.set((*previous).clone());
        return Err(e.into());
    }
    // Routed by the setup in force when each ticket is written, so two
    // saves close together end with every line where the last one says.
    let kitchen = state.kitchen.clone();
    state.store.reroute_open_tickets(move |r| kitchen.reroute(r, &kitchen.setup.get(), now), || true).await?;
    Ok(Json(settings(&state).await?))
}

async fn settings(state: &AppState) -> Result<StationSettings, ApiError> {
    let setup = state.kitchen.setup.get();
    let seen = state.store.brands_seen().await?;
    let mut brands: Vec<BrandInfo> = seen
        .iter()
        .map(|b| BrandInfo {
            id: b.id,
            title: b.title.clone(),
            color: setup.brand_color(b.id, b.seen),
            prep_minutes: setup.brands.iter().find(|s| s.id == b.id).and_then(|s| s.prep_minutes),
        })
        .collect();
    for set in setup.brands.iter().filter(|s| !seen.iter().any(|b| b.id == s.id)) {
        let color = setup.brand_color(set.id, brands.len());
        brands.push(BrandInfo { id: set.id, title: None, color, prep_minutes: set.prep_minutes });
    }
    Ok(StationSettings {
        station_names: setup.station_names().into_iter().map(str::to_string).collect(),
        setup: (*setup).clone(),
        brands,
        palette: PALETTE.iter().map(|c| c.to_string()).collect(),
    })
}

/// `GET /api/allday?screen=NAME`: totals of the lines still to cook on the
/// board, by name and modifiers, for a station (or every station).
pub async fn allday(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<AllDay>, ApiError> {
    let screen = Screen::parse(q.get("screen").map(String::as_str), &state.kitchen.setup.get());
    let (seq, tickets) = state.store.open_tickets().await?;
    Ok(Json(AllDay { seq, screen: screen.name(), notice: screen.notice(), items: crate::kitchen::allday::counts(&screen, &tickets) }))
}
