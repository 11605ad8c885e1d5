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

mod capacity;
mod checkpoint;
mod inbox;
mod print_jobs;
mod tickets;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

pub use inbox::{DeliveryState, InsertOutcome, NewDelivery, StoredDelivery};
pub use print_jobs::{PlannedPrint, PrintJob, PrintKind, PrintOutcome, PrintPlan, PrintQueueCounts, PrintWhen};
pub use tickets::{ApplyError, DeliveryApplied, TicketChange, TicketEvent, TicketTx};

/// Most jobs folded into one transaction.
pub const MAX_BATCH: usize = 512;
/// Jobs that may wait for the writer before new ones are refused as busy.
const QUEUE_DEPTH: usize = 8192;
/// How long a connection waits on a lock before giving up.
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// The migrations, in order. Append only: never edit or reorder one that has
/// shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_inbox.sql"),
    include_str!("migrations/0002_tickets.sql"),
    include_str!("migrations/0007_print_jobs.sql"),
];

/// Everything that can go wrong at this boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("the database at {path} is corrupt or not a kds database ({reason})")]
    Corrupt { path: PathBuf, reason: String },
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
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { group_commit: true, synchronous_full: true, max_page_count: None }
    }
}

type Completion = Box<dyn FnOnce(Option<&StoreError>) + Send>;
type Job = Box<dyn WriteJob>;

/// A queued write: it either runs (and is completed after the commit) or is
/// failed without running, when no transaction could be started.
trait WriteJob: Send {
    /// Runs the job in its savepoint; also returns its error, if it failed.
    fn run(self: Box<Self>, conn: &Connection) -> (Completion, Option<StoreError>);
    fn durability(&self) -> Durability;
    fn fail(self: Box<Self>, error: &StoreError);
}

type AfterCommit<R> = Box<dyn FnOnce(&R) + Send>;

/// How durable a write must be before its caller hears back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// On disk (fsynced, with `synchronous=FULL`) before the answer: a
    /// delivery being acknowledged, a cook's bump.
    Synced,
    /// Worked out from what is already durable, so redone if a power loss
    /// takes it: the kitchen applying stored deliveries (the tickets and the
    /// `applied` marks commit together), the clock rules. A group holding only
    /// such jobs commits without an fsync; the next synced commit makes it
    /// durable too (the WAL is written in order). A process crash loses
    /// nothing either way: the operating system still has the writes.
    Derived,
}

struct TypedJob<R, F> {
    f: F,
    reply: oneshot::Sender<Result<R, StoreError>>,
    /// Runs on the writer thread after the commit, in commit order, before
    /// the caller hears back (and even if the caller has gone away).
    after_commit: Option<AfterCommit<R>>,
    durability: Durability,
}

