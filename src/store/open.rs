//! Opening the database: creating it, checking it is a kds database, setting
//! its pragmas, applying the numbered migrations, and starting the writer.
//!
//! It owns the migration list (numbered files in `migrations/`, only ever
//! added; `PRAGMA user_version` records the last one applied). It never runs
//! application queries.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::sync::Arc;

use rusqlite::Connection;

use super::writer::{writer_loop, Job};
use super::{checkpoint, tickets, Inner, Store, StoreError, StoreOptions, BUSY_TIMEOUT_MS, MAX_BATCH, QUEUE_DEPTH};

/// The migrations, in order. Append only: never edit or reorder one that has
/// shipped.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_inbox.sql"),
    include_str!("migrations/0002_tickets.sql"),
    include_str!("migrations/0003_outbox.sql"),
    include_str!("migrations/0004_retention.sql"),
    include_str!("migrations/0005_print_jobs.sql"),
    include_str!("migrations/0006_stations.sql"),
    include_str!("migrations/0007_reports.sql"),
    include_str!("migrations/0008_delivery_bodies.sql"),
    include_str!("migrations/0009_drop_body_hash_index.sql"),
];

impl Store {
    /// Opens (creating if needed) the database at `path`, applies pending
    /// migrations and starts the writer thread.
    ///
    /// This blocks on file I/O; call it before the runtime starts serving, or
    /// from `spawn_blocking`.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open { path: path.to_owned(), reason: e.to_string() };
        let corrupt = |e: rusqlite::Error| StoreError::Corrupt { path: path.to_owned(), reason: e.to_string() };
        guard_against_lost_data(path)?;
        create_private(path).map_err(|e| StoreError::Open { path: path.to_owned(), reason: e.to_string() })?;
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS)).map_err(open_err)?;
        // Reading the schema is the cheapest check that this is a database at all.
        let tables = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => corrupt(e),
            _ => open_err(e),
        })?;
        // A new database is created able to shrink (see `retention`): the
        // vacuum mode can only be chosen before the first table exists.
        if tables == 0 {
            conn.execute_batch("PRAGMA auto_vacuum=INCREMENTAL").map_err(open_err)?;
        }
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open { path: path.to_owned(), reason: format!("WAL mode refused (journal_mode={mode})") });
        }
        let sync = if options.synchronous_full { "FULL" } else { "NORMAL" };
        // temp_store=MEMORY keeps each job's savepoint journal in memory: on
        // disk it was 12% of the writer's time at concurrency 64 (`perf
        // record`), all of it temporary-file writes. The page cache (16 MiB
        // rather than 2) keeps the hot index pages out of pread.
        conn.execute_batch(&format!("PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;"))
            .map_err(open_err)?;
        if let Some(pages) = options.max_page_count {
            conn.query_row(&format!("PRAGMA max_page_count={pages}"), [], |_| Ok(())).map_err(open_err)?;
        }
        // A page damaged in the middle of the file is only found when read:
        // check them all now rather than answer 503 later with the intake
        // still saying 200. A big database (a year of orders) is checked
        // after start instead, so that a kitchen is never kept waiting a
        // minute for its board (see `background_check`).
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let check_later = size > options.check_at_start_max_bytes;
        if !check_later {
            let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(corrupt)?;
            if let Some(reason) = check_failure(&check) {
                return Err(StoreError::Corrupt { path: path.to_owned(), reason });
            }
        }
        migrate(&mut conn).map_err(|e| match e {
            StoreError::Sqlite(reason) => StoreError::Corrupt { path: path.to_owned(), reason },
            other => other,
        })?;
        std::fs::write(marker_path(path), MARKER_TEXT).map_err(|e| StoreError::Open { path: path.to_owned(), reason: format!("cannot write the marker file: {e}") })?;
        let read_only = conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false);
        if read_only {
            tracing::error!(path = %path.display(), "store: the database is read-only: deliveries are refused (503) until it is writable");
        }

        let checkpointer = if options.litestream {
            conn.execute_batch("PRAGMA wal_autocheckpoint=0").map_err(open_err)?;
            None
        } else {
            Some(
                checkpoint::Checkpointer::start(&mut conn, path, sync, std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
                    .map_err(|e| StoreError::Open { path: path.to_owned(), reason: e.to_string() })?,
            )
        };
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE_DEPTH);
        let max_batch = if options.group_commit { MAX_BATCH } else { 1 };
        let writer = std::thread::Builder::new()
            .name("kds-store-writer".into())
            .spawn(move || writer_loop(conn, rx, max_batch, options.synchronous_full, checkpointer))
            .map_err(|e| StoreError::Open { path: path.to_owned(), reason: format!("cannot start writer thread: {e}") })?;

        let found_corrupt = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if check_later {
            background_check(path.to_owned(), found_corrupt.clone());
        }
        Ok(Store {
            inner: Arc::new(Inner {
                found_corrupt,
                path: path.to_owned(),
                jobs: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(writer)),
                readers: Mutex::new(Vec::new()),
                changes: tokio::sync::broadcast::channel(tickets::CHANGE_CHANNEL_CAPACITY).0,
                closed: Default::default(),
                read_only,
                print_plan: Mutex::new(None),
            }),
        })
    }
}

