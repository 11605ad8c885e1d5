//! Backup printing: a backup printer prints the board's tickets only while
//! no screen has been watching the board for its `backup_after` (30 s by
//! default), and stops as soon as one is back.
//!
//! It watches the count of live screens that the live stream keeps
//! ([`crate::api::Screens`]) four times a second and sets each backup
//! printer's flag, which the print plan reads. A kds that starts with no
//! screen counts from its start. It runs whether or not a backup printer
//! is configured yet (one may be added from the settings view).
//!
//! What it never does: print. Tickets that arrive while the flag is on get
//! a BACKUP job from the plan, in their own transaction.

use std::time::Duration;

use tokio::time::Instant;

use super::Printing;
use crate::api::Screens;
use crate::shutdown::Shutdown;

const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Runs until `shutdown`.
pub async fn watch(printing: Printing, screens: Screens, mut shutdown: Shutdown) {
    let mut dark_since = Some(Instant::now());
    loop {
        let now = Instant::now();
        if screens.connected() > 0 {
            dark_since = None;
        } else if dark_since.is_none() {
            dark_since = Some(now);
        }
        // Read afresh each time: printers come and go from the settings view.
        for e in printing.entries() {
            let p = e.printer();
            if p.backup {
                e.set_backup(dark_since.is_some_and(|since| now - since >= p.backup_after));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(CHECK_EVERY) => {}
            _ = shutdown.wait() => return,
        }
    }
}