impl<R, F> WriteJob for TypedJob<R, F>
where
    R: Send + 'static,
    F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> (Completion, Option<StoreError>) {
        let TypedJob { f, reply, after_commit, .. } = *self;
        let result = in_savepoint(conn, f);
        let error = result.as_ref().err().cloned();
        let completion: Completion = Box::new(move |commit_error: Option<&StoreError>| {
            let out = match (commit_error, result) {
                (Some(e), _) => Err(e.clone()),
                (None, r) => r,
            };
            if let (Ok(r), Some(after)) = (&out, after_commit) {
                after(r);
            }
            let _ = reply.send(out);
        });
        (completion, error)
    }

    fn durability(&self) -> Durability {
        self.durability
    }

    fn fail(self: Box<Self>, error: &StoreError) {
        let _ = self.reply.send(Err(error.clone()));
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
    /// Which printers print what for a ticket change (`print_jobs`); `None`
    /// when no printer is configured.
    print_plan: Mutex<Option<PrintPlan>>,
}

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
            let _ = handle.join();
        }
    }

    /// Runs `f` on the writer thread inside the next group transaction and
    /// resolves once that transaction has committed (or failed). A job that
    /// returns an error is rolled back to its savepoint alone; the rest of the
    /// batch still commits.
    async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.write_then(f, None, Durability::Synced).await
    }

    /// As [`Store::write`], with `after_commit` run on the writer thread once
    /// the job's transaction has committed, in commit order.
    async fn write_then<R, F>(&self, f: F, after_commit: Option<AfterCommit<R>>, durability: Durability) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<R, StoreError>>();
        let job: Job = Box::new(TypedJob { f, reply, after_commit, durability });
        let sender = self.inner.jobs.lock().unwrap().clone().ok_or(StoreError::Closed)?;
        match sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(StoreError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(StoreError::Closed),
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a read-only connection on tokio's blocking pool.
    async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
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
        .map_err(|e| StoreError::Sqlite(format!("reader task failed: {e}")))?
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

fn in_savepoint<R>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<R, StoreError>) -> Result<R, StoreError> {
    run_cached(conn, "SAVEPOINT job")?;
    match f(conn) {
        Ok(r) => {
            run_cached(conn, "RELEASE job")?;
            Ok(r)
        }
        // SQLite has already rolled the whole transaction back (a full disk
        // does that), savepoint included: the job's own error is the news.
        Err(e) if conn.is_autocommit() => Err(e),
        Err(e) => {
            run_cached(conn, "ROLLBACK TO job")?;
            run_cached(conn, "RELEASE job")?;
            Err(e)
        }
    }
}

/// Runs one statement without a result through the statement cache: the
/// writer runs `SAVEPOINT`, `RELEASE`, `BEGIN` and `COMMIT` thousands of times
/// a second, and parsing them each time showed in the profile.
pub(super) fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Begins a group's transaction. If it cannot, every job left is failed
/// with the reason, and the answer is false.
fn begin(conn: &Connection, jobs_left: &mut impl Iterator<Item = Job>) -> bool {
    match run_cached(conn, "BEGIN IMMEDIATE") {
        Ok(()) => true,
        Err(e) => {
            let e = StoreError::from(e);
            tracing::error!(error = %e, "store: cannot begin a transaction");
            jobs_left.for_each(|job| job.fail(&e));
            false
        }
    }
}