/// The largest database whose every page is checked before start (a few
/// hundred milliseconds on a kitchen PC); bigger ones are checked right
/// after start, beside the running kds.
pub(super) const CHECK_AT_START_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// The first two problems `PRAGMA quick_check` reported, or `None` for ok.
fn check_failure(check: &str) -> Option<String> {
    if check == "ok" {
        return None;
    }
    let first: Vec<&str> = check.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("***")).take(2).collect();
    Some(format!("quick_check: {}", first.join("; ")))
}

/// Checks every page of a big database on its own read-only connection and
/// thread, while kds runs. A fault found sets `found_corrupt` (health then
/// says `corrupt`) and logs the restore command; a failure to read for
/// another reason (the file went away at shutdown) is only logged.
fn background_check(path: std::path::PathBuf, found_corrupt: Arc<std::sync::atomic::AtomicBool>) {
    let run = move || {
        let started = std::time::Instant::now();
        let outcome = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .and_then(|c| c.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)));
        let reason = match outcome {
            Ok(check) => check_failure(&check),
            Err(e) if matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)) => Some(e.to_string()),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "store: the integrity check after start could not run");
                return;
            }
        };
        match reason {
            None => tracing::info!(path = %path.display(), seconds = started.elapsed().as_secs_f64(), "store: integrity check after start: ok"),
            Some(reason) => {
                found_corrupt.store(true, std::sync::atomic::Ordering::SeqCst);
                tracing::error!(path = %path.display(), %reason, "store: the database is damaged: restore the last backup (`kds restore FILE`, see README) as soon as the kitchen can stop");
            }
        }
    };
    if let Err(e) = std::thread::Builder::new().name("kds-store-check".into()).spawn(run) {
        tracing::warn!(error = %e, "store: cannot start the integrity check after start");
    }
}

/// Beside the database, written once it has been created: its presence says
/// the data dir has held a database, so a missing or empty one is a loss
/// to report, never a fresh start.
const MARKER_SUFFIX: &str = ".marker";
const MARKER_TEXT: &str = "kds keeps a database beside this file. If the database is missing or empty while this file exists,\nkds refuses to start rather than start empty. To start empty on purpose, delete this file too.\n";

fn marker_path(path: &Path) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(MARKER_SUFFIX);
    p.into()
}

/// Refuses a missing or zero-byte database where one was before: the
/// marker file is there, or a write-ahead log with content is.
fn guard_against_lost_data(path: &Path) -> Result<(), StoreError> {
    let empty = std::fs::metadata(path).map(|m| m.len() == 0).unwrap_or(true);
    if !empty {
        return Ok(());
    }
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal_has_data = std::fs::metadata(std::path::PathBuf::from(wal)).is_ok_and(|m| m.len() > 0);
    if marker_path(path).exists() || wal_has_data {
        return Err(StoreError::Lost { path: path.to_owned() });
    }
    Ok(())
}

