//! Maintenance: the kitchen's night work (pruning to the retention policy,
//! shrinking the file, the nightly backup), run at a quiet moment.
//!
//! A quiet moment is the quiet hour (04:00 local by default) or a stretch
//! without deliveries (10 minutes by default). Pruning goes in small batches
//! through the store's one writer, with a pause after each, so a delivery
//! that arrives meanwhile waits at most one short batch. The nightly backup
//! runs once per local day, in the quiet hour.
//!
//! The decisions are pure functions of times passed in ([`prune_due`],
//! [`backup_due`]); only the loop reads the clock.
//!
//! What it owns: the schedule and the pacing. What it never does: SQL (that
//! is `store::retention` and `store::backup`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use tokio::task::JoinHandle;

use crate::shutdown::Shutdown;
use crate::store::{Pruned, RetentionPolicy, Store};

/// Rows per pruning batch: small enough that a delivery queued behind one
/// waits a few milliseconds. At a year's scale a batch of 200 (bodies and
/// inbox rows deleted, log entries unlinked) held the writer long enough
/// that the worst ack of a nightly pass was 6 times the idle p99
/// (`benches/year.rs`, `bench/RESULTS.md`).
pub const BATCH_ROWS: usize = 50;
/// Pause after each batch: the writer's time for everyone else.
pub const BATCH_PAUSE: Duration = Duration::from_millis(20);
/// Free pages handed back per vacuum step. A step moves pages from the end
/// of the file into the holes and holds the writer meanwhile: 256 pages took
/// 27 ms (median) to 128 ms on a loaded disk and put the ack p99 at 2.78
/// times idle while the vacuum ran; with 64 it was 0.4 to 1.8 times
/// (`benches/year.rs`, `bench/RESULTS.md`).
pub const VACUUM_STEP_PAGES: u32 = 64;
/// A pass is not repeated sooner than this.
const PASS_INTERVAL: Duration = Duration::from_secs(3600);
/// How often the schedule is looked at.
const TICK: Duration = Duration::from_secs(60);

/// `[retention]` in `config.toml`: how long things are kept and when the
/// night work runs. Every key is optional. The settings view edits it too;
/// a change takes effect at the next start.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Days raw delivery bodies are kept.
    pub body_days: u32,
    /// Days event ids and body hashes are kept (klikit replays are
    /// recognised this long).
    pub dedupe_days: u32,
    /// Days closed tickets and their log are kept.
    pub ticket_days: u32,
    /// Local hour (0 to 23) of the nightly backup and pruning.
    pub quiet_hour: u8,
    /// Minutes without a delivery after which pruning may run anyway.
    pub idle_minutes: u32,
    /// Write the nightly backup into `backups/`.
    pub nightly_backup: bool,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        let p = RetentionPolicy::default();
        RetentionSettings { body_days: p.body_days, dedupe_days: p.dedupe_days, ticket_days: p.ticket_days, quiet_hour: 4, idle_minutes: 10, nightly_backup: true }
    }
}

impl RetentionSettings {
    /// The periods, for the store.
    pub fn policy(&self) -> RetentionPolicy {
        RetentionPolicy { body_days: self.body_days, dedupe_days: self.dedupe_days, ticket_days: self.ticket_days }
    }

    /// Names the problem when a value makes no sense.
    pub fn check(&self) -> Result<(), String> {
        self.policy().check()?;
        if self.quiet_hour > 23 {
            return Err(format!("quiet_hour must be 0 to 23, not {}", self.quiet_hour));
        }
        Ok(())
    }
}

/// Should a pruning pass start? At the quiet hour, or after `idle_minutes`
/// without deliveries; and not again within the hour.
pub fn prune_due(settings: &RetentionSettings, local_hour: u8, since_last_delivery: Option<Duration>, since_last_pass: Option<Duration>) -> bool {
    let idle = since_last_delivery.is_none_or(|d| d >= Duration::from_secs(settings.idle_minutes as u64 * 60));
    (local_hour == settings.quiet_hour || idle) && since_last_pass.is_none_or(|d| d >= PASS_INTERVAL)
}

/// Should tonight's backup be written? In the quiet hour, once per local day.
pub fn backup_due(settings: &RetentionSettings, local_hour: u8, today: Date, last_backup: Option<Date>) -> bool {
    settings.nightly_backup && local_hour == settings.quiet_hour && last_backup != Some(today)
}

