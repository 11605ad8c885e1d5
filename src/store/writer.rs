//! The single writer thread: group commit of queued write jobs.
//!
//! A dedicated OS thread owns the only write connection. Callers hand it jobs
//! over a bounded channel and `await` a reply. The thread takes whatever is
//! queued (up to [`MAX_BATCH`]), runs each job in its own savepoint inside one
//! `BEGIN IMMEDIATE` transaction, commits once, and only then replies to every
//! job. It never decides what to write: the jobs come from `inbox` and
//! `tickets`.

use std::sync::mpsc::{self, TrySendError};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{checkpoint, Store, StoreError};
#[cfg(doc)]
use super::MAX_BATCH;

pub(super) type Completion = Box<dyn FnOnce(Option<&StoreError>) + Send>;
pub(super) type Job = Box<dyn WriteJob>;

/// A queued write: it either runs (and is completed after the commit) or is
/// failed without running, when no transaction could be started.
pub(super) trait WriteJob: Send {
    /// Runs the job in its savepoint; also returns its error, if it failed.
    fn run(self: Box<Self>, conn: &Connection) -> (Completion, Option<StoreError>);
    fn durability(&self) -> Durability;
    fn fail(self: Box<Self>, error: &StoreError);
}

pub(super) type AfterCommit<R> = Box<dyn FnOnce(&R) + Send>;

/// How durable a write must be before its caller hears back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Durability {
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
        // A job that panics is its own failure; it must not take the writer
        // thread (and with it every later write) down.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| in_savepoint(conn, f))).unwrap_or_else(|panic| {
            let message = super::tickets::panic_message(&*panic);
            tracing::error!(%message, "store: a write job panicked; it is answered with an error and the writer goes on");
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            }
            Err(StoreError::Internal(format!("the write job panicked: {message}")))
        });
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

impl Store {
    /// Runs `f` on the writer thread inside the next group transaction and
    /// resolves once that transaction has committed (or failed). A job that
    /// returns an error is rolled back to its savepoint alone; the rest of the
    /// batch still commits.
    pub(super) async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.write_then(f, None, Durability::Synced).await
    }

    /// As [`Store::write`], with `after_commit` run on the writer thread once
    /// the job's transaction has committed, in commit order.
    pub(super) async fn write_then<R, F>(&self, f: F, after_commit: Option<AfterCommit<R>>, durability: Durability) -> Result<R, StoreError>
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

pub(super) fn writer_loop(mut conn: Connection, jobs: mpsc::Receiver<Job>, max_batch: usize, synchronous_full: bool, checkpointer: Option<checkpoint::Checkpointer>) {
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
    // Under Litestream (no checkpointer) the WAL is left for it to copy.
    let Some(checkpointer) = checkpointer else { return };
    checkpointer.stop(&mut conn);
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "store: final checkpoint failed (the WAL stays; nothing is lost)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;

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


    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        store.write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER)")?)).await.unwrap();
        let (a, b) = tokio::join!(
            store.write(|c| {
                c.execute("INSERT INTO t VALUES (1)", [])?;
                if c.is_autocommit() {
                    return Ok(());
                }
                panic!("injected panic in a write job")
            }),
            store.write(|c| Ok(c.execute("INSERT INTO t VALUES (2)", []).map(|_| ())?)),
        );
        assert!(matches!(a, Err(StoreError::Internal(ref m)) if m.contains("injected")), "the panicking job hears why: {a:?}");
        assert!(b.is_ok(), "the job batched with it still commits");
        let rows: Vec<i64> = store.read(|c| Ok(c.prepare("SELECT x FROM t")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?)).await.unwrap();
        assert_eq!(rows, vec![2], "the panicking job's insert is rolled back");
        assert!(store.write(|_| Ok(())).await.is_ok(), "the writer thread is still alive");
        store.close();
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