/// Creates the database file owner-only (0600) when it does not exist yet,
/// and narrows an existing one (and its `-wal`, `-shm`) to 0600. SQLite
/// gives the WAL and SHM files the database file's mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        // Created owner-only when missing. An existing file is never opened
        // for writing here: a read-only one must reach SQLite, which opens
        // it read-only, so health can say so (and deliveries get 503).
        if std::fs::symlink_metadata(path).is_err() {
            std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path)?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            if let Ok(m) = std::fs::metadata(&p) {
                if m.permissions().mode() & 0o077 != 0 {
                    if let Err(e) = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)) {
                        tracing::warn!(path = %p.display(), error = %e, "store: cannot make the database owner-only; other local users may read it");
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as u32;
    if current > known {
        return Err(StoreError::TooNew { found: current, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as u32 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        tx.commit()?;
        tracing::info!(version, "store: applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_applies_migrations_and_reopen_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        store.close();
        let store = Store::open(&path, StoreOptions::default()).expect("reopening an up-to-date database must work");
        store.close();
        let conn = Connection::open(&path).unwrap();
        let v: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as u32, "user_version records the last migration applied");
    }

    /// A database too big to check before start opens at once, and a damaged
    /// page in it is found by the check that runs beside kds: health can then
    /// say so. (A small one is refused at open: `garbage_file_is_reported_as_corrupt`.)
    #[test]
    fn a_big_database_opens_at_once_and_its_damage_is_found_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        Store::open(&path, StoreOptions::default()).unwrap().close();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); CREATE TABLE filler (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 400) INSERT INTO filler SELECT randomblob(900) FROM n; PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle..middle + 8192].fill(0x5a);
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(Store::open(&path, StoreOptions::default()), Err(StoreError::Corrupt { .. })), "small enough to be checked before start: refused");
        let store = Store::open(&path, StoreOptions { check_at_start_max_bytes: 0, ..Default::default() }).expect("a database above the limit opens without the page-by-page check");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !store.corrupt() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(store.corrupt(), "the check after start reads every page, so it finds the damaged ones");
        store.close();
    }

    #[test]
    fn garbage_file_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        match Store::open(&path, StoreOptions::default()) {
            Err(StoreError::Corrupt { .. }) => {}
            Err(other) => panic!("expected Corrupt, got {other}"),
            Ok(_) => panic!("a garbage file must not open as a database"),
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_and_its_wal_and_shm_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")?)).await.unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let mode = std::fs::metadata(format!("{}{suffix}", path.display())).expect("exists while open").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "kds.sqlite{suffix} holds customer data: owner only (was {mode:o})");
        }
        store.close();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Store::open(&path, StoreOptions::default()).unwrap().close();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "a database an older kds left 0644 is narrowed");
    }

    #[test]
    fn damage_in_the_middle_of_the_file_is_found_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE filler (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 400) INSERT INTO filler SELECT randomblob(900) FROM n;").unwrap();
        }
        Store::open(&path, StoreOptions::default()).unwrap().close();
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle..middle + 8192].fill(0x5a);
        std::fs::write(&path, &bytes).unwrap();
        match Store::open(&path, StoreOptions::default()) {
            Err(e @ StoreError::Corrupt { .. }) => assert!(e.to_string().contains("restore"), "the message says what to do: {e}"),
            Err(other) => panic!("expected Corrupt, got {other}"),
            Ok(_) => panic!("a database with garbage in its middle must not open"),
        }
    }

    #[test]
    fn an_empty_or_missing_database_where_one_was_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        Store::open(&path, StoreOptions::default()).unwrap().close();
        std::fs::write(&path, b"").unwrap();
        let e = Store::open(&path, StoreOptions::default()).err().expect("a zero-byte database where one was must not start empty");
        assert!(matches!(e, StoreError::Lost { .. }) && e.to_string().contains(".marker"), "the message says what happened and how to start empty on purpose: {e}");
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(Store::open(&path, StoreOptions::default()), Err(StoreError::Lost { .. })), "a vanished database too");
        let fresh = tempfile::tempdir().unwrap();
        Store::open(&fresh.path().join("kds.sqlite"), StoreOptions::default()).expect("a first start, with no marker, starts empty").close();
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 999").unwrap();
        assert!(matches!(Store::open(&path, StoreOptions::default()), Err(StoreError::TooNew { found: 999, .. })));
    }

}
