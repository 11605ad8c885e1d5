//! The checkpointer: folds the write-ahead log back into the database file on
//! a thread and connection of its own, so the writer rarely waits for it.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its
//! threshold, on the committing connection. In kds that is the one writer
//! thread, so every 1,000 pages one group of deliveries waited while the WAL
//! was copied into the database and the database was fsynced (6% of the
//! writer's time at concurrency 64, by `perf record`). Here the writer's WAL
//! hook rings a bell at 1,000 pages, and this thread runs a `PASSIVE`
//! checkpoint, which never blocks the writer or the readers.
//!
//! A background checkpoint cannot restart the log by itself: the WAL starts
//! over only when a write begins after everything in it was copied, and under
//! steady load the writer has always appended more by then. So at 4,000 pages
//! the writer runs a `PASSIVE` checkpoint itself, right after its commit.
//! The checkpointer has copied most of the log by then, so this one is short;
//! if the checkpointer is at work at that moment, the writer waits for it to
//! finish first. The log thus stays within a few thousand pages.
//!
//! What it never does: write rows. It only copies committed pages.

use std::ffi::c_int;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::hooks::Wal;
use rusqlite::Connection;

use super::StoreError;

/// WAL frames (pages) after a commit at which the checkpointer is rung:
/// SQLite's own default for its automatic checkpoint.
const RING_AT_FRAMES: c_int = 1_000;
/// WAL frames at which the writer checkpoints itself, so that the log can
/// restart (about 16 MiB of WAL with 4 KiB pages).
const WRITER_CHECKPOINTS_AT_FRAMES: c_int = 4_000;

/// The running checkpointer thread. [`Checkpointer::stop`] ends it.
pub(super) struct Checkpointer {
    thread: JoinHandle<()>,
}

impl Checkpointer {
    /// Opens the checkpointer's connection to `path` and hooks `writer`'s
    /// commits to it. `synchronous` is the writer's setting (`FULL` or
    /// `NORMAL`), so a checkpoint syncs the database as the writer would.
    pub(super) fn start(writer: &mut Connection, path: &Path, synchronous: &str, busy_timeout: std::time::Duration) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(busy_timeout)?;
        conn.execute_batch(&format!("PRAGMA synchronous={synchronous};"))?;
        // One pending ring is enough: a checkpoint copies everything committed.
        let (bell, rings) = mpsc::sync_channel::<()>(1);
        // Held for the length of each checkpoint, by whichever thread runs it:
        // SQLite answers a second concurrent checkpoint BUSY, and the writer's
        // must not be skipped, or the log never restarts.
        let turn = Arc::new(Mutex::new(()));
        let my_turn = turn.clone();
        let thread = std::thread::Builder::new()
            .name("kds-store-checkpoint".into())
            .spawn(move || {
                while rings.recv().is_ok() {
                    let _turn = my_turn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(error = %e, "store: background checkpoint failed; the writer will checkpoint if the log keeps growing");
                    }
                }
            })
            .map_err(|e| StoreError::Internal(format!("cannot start the checkpoint thread: {e}")))?;
        // Frames in the log when the bell last rang: ring again only after
        // another RING_AT_FRAMES, so the checkpointer runs about once per that
        // many pages instead of after every commit.
        let mut rung_at: c_int = 0;
        writer.wal_hook(Some(move |wal: &mut Wal, frames: c_int| {
            if frames < rung_at {
                rung_at = 0; // the log restarted
            }
            if frames >= WRITER_CHECKPOINTS_AT_FRAMES {
                // Waits for a background checkpoint in progress, then copies
                // what is left (little: the checkpointer did the rest).
                let _turn = turn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Err(e) = wal.checkpoint() {
                    tracing::warn!(error = %e, frames, "store: the writer's own checkpoint failed");
                }
            } else if frames >= rung_at + RING_AT_FRAMES {
                rung_at = frames;
                // Full: a ring is already pending. Gone: the thread has
                // stopped, and the writer's own checkpoint bounds the log.
                let _ = bell.try_send(());
            }
            Ok(())
        }))?;
        Ok(Checkpointer { thread })
    }

    /// Unhooks `writer` (which drops the bell, so the thread's loop ends) and
    /// waits for the thread, whose connection then closes. After this the
    /// writer is the database's only connection of this store's writing
    /// side, and its final checkpoint can remove the WAL.
    pub(super) fn stop(self, writer: &mut Connection) {
        if let Err(e) = writer.wal_hook(None::<fn(&mut Wal, c_int) -> rusqlite::Result<()>>) {
            tracing::warn!(error = %e, "store: cannot remove the WAL hook");
        }
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database with a blob table, its writer hooked to a checkpointer.
    fn hooked(synchronous: &str) -> (tempfile::TempDir, std::path::PathBuf, Connection, Checkpointer) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut writer = Connection::open(&path).unwrap();
        writer.execute_batch(&format!("PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; CREATE TABLE t (x BLOB);")).unwrap();
        let checkpointer = Checkpointer::start(&mut writer, &path, synchronous, std::time::Duration::from_secs(5)).unwrap();
        (dir, path, writer, checkpointer)
    }

    #[test]
    fn the_checkpointer_copies_the_log_into_the_database_file() {
        let (_dir, path, mut writer, checkpointer) = hooked("FULL");
        // The hook replaces SQLite's automatic checkpoint, so until some
        // checkpoint runs the rows live only in the WAL and the database file
        // stays at its first few pages. 700 commits of a 4 KB blob cross the
        // ring threshold (1,000 frames) but not the writer's own (4,000).
        for _ in 0..700 {
            writer.execute("INSERT INTO t VALUES (zeroblob(4000))", []).unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < 500 * 4096 {
            assert!(std::time::Instant::now() < deadline, "the checkpoint thread should have copied the log into the database file");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        checkpointer.stop(&mut writer);
        let rows: i64 = writer.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 700, "checkpointing moves pages, it never loses a row");
    }

    #[test]
    fn under_steady_writes_the_log_restarts_instead_of_growing() {
        let (dir, _path, mut writer, checkpointer) = hooked("NORMAL");
        // About 24,000 frames in all, with no pause for a background
        // checkpoint to finish before the next write.
        for _ in 0..12_000 {
            writer.execute("INSERT INTO t VALUES (zeroblob(4000))", []).unwrap();
        }
        let wal_bytes = std::fs::metadata(dir.path().join("db.sqlite-wal")).unwrap().len();
        checkpointer.stop(&mut writer);
        let frame = 4096 + 24;
        assert!(
            wal_bytes < (WRITER_CHECKPOINTS_AT_FRAMES as u64 + 100) * frame,
            "the writer's own checkpoint lets the log restart, so it stays near {WRITER_CHECKPOINTS_AT_FRAMES} frames, \
             far from the 24,000 written; it is {} frames",
            wal_bytes / frame
        );
    }
}
