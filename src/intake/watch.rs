//! The receiver-down watch: whether signed deliveries can be stored.
//!
//! When a signed delivery cannot be stored (the 503 of the answer table),
//! klikit's orders are being turned away: the intake raises
//! `Alert::ReceiverDown` once, and `Alert::ReceiverUp` when a delivery is
//! stored again. It owns that hysteresis; it never answers a request.

use time::OffsetDateTime;

use super::{Accepted, Intake, IntakeError};
use crate::alert::Alert;
use crate::store::StoreError;

impl Intake {
    /// Raises `ReceiverDown` when a signed delivery could not be stored, and
    /// `ReceiverUp` once storing works again; each once per change (see
    /// [`StorageWatch`]).
    pub(super) fn watch_storage(&self, result: &Result<Accepted, IntakeError>, now: OffsetDateTime) {
        let failure = match result {
            Ok(_) => None,
            Err(IntakeError::Store(e)) => Some(e),
            Err(_) => return,
        };
        let changed = self.storage.lock().unwrap().observe(failure.is_none(), now);
        match (changed, failure) {
            (Some(true), _) => {
                tracing::info!("deliveries are being stored again");
                self.alerts.raise(Alert::ReceiverUp);
            }
            (Some(false), Some(e)) => {
                let cause = match e {
                    StoreError::Full => "the disk is full",
                    StoreError::Busy => "the database is busy",
                    _ => "storage failed (see the log)",
                };
                self.alerts.raise(Alert::ReceiverDown { reason: format!("{cause}: klikit's orders are refused (503) and retried by klikit") });
            }
            _ => {}
        }
    }
}

/// Whether signed deliveries can be stored, with hysteresis: the first
/// delivery that cannot be stored turns it down, and a delivery stored once
/// [`StorageWatch::QUIET`] has passed without a failure turns it up again.
/// On a nearly full disk small deliveries still fit between refused ones
/// (and a failed commit takes the deliveries batched with it down too), so
/// "one stored" is no sign of room: without this the alert would flap.
#[derive(Debug, Default)]
pub(super) struct StorageWatch {
    down: bool,
    last_failure: Option<OffsetDateTime>,
}

impl StorageWatch {
    const QUIET: time::Duration = time::Duration::seconds(10);

    /// Folds in one attempt; returns the new state when it changed
    /// (`Some(true)`: up again, `Some(false)`: down).
    fn observe(&mut self, stored: bool, now: OffsetDateTime) -> Option<bool> {
        if !stored {
            self.last_failure = Some(now);
            return (!std::mem::replace(&mut self.down, true)).then_some(false);
        }
        let quiet = self.last_failure.is_none_or(|t| now - t >= Self::QUIET);
        if self.down && quiet {
            self.down = false;
            return Some(true);
        }
        None
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_watch_turns_down_at_once_and_up_only_when_storing_holds() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let s = time::Duration::seconds;
        let mut w = StorageWatch::default();
        assert_eq!(w.observe(true, t0), None, "up from the start: nothing to say");
        assert_eq!(w.observe(false, t0), Some(false), "the first refusal turns the receiver down");
        assert_eq!(w.observe(false, t0 + s(1)), None, "already down: said once");
        for i in 2..10 {
            assert_eq!(w.observe(true, t0 + s(i)), None, "deliveries squeezed in soon after a refusal do not mean there is room");
        }
        assert_eq!(w.observe(false, t0 + s(10)), None, "still down: no flapping");
        assert_eq!(w.observe(true, t0 + s(20)), Some(true), "stored after a quiet 10 s: up again");
        assert_eq!(w.observe(true, t0 + s(21)), None, "already up");
        assert_eq!(w.observe(false, t0 + s(22)), Some(false));
    }
}
