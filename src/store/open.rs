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
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_inbox.sql"),
    include_str!("migrations/0002_tickets.sql"),
    include_str!("migrations/0007_print_jobs.sql"),
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
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS)).map_err(open_err)?;
        // Reading the schema is the cheapest check that this is a database at all.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => corrupt(e),
            _ => open_err(e),
        })?;
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
        migrate(&mut conn).map_err(|e| match e {
            StoreError::Sqlite(reason) => StoreError::Corrupt { path: path.to_owned(), reason },
            other => other,
        })?;

        let checkpointer = checkpoint::Checkpointer::start(&mut conn, path, sync, std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(|e| StoreError::Open { path: path.to_owned(), reason: e.to_string() })?;
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE_DEPTH);
        let max_batch = if options.group_commit { MAX_BATCH } else { 1 };
        let writer = std::thread::Builder::new()
            .name("kds-store-writer".into())
            .spawn(move || writer_loop(conn, rx, max_batch, options.synchronous_full, checkpointer))
            .map_err(|e| StoreError::Open { path: path.to_owned(), reason: format!("cannot start writer thread: {e}") })?;

        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                jobs: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(writer)),
                readers: Mutex::new(Vec::new()),
                changes: tokio::sync::broadcast::channel(tickets::CHANGE_CHANNEL_CAPACITY).0,
                closed: Default::default(),
                print_plan: Mutex::new(None),
            }),
        })
    }
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

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 999").unwrap();
        assert!(matches!(Store::open(&path, StoreOptions::default()), Err(StoreError::TooNew { found: 999, .. })));
    }

}
