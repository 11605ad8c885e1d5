//! The screens registry: which screens follow the live stream right now,
//! what each shows (a station, the expo, everything), where it connects
//! from, since when, and when it was last sent something; and `GET
//! /api/screens`, which lists them for Settings.
//!
//! What it owns: the in-memory list (a screen is in it from its connect
//! until its stream task ends) and the counts other parts ask for: all
//! screens ([`Screens::connected`], backup printing starts when there are
//! none) and one station's ([`Screens::live_for_station`], per-station
//! backup printing). It never stores anything: a restart starts it empty,
//! and the screens reconnect.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::Json;
use time::OffsetDateTime;

use super::wire::{ConnectedScreen, ScreenList};
use super::{ApiError, AppState};

/// The connected screens (cheap to clone; every clone is the same list).
#[derive(Debug, Clone, Default)]
pub struct Screens(Arc<Mutex<Registry>>);

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    screens: BTreeMap<u64, ConnectedScreen>,
}

/// What a screen says about itself when it connects.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Its display name (`?name=`), if it gave one.
    pub name: Option<String>,
    /// What it shows: a station, `expo`, or `None` for everything.
    pub screen: Option<String>,
    /// The station whose lines it shows, if any.
    pub station: Option<String>,
    pub remote: String,
}

impl Screens {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many screens follow the live stream now.
    pub fn connected(&self) -> usize {
        self.registry().screens.len()
    }

    /// How many screens show `station`'s lines now (any case).
    pub fn live_for_station(&self, station: &str) -> usize {
        self.registry().screens.values().filter(|s| s.station.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(station))).count()
    }

    /// Every connected screen, oldest connection first.
    pub fn list(&self) -> Vec<ConnectedScreen> {
        self.registry().screens.values().cloned().collect()
    }

    /// Counts a screen in until the returned guard drops.
    pub fn join(&self, arrival: Arrival, now: OffsetDateTime) -> ScreenGuard {
        let mut r = self.registry();
        r.next_id += 1;
        let id = r.next_id;
        let Arrival { name, screen, station, remote } = arrival;
        r.screens.insert(id, ConnectedScreen { id, name, screen, station, remote, connected_since: now, last_seen: now });
        ScreenGuard { screens: self.clone(), id }
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut ConnectedScreen)) {
        if let Some(s) = self.registry().screens.get_mut(&id) {
            f(s);
        }
    }
}

/// One connected screen; dropping it counts the screen out.
pub struct ScreenGuard {
    screens: Screens,
    id: u64,
}

impl ScreenGuard {
    /// The screen was just sent something.
    pub fn seen(&self, now: OffsetDateTime) {
        self.screens.update(self.id, |s| s.last_seen = now);
    }

    /// What the screen shows changed (its station was deleted, say).
    pub fn shows(&self, screen: Option<String>, station: Option<String>) {
        self.screens.update(self.id, |s| {
            s.screen = screen;
            s.station = station;
        });
    }
}

impl Drop for ScreenGuard {
    fn drop(&mut self) {
        self.screens.registry().screens.remove(&self.id);
    }
}

/// `GET /api/screens`.
pub async fn list(State(state): State<AppState>) -> Result<Json<ScreenList>, ApiError> {
    Ok(Json(ScreenList { screens: state.screens.list() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(station: Option<&str>) -> Arrival {
        Arrival { name: Some("tablet".into()), screen: station.map(str::to_string), station: station.map(str::to_string), remote: "10.0.0.9:5000".into() }
    }

    #[test]
    fn screens_count_in_and_out_and_per_station() {
        let screens = Screens::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        let grill = screens.join(arrival(Some("grill")), now);
        let all = screens.join(arrival(None), now);
        assert_eq!((screens.connected(), screens.live_for_station("Grill"), screens.live_for_station("drinks")), (2, 1, 0));
        grill.seen(now + time::Duration::seconds(15));
        assert_eq!(screens.list()[0].last_seen, now + time::Duration::seconds(15), "last seen follows what the stream sent");
        grill.shows(None, None);
        assert_eq!(screens.live_for_station("grill"), 0, "a screen whose station went away shows everything");
        drop(grill);
        drop(all);
        assert_eq!(screens.connected(), 0, "a screen counts out when its stream ends");
    }
}
