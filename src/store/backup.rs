//! Backups: a consistent copy of the live database, the nightly set kept in
//! `backups/`, and the checks a file must pass before it may replace the
//! database.
//!
//! A backup is `VACUUM INTO` from a read-only connection: it reads one
//! snapshot (WAL readers never block the writer, and the writer never blocks
//! them), writes a compact self-contained file, and works from another
//! process too, so `kds backup` needs no running kds and no API. The copy is
//! written to a temporary name, synced, then renamed over the target: a
//! failure (a full disk, say) leaves the previous backup as it was.
//!
//! What it never does: replace the live database (that is `kds restore`, in
//! the binary, behind the data dir's lock) or decide when to back up (that
//! is `maintenance`).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use time::Date;

use super::open::MIGRATIONS;
use super::Store;

/// The folder in the data dir that holds the nightly backups.
pub const BACKUP_DIR: &str = "backups";
/// Daily backups kept.
pub const DAILY_KEPT: usize = 7;
/// Weekly backups kept (the newest of each week, beyond the dailies).
pub const WEEKLY_KEPT: usize = 4;

/// Why a backup or a backup check failed. Each names its cause in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error("cannot read the database {path}: {reason}")]
    Source { path: PathBuf, reason: String },
    #[error("not enough disk space to write {path}; the previous backups are untouched")]
    Full { path: PathBuf },
    #[error("cannot write the backup {path}: {reason}; the previous backups are untouched")]
    Write { path: PathBuf, reason: String },
    #[error("{path} is not a kds database ({reason})")]
    NotKds { path: PathBuf, reason: String },
    #[error("{path} is damaged: integrity check says {reason}")]
    Damaged { path: PathBuf, reason: String },
}

/// A written backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Writes a consistent copy of the database at `source` to `dest`
/// (replacing it only once the copy is complete and synced).
pub fn backup_file(source: &Path, dest: &Path) -> Result<BackupReport, BackupError> {
    let source_err = |e: rusqlite::Error| BackupError::Source { path: source.to_owned(), reason: e.to_string() };
    let write_err = |reason: String| BackupError::Write { path: dest.to_owned(), reason };
    if !source.exists() {
        return Err(BackupError::Source { path: source.to_owned(), reason: "no such file".into() });
    }
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(source_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(source_err)?;
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    crate::privacy::create_dir(dir).map_err(|e| write_err(e.to_string()))?;
    let file_name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into());
    let temp = dir.join(format!(".{file_name}.partial"));
    // The copy, and the rollback journal SQLite may leave beside it.
    let remove_temp = || {
        for suffix in ["", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
        }
    };
    remove_temp();
    if let Err(e) = conn.execute("VACUUM INTO ?1", [temp.to_string_lossy()]) {
        remove_temp();
        // SAFETY: reads the connection's last OS error number; the handle is live.
        let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
        return Err(if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) || is_out_of_space(errno) {
            BackupError::Full { path: dest.to_owned() }
        } else {
            write_err(e.to_string())
        });
    }
    let finish = || -> std::io::Result<u64> {
        // SQLite creates the copy readable by everyone (0644 less the umask);
        // it holds every customer's details, wherever it is written.
        crate::privacy::restrict_file(&temp)?;
        let file = std::fs::File::open(&temp)?;
        file.sync_all()?;
        let bytes = file.metadata()?.len();
        std::fs::rename(&temp, dest)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(bytes)
    };
    match finish() {
        Ok(bytes) => Ok(BackupReport { path: dest.to_owned(), bytes }),
        Err(e) => {
            remove_temp();
            Err(if e.raw_os_error().is_some_and(is_out_of_space) { BackupError::Full { path: dest.to_owned() } } else { write_err(e.to_string()) })
        }
    }
}

/// SQLite reports a write refused for lack of room (a full disk, a quota, a
/// file-size limit) as an I/O error on some paths; the OS error tells.
fn is_out_of_space(errno: i32) -> bool {
    [libc::ENOSPC, libc::EDQUOT, libc::EFBIG].contains(&errno)
}

/// Checks that `path` is a sound kds database this build can open: SQLite's
/// integrity check passes, and it has kds's tables and a schema version
/// this build knows.
pub fn check_kds_database(path: &Path) -> Result<(), BackupError> {
    let not_kds = |reason: String| BackupError::NotKds { path: path.to_owned(), reason };
    let meta = std::fs::metadata(path).map_err(|e| not_kds(e.to_string()))?;
    if meta.len() == 0 {
        return Err(not_kds("the file is empty".into()));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| not_kds(e.to_string()))?;
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| not_kds(e.to_string()))?;
    if version == 0 || version as usize > MIGRATIONS.len() {
        return Err(not_kds(format!("schema version {version}; this kds knows 1 to {}", MIGRATIONS.len())));
    }
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('inbox', 'tickets', 'ticket_events')", [], |r| r.get(0))
        .map_err(|e| not_kds(e.to_string()))?;
    if tables != 3 {
        return Err(not_kds("it lacks the inbox and ticket tables".into()));
    }
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| BackupError::Damaged { path: path.to_owned(), reason: e.to_string() })?;
    if verdict != "ok" {
        return Err(BackupError::Damaged { path: path.to_owned(), reason: verdict });
    }
    Ok(())
}