/// Runs one whole pruning pass under `policy` as of `now`, then hands the
/// freed pages back. Stops early (at a batch boundary) when `shutdown`
/// fires; the next pass resumes.
pub async fn prune_pass(store: &Store, policy: RetentionPolicy, now: OffsetDateTime, pause: Duration, shutdown: &Shutdown) -> Pruned {
    let mut total = Pruned::default();
    while !shutdown.is_stopping() {
        match store.prune_batch(policy, now, BATCH_ROWS).await {
            Ok(p) if p.is_empty() => break,
            Ok(p) => total.add(p),
            Err(e) => {
                tracing::warn!(error = %e, "maintenance: a pruning batch failed; the next pass resumes");
                return total;
            }
        }
        tokio::time::sleep(pause).await;
    }
    while !shutdown.is_stopping() {
        let step = std::time::Instant::now();
        match store.release_free_pages(VACUUM_STEP_PAGES).await {
            Ok(0) => break,
            Ok(_) => tokio::time::sleep(vacuum_pause(step.elapsed(), pause)).await,
            Err(e) => {
                tracing::warn!(error = %e, "maintenance: an incremental vacuum step failed");
                break;
            }
        }
    }
    total
}

/// The pause after a vacuum step that took `step`: at least `pause`, and at
/// least as long as the step itself, so that on a slow disk the vacuum
/// still holds the writer at most half the time.
pub fn vacuum_pause(step: Duration, pause: Duration) -> Duration {
    step.max(pause)
}

/// Starts the maintenance loop; it ends when `shutdown` fires.
/// `zone` is the kitchen's (`config.timezone`): its quiet hour and its days.
pub fn spawn(store: Store, settings: RetentionSettings, zone: jiff::tz::TimeZone, mut shutdown: Shutdown) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_pass: Option<std::time::Instant> = None;
        let mut last_backup: Option<Date> = None;
        loop {
            let now = OffsetDateTime::now_utc();
            let local = jiff::Timestamp::now().to_zoned(zone.clone());
            let hour = local.hour() as u8;
            let today = Date::from_calendar_date(local.year() as i32, time::Month::try_from(local.month() as u8).unwrap_or(time::Month::January), local.day() as u8)
                .unwrap_or_else(|_| now.date());
            if backup_due(&settings, hour, today, last_backup) {
                match store.nightly_backup(today).await {
                    Ok(report) => tracing::info!(path = %report.path.display(), bytes = report.bytes, "maintenance: nightly backup written"),
                    Err(e) => tracing::error!(error = %e, "maintenance: the nightly backup failed"),
                }
                last_backup = Some(today);
                if store.auto_vacuum().await.is_ok_and(|mode| mode == 0) {
                    tracing::info!("maintenance: converting the database to incremental vacuum (once)");
                    if let Err(e) = store.enable_incremental_vacuum().await {
                        tracing::warn!(error = %e, "maintenance: the one-time vacuum failed; freed pages are still reused");
                    }
                }
            }
            let since_delivery = match store.last_delivery_at().await {
                Ok(at) => at.map(|at| (now - at).try_into().unwrap_or(Duration::ZERO)),
                Err(_) => Some(Duration::ZERO),
            };
            if prune_due(&settings, hour, since_delivery, last_pass.map(|t| t.elapsed())) {
                last_pass = Some(std::time::Instant::now());
                let pruned = prune_pass(&store, settings.policy(), now, BATCH_PAUSE, &shutdown).await;
                if !pruned.is_empty() {
                    tracing::info!(?pruned, "maintenance: pruned to the retention policy");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = shutdown.wait() => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn pruning_waits_for_a_quiet_moment() {
        let s = RetentionSettings::default();
        assert!(!prune_due(&s, 12, Some(MIN), None), "lunch rush: a delivery a minute ago, not the quiet hour");
        assert!(prune_due(&s, 12, Some(11 * MIN), None), "ten minutes without deliveries is quiet enough");
        assert!(prune_due(&s, 4, Some(MIN), None), "the quiet hour runs it even with deliveries");
        assert!(prune_due(&s, 12, None, None), "a kitchen that never had a delivery is idle");
        assert!(!prune_due(&s, 4, Some(11 * MIN), Some(30 * MIN)), "not again within the hour");
        assert!(prune_due(&s, 4, Some(11 * MIN), Some(61 * MIN)));
    }

    #[test]
    fn the_backup_runs_once_a_night_in_the_quiet_hour() {
        let s = RetentionSettings::default();
        let today = date!(2026 - 11 - 30);
        assert!(backup_due(&s, 4, today, Some(date!(2026 - 11 - 29))));
        assert!(!backup_due(&s, 4, today, Some(today)), "once per night");
        assert!(!backup_due(&s, 5, today, None), "only in the quiet hour");
        assert!(!backup_due(&RetentionSettings { nightly_backup: false, ..s }, 4, today, None), "it can be switched off");
    }

    #[test]
    fn settings_are_checked() {
        assert!(RetentionSettings { quiet_hour: 24, ..Default::default() }.check().is_err());
        assert!(RetentionSettings { dedupe_days: 1, ..Default::default() }.check().is_err());
        assert!(RetentionSettings::default().check().is_ok());
    }
}
