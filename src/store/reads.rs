//! Reads: read-only connections used on tokio's blocking pool, so SQLite
//! never blocks the async runtime.
//!
//! It owns the small pool of reader connections. It never writes: every
//! write goes through the writer thread.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError, BUSY_TIMEOUT_MS};

impl Store {
    /// Runs `f` on a read-only connection on tokio's blocking pool.
    pub(super) async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match inner.readers.lock().unwrap().pop() {
                Some(c) => c,
                None => open_reader(&inner.path)?,
            };
            let result = f(&conn);
            let mut pool = inner.readers.lock().unwrap();
            if pool.len() < 8 && !inner.closed.load(std::sync::atomic::Ordering::SeqCst) {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Internal(format!("reader task failed: {e}")))?
    }

    /// Runs `PRAGMA integrity_check` and returns its first line (`ok` when
    /// the file is sound).
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        self.read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))?)).await
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    Ok(conn)
}
