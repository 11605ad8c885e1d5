//! Backup printing: a backup printer prints the board's tickets only while
//! no screen has been watching the board for its `backup_after` (30 s by
//! default), and stops as soon as one is back. A station's backup printer
//! does the same for that station: it prints the station's lines while no
//! screen shows that station.
//!
//! It watches the live screens that the live stream keeps
//! ([`crate::api::Screens`]: how many, and which station each shows) four
//! times a second and sets each backup printer's flag, which the print
//! plan reads. A kds that starts with no
//! screen counts from its start. It runs whether or not a backup printer
//! is configured yet (one may be added from the settings view).
//!
//! What it never does: print. Tickets that arrive while the flag is on get
//! a BACKUP job from the plan, in their own transaction.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::Printing;
use crate::api::Screens;
use crate::shutdown::Shutdown;

const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Runs until `shutdown`.
pub async fn watch(printing: Printing, screens: Screens, mut shutdown: Shutdown) {
    // Since when each watched thing has had no screen: the board (`None`),
    // or a station (its name in lower case). Absent: a screen shows it.
    let mut dark_since: HashMap<Option<String>, Instant> = HashMap::new();
    loop {
        let now = Instant::now();
        // Read afresh each time: printers come and go from the settings view.
        for e in printing.entries() {
            let p = e.printer();
            if !p.backup {
                continue;
            }
            let key = p.backup_station.as_ref().map(|s| s.to_lowercase());
            let watched = match &key {
                None => screens.connected() > 0,
                Some(station) => screens.live_for_station(station) > 0,
            };
            if watched {
                dark_since.remove(&key);
            } else {
                // A kds that starts with no screen counts from its start (the
                // first pass), a printer added later from when it is added.
                dark_since.entry(key.clone()).or_insert(now);
            }
            e.set_backup(dark_since.get(&key).is_some_and(|since| now - *since >= p.backup_after));
        }
        tokio::select! {
            _ = tokio::time::sleep(CHECK_EVERY) => {}
            _ = shutdown.wait() => return,
        }
    }
}
