//! SQLite: the schema, its numbered migrations, the single writer thread and
//! every SQL statement the application runs.
//!
//! What it owns:
//! - **One writer.** A dedicated OS thread owns the only write connection.
//!   Callers hand it jobs over a bounded channel and `await` a reply. The
//!   thread takes whatever is queued (up to [`MAX_BATCH`]), runs each job in
//!   its own savepoint inside one `BEGIN IMMEDIATE` transaction, commits once,
//!   and only then replies to every job. That is group commit: one fsync
//!   serves many deliveries, and no caller hears "done" before its data is on
//!   disk (`synchronous=FULL`, WAL). The exception is work derived from what
//!   is already on disk (applying stored deliveries, the clock rules): a
//!   group of only that commits without an fsync (`Durability::Derived`).
//! - **A checkpointer.** A thread of its own copies the WAL into the
//!   database file in the background (`checkpoint`), so the writer's commits
//!   rarely pause for it.
//! - **Readers.** Read-only connections, used on tokio's blocking pool, so
//!   SQLite never blocks the async runtime.
//! - **Migrations.** Numbered files in `migrations/`, applied at open, only
//!   ever added; `PRAGMA user_version` records the last one applied.
//!
//! What it never does: business rules. It stores what `intake` and
//! `kitchen` decided; it does not decide.

mod backup;
mod capacity;
mod catchup;
mod checkpoint;
mod inbox;
mod history;
mod open;
mod outbox;
mod print_jobs;
mod reads;
mod reports;
mod retention;
mod stations;
mod seen;
mod tickets;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;

pub use backup::{backup_file, check_kds_database, BackupError, BackupReport, BACKUP_DIR};
pub use history::HistoryQuery;
pub use inbox::{deflate, inflate, DeliveryState, InsertOutcome, NewDelivery, StoredDelivery};
pub use outbox::{NewOutboxRow, OutboxCounts, OutboxMark, OutboxRow, OutboxState, OutboxTx};
pub use reports::{ColumnMove, ReportTicket, StationMark};
pub use retention::{Pruned, RetentionPolicy};
pub use seen::SeenIds;
pub use print_jobs::{PlannedPrint, PrintJob, PrintKind, PrintOutcome, PrintPlan, PrintQueueCounts, PrintWhen};
pub use stations::BrandSeen;
pub use tickets::{ApplyError, DeliveryApplied, TicketChange, TicketEvent, TicketTx};
use writer::{run_cached, AfterCommit, Durability, Job};

/// Most jobs folded into one transaction.
pub const MAX_BATCH: usize = 512;
/// Jobs that may wait for the writer before new ones are refused as busy.
const QUEUE_DEPTH: usize = 8192;
/// How long a connection waits on a lock before giving up.
const BUSY_TIMEOUT_MS: u64 = 5_000;


/// Everything that can go wrong at this boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("the database at {path} is corrupt or not a kds database ({reason}); kds will not start on it: stop kds, move the file aside (keep it), then restore a backup or start again to begin empty")]
    Corrupt { path: PathBuf, reason: String },
    #[error("the database at {path} is missing or empty, but this data dir held one (its .marker file is there); kds will not start empty over lost orders: restore the file, or delete {path}.marker to start empty on purpose")]
    Lost { path: PathBuf },
    #[error("the database is read-only")]
    ReadOnly,
    #[error("the database was written by a newer kds (schema {found}, this build knows {known})")]
    TooNew { found: u32, known: u32 },
    #[error("the database is busy or locked")]
    Busy,
    #[error("the disk or database is full")]
    Full,
    #[error("the storage writer has stopped")]
    Closed,
    #[error("sqlite error: {0}")]
    Sqlite(String),
    /// A failure that is not SQLite's: a thread that could not start or
    /// join, a task that panicked, a rule of the store's own.
    #[error("store: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked) => StoreError::Busy,
            Some(DiskFull) => StoreError::Full,
            _ => StoreError::Sqlite(e.to_string()),
        }
    }
}

/// How the store is opened. The defaults are the durable production ones;
/// the others exist for benchmarks and fault tests.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Fold queued writes into one transaction (group commit).
    pub group_commit: bool,
    /// `synchronous=FULL` (true, the default) or `NORMAL` (benchmarks only:
    /// it shows the price of durability).
    pub synchronous_full: bool,
    /// Caps the database size (`PRAGMA max_page_count`), to test a full disk.
    pub max_page_count: Option<u32>,
    /// Litestream replicates this database, and checkpoints are its job:
    /// kds runs no checkpoint of its own (no checkpointer, no automatic
    /// checkpoint, no final one at close), so it never races Litestream's.
    pub litestream: bool,
    /// The largest database checked page by page before `open` returns;
    /// a bigger one is checked right after, beside the running kds
    /// ([`Store::corrupt`]). 256 MiB by default.
    pub check_at_start_max_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { group_commit: true, synchronous_full: true, max_page_count: None, litestream: false, check_at_start_max_bytes: open::CHECK_AT_START_MAX_BYTES }
    }
}


/// A handle to the database. Cheap to clone; every clone talks to the same
/// writer thread.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: Mutex<Option<SyncSender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
    /// Committed ticket changes, in `seq` order (see `tickets`).
    changes: tokio::sync::broadcast::Sender<TicketChange>,
    /// Set by `close`: readers coming back from a query are dropped, not pooled.
    closed: std::sync::atomic::AtomicBool,
    /// SQLite opened the file read-only (no write permission, a read-only
    /// file system): nothing can be stored.
    read_only: bool,
    /// The integrity check after start (a big database's) found damage.
    found_corrupt: Arc<std::sync::atomic::AtomicBool>,
    /// Which printers print what for a ticket change (`print_jobs`); `None`
    /// when no printer is configured.
    print_plan: Mutex<Option<PrintPlan>>,
}

impl Store {
    /// Whether the database could only be opened read-only: deliveries
    /// must then be refused, never acknowledged.
    pub fn read_only(&self) -> bool {
        self.inner.read_only
    }

    /// Whether the integrity check that runs after start on a big database
    /// found damage (a small one is checked before start, and refused).
    pub fn corrupt(&self) -> bool {
        self.inner.found_corrupt.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Where the database file lives.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Stops accepting writes, lets the writer finish what is queued, and
    /// closes the database. Further calls answer [`StoreError::Closed`].
    pub fn close(&self) {
        // Readers first: a read-only connection cannot checkpoint, so the
        // writer must be the last connection to close.
        {
            let mut readers = self.inner.readers.lock().unwrap();
            self.inner.closed.store(true, std::sync::atomic::Ordering::SeqCst);
            readers.clear();
        }
        drop(self.inner.jobs.lock().unwrap().take());
        if let Some(handle) = self.inner.writer.lock().unwrap().take() {
            if handle.join().is_err() {
                tracing::error!("store: the writer thread panicked before closing");
            }
        }
    }
}