/// The nightly backup's file name for `day`.
pub fn nightly_name(day: Date) -> String {
    format!("kds-{day}.sqlite")
}

fn nightly_day(name: &str) -> Option<Date> {
    let day = name.strip_prefix("kds-")?.strip_suffix(".sqlite")?;
    Date::parse(day, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// Which nightly backups to delete, given the days present: the newest
/// [`DAILY_KEPT`] stay, and of the older ones the newest of each of the
/// next [`WEEKLY_KEPT`] weeks (ISO weeks).
pub fn nightly_to_delete(mut days: Vec<Date>) -> Vec<Date> {
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    let mut weeks_kept: Vec<(i32, u8)> = Vec::new();
    let mut delete = Vec::new();
    for (i, day) in days.into_iter().enumerate() {
        if i < DAILY_KEPT {
            continue;
        }
        let (year, week, _) = day.to_iso_week_date();
        if weeks_kept.contains(&(year, week)) || weeks_kept.len() >= WEEKLY_KEPT {
            delete.push(day);
        } else {
            weeks_kept.push((year, week));
        }
    }
    delete
}

impl Store {
    /// Writes a backup of the live database to `dest` (see [`backup_file`]),
    /// on the blocking pool.
    pub async fn backup_to(&self, dest: &Path) -> Result<BackupReport, BackupError> {
        let (source, dest) = (self.path().to_owned(), dest.to_owned());
        tokio::task::spawn_blocking(move || backup_file(&source, &dest))
            .await
            .map_err(|e| BackupError::Write { path: PathBuf::new(), reason: format!("backup task failed: {e}") })?
    }

    /// Writes tonight's backup into `backups/` next to the database and
    /// deletes the nightly ones the rotation no longer keeps.
    pub async fn nightly_backup(&self, today: Date) -> Result<BackupReport, BackupError> {
        let dir = self.path().parent().unwrap_or(Path::new(".")).join(BACKUP_DIR);
        let report = self.backup_to(&dir.join(nightly_name(today))).await?;
        let present: Vec<Date> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(|e| nightly_day(&e.ok()?.file_name().to_string_lossy())).collect())
            .unwrap_or_default();
        for day in nightly_to_delete(present) {
            if let Err(e) = std::fs::remove_file(dir.join(nightly_name(day))) {
                tracing::warn!(error = %e, %day, "backup: cannot delete an old nightly backup");
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn rotation_keeps_seven_days_and_four_weeks() {
        // Forty nights in a row, ending on a Sunday.
        let last = date!(2026 - 11 - 29);
        let days: Vec<Date> = (0..40).map(|i| last - time::Duration::days(i)).collect();
        let deleted = nightly_to_delete(days.clone());
        let kept: Vec<Date> = days.iter().copied().filter(|d| !deleted.contains(d)).collect();
        assert_eq!(&kept[..7], &days[..7], "the newest seven nights are kept");
        assert_eq!(
            kept[7..].to_vec(),
            vec![date!(2026 - 11 - 22), date!(2026 - 11 - 15), date!(2026 - 11 - 08), date!(2026 - 11 - 01)],
            "beyond them, the newest night of each of the four weeks before"
        );
        assert!(nightly_to_delete(days[..5].to_vec()).is_empty(), "nothing is deleted while fewer than seven exist");
    }

    #[test]
    fn nightly_names_read_back_and_strangers_are_ignored() {
        assert_eq!(nightly_day(&nightly_name(date!(2026 - 01 - 02))), Some(date!(2026 - 01 - 02)));
        assert_eq!(nightly_day("kds-before-restore.sqlite"), None, "a file kds did not name is never rotated away");
    }

    #[test]
    fn a_file_that_is_not_a_kds_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"hello").unwrap();
        assert!(matches!(check_kds_database(&text), Err(BackupError::NotKds { .. })));
        let empty = dir.path().join("empty.sqlite");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(check_kds_database(&empty), Err(BackupError::NotKds { .. })), "an empty file is not a backup");
        let other = dir.path().join("other.sqlite");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE x (y); PRAGMA user_version = 1;").unwrap();
        let e = check_kds_database(&other).unwrap_err();
        assert!(e.to_string().contains("not a kds database"), "another application's SQLite file is refused: {e}");
    }
}