fn writer_loop(mut conn: Connection, jobs: mpsc::Receiver<Job>, max_batch: usize, synchronous_full: bool, checkpointer: checkpoint::Checkpointer) {
    let mut fsyncing = synchronous_full;
    'groups: while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A group of derived jobs only (see `Durability`) commits without an fsync.
        let fsync = synchronous_full && batch.iter().any(|job| job.durability() == Durability::Synced);
        if fsync != fsyncing {
            match run_cached(&conn, if fsync { "PRAGMA synchronous=FULL" } else { "PRAGMA synchronous=NORMAL" }) {
                Ok(()) => fsyncing = fsync,
                Err(e) => tracing::warn!(error = %e, "store: cannot change synchronous (commits stay as they were)"),
            }
        }
        let mut completions: Vec<Completion> = Vec::with_capacity(batch.len());
        let mut jobs_left = batch.into_iter();
        if !begin(&conn, &mut jobs_left) {
            continue;
        }
        while let Some(job) = jobs_left.next() {
            let (completion, error) = job.run(&conn);
            completions.push(completion);
            if conn.is_autocommit() {
                // SQLite rolled the whole transaction back (it does on a full
                // disk): what every job so far wrote is gone, so each hears the
                // error, and the rest of the batch gets a transaction of its own.
                let e = error.unwrap_or_else(|| StoreError::Sqlite("the transaction was rolled back".into()));
                tracing::warn!(error = %e, jobs = completions.len(), "store: the transaction was rolled back; its jobs are answered with the error");
                completions.drain(..).for_each(|c| c(Some(&e)));
                if !begin(&conn, &mut jobs_left) {
                    continue 'groups;
                }
            }
        }
        match run_cached(&conn, "COMMIT") {
            Ok(()) => completions.into_iter().for_each(|c| c(None)),
            Err(e) => {
                let e = StoreError::from(e);
                tracing::error!(error = %e, jobs = completions.len(), "store: commit failed; every job in the batch is answered with the error");
                let _ = conn.execute_batch("ROLLBACK");
                completions.into_iter().for_each(|c| c(Some(&e)));
            }
        }
    }
    // Every sender is gone: fold the WAL into the database before closing, so a
    // clean stop leaves a self-contained file. The checkpointer goes first: the
    // writer must be the last connection to close for the WAL to go.
    checkpointer.stop(&mut conn);
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "store: final checkpoint failed (the WAL stays; nothing is lost)");
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

    #[tokio::test]
    async fn only_groups_with_a_synced_job_commit_with_an_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let level = |c: &Connection| Ok(c.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))?);
        let derived = store.write_then(level, None, Durability::Derived).await.unwrap();
        assert_eq!(derived, 1, "a group of derived work alone commits with synchronous=NORMAL: no fsync");
        let synced = store.write(level).await.unwrap();
        assert_eq!(synced, 2, "an acknowledgement commits with synchronous=FULL");
        let normal = Store::open(&dir.path().join("normal.sqlite"), StoreOptions { synchronous_full: false, ..Default::default() }).unwrap();
        assert_eq!(normal.write(level).await.unwrap(), 1, "a store opened with NORMAL never asks for FULL");
        store.close();
        normal.close();
    }

    #[tokio::test]
    async fn when_a_full_disk_rolls_the_group_back_every_answer_still_matches_what_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE blobs (id INTEGER PRIMARY KEY, x BLOB)")?)).await.unwrap();
        let pages = store.page_count().await.unwrap();
        store.set_max_page_count(Some(pages + 20)).await.unwrap();
        // Big and small writes queued together, so they share transactions; a
        // big one that does not fit makes SQLite roll the whole group back.
        let writes = (0..200i64).map(|id| {
            let store = store.clone();
            let size = if id % 3 == 0 { 30_000 } else { 200 };
            async move {
                let answer = store.write(move |c| Ok(c.execute("INSERT INTO blobs VALUES (?1, zeroblob(?2))", [id, size])?)).await;
                (id, answer)
            }
        });
        let answers = futures_util::future::join_all(writes).await;
        assert!(answers.iter().any(|(_, a)| a.is_err()), "the cap must have been reached");
        let fitted = answers.iter().filter(|(_, a)| a.is_ok()).count();
        for (id, answer) in answers {
            let stored: bool = store.read(move |c| Ok(c.query_row("SELECT count(*) FROM blobs WHERE id = ?1", [id], |r| r.get::<_, i64>(0))? == 1)).await.unwrap();
            assert_eq!(stored, answer.is_ok(), "write {id}: an Ok answer means stored and an error means not stored ({answer:?})");
        }
        assert!(fitted > 0, "some writes fit under the cap: a rolled-back group must not take the writes after it down too");
        store.close();
    }

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

    #[tokio::test]
    async fn failing_job_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER)")?)).await.unwrap();
        let (a, b) = tokio::join!(
            store.write(|c| Ok(c.execute("INSERT INTO t VALUES (1)", []).map(|_| ())?)),
            store.write(|c| {
                c.execute("INSERT INTO t VALUES (2)", [])?;
                Err::<(), _>(StoreError::Sqlite("job refuses".into()))
            }),
        );
        assert!(a.is_ok() && b.is_err());
        let rows: Vec<i64> = store
            .read(|c| Ok(c.prepare("SELECT x FROM t")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?))
            .await
            .unwrap();
        assert_eq!(rows, vec![1], "the failed job's insert must be rolled back, the other's kept");
        store.close();
        assert_eq!(store.write(|_| Ok(())).await, Err(StoreError::Closed), "a closed store refuses writes");
    }
}
