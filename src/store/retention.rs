//! Retention: the SQL that forgets what a kitchen no longer needs, in small
//! batches, and gives the freed pages back to the file system.
//!
//! Three periods, each from [`RetentionPolicy`]:
//! - **Raw bodies** (30 days by default). An applied delivery's body row
//!   (`delivery_bodies`) is deleted, which frees whole pages; a body stored
//!   before migration 0008 is emptied in its inbox row instead. The inbox
//!   row stays, with the event id and the body hash, so a replayed old
//!   delivery is still recognised as a duplicate. A pending
//!   delivery is never touched, and an unprocessable one keeps its body
//!   until its row goes (someone may still need to look at it).
//! - **Dedupe keys** (180 days). The inbox row itself is deleted; the log
//!   entries that named it keep their text and lose only the link.
//! - **Tickets** (400 days). A closed ticket whose column has not changed
//!   for that long is deleted with its whole log. Open tickets stay.
//!
//! Each call of [`Store::prune_batch`] is one write job of at most `batch`
//! rows, so it shares the writer with deliveries and never holds it for
//! long; the caller (`maintenance`) pauses between calls. Progress through
//! the inbox is recorded in `retention_marks` inside the same transaction
//! as the rows, so a pass killed halfway leaves a consistent database and
//! the next one resumes after the last committed batch.
//!
//! Shrinking the file: a new database is created with
//! `auto_vacuum=INCREMENTAL`, and [`Store::release_free_pages`] hands freed
//! pages back a few at a time through the writer. A database created before
//! that has no pointer maps; [`Store::enable_incremental_vacuum`] converts
//! it with one full `VACUUM` (long on a large file, so `maintenance` runs it
//! only at the quiet hour). Until then freed pages are reused by new rows,
//! so the file stops growing but does not shrink.
//!
//! What it never does: decide when to run (that is `maintenance`), or touch
//! anything younger than its period.

use rusqlite::{params, Connection, OptionalExtension};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::{Durability, Store, StoreError};

/// How long each kind of record is kept. Days; validated by `config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionPolicy {
    /// Raw delivery bodies.
    pub body_days: u32,
    /// Event ids and body hashes (klikit's replays are recognised this long).
    pub dedupe_days: u32,
    /// Closed tickets and their log.
    pub ticket_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { body_days: 30, dedupe_days: 180, ticket_days: 400 }
    }
}

impl RetentionPolicy {
    /// Names the problem when the periods make no sense together.
    pub fn check(&self) -> Result<(), String> {
        if self.body_days == 0 {
            return Err("body_days must be at least 1".into());
        }
        if self.dedupe_days < self.body_days {
            return Err(format!("dedupe_days ({}) must be at least body_days ({})", self.dedupe_days, self.body_days));
        }
        if self.ticket_days == 0 {
            return Err("ticket_days must be at least 1".into());
        }
        Ok(())
    }
}

/// What one batch (or a whole pass, summed) removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    /// Delivery bodies emptied.
    pub bodies: usize,
    /// Inbox rows (dedupe keys) deleted.
    pub deliveries: usize,
    /// Closed tickets deleted.
    pub tickets: usize,
    /// Log entries deleted with them.
    pub events: usize,
    /// Finished print jobs deleted (each holds a copy of its ticket, so
    /// they go with the delivery bodies).
    pub print_jobs: usize,
}

impl Pruned {
    /// Nothing was left to do.
    pub fn is_empty(&self) -> bool {
        self.bodies == 0 && self.deliveries == 0 && self.tickets == 0 && self.print_jobs == 0
    }

    /// Adds another batch's counts.
    pub fn add(&mut self, other: Pruned) {
        self.bodies += other.bodies;
        self.deliveries += other.deliveries;
        self.tickets += other.tickets;
        self.events += other.events;
        self.print_jobs += other.print_jobs;
    }
}

/// The mark recording how far body pruning has walked the inbox.
const BODIES_MARK: &str = "bodies";

fn days(n: u32) -> Duration {
    Duration::days(n as i64)
}

fn older_than(received_at: &str, cutoff: OffsetDateTime) -> bool {
    // A timestamp that does not parse is treated as young: kept, not lost.
    OffsetDateTime::parse(received_at, &Rfc3339).is_ok_and(|t| t < cutoff)
}

/// Empties up to `batch` old applied bodies, walking the inbox from the mark.
fn prune_bodies(c: &Connection, cutoff: OffsetDateTime, batch: usize) -> Result<usize, StoreError> {
    let mark: i64 = c
        .prepare_cached("SELECT through_seq FROM retention_marks WHERE name = ?1")?
        .query_row([BODIES_MARK], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let rows: Vec<(i64, String, String)> = c
        .prepare_cached("SELECT seq, received_at, state FROM inbox WHERE seq > ?1 ORDER BY seq LIMIT ?2")?
        .query_map(params![mark, batch as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut through = mark;
    let mut emptied = 0;
    let mut delete = c.prepare_cached("DELETE FROM delivery_bodies WHERE seq = ?1")?;
    // A row stored before migration 0008 holds its body itself.
    let mut empty = c.prepare_cached("UPDATE inbox SET body = X'' WHERE seq = ?1 AND length(body) > 0")?;
    for (seq, received_at, state) in rows {
        // The walk stops at the first delivery still young or not yet applied:
        // everything after it waits for the next pass.
        if state == "pending" || !older_than(&received_at, cutoff) {
            break;
        }
        if state == "applied" {
            emptied += delete.execute([seq])? + empty.execute([seq])?;
        }
        through = seq;
    }
    if through != mark {
        c.prepare_cached("INSERT INTO retention_marks (name, through_seq) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET through_seq = excluded.through_seq")?
            .execute(params![BODIES_MARK, through])?;
    }
    Ok(emptied)
}

/// Deletes up to `batch` of the oldest inbox rows past the dedupe period
/// (a body row still there, an unprocessable delivery's, goes with its row:
/// `ON DELETE CASCADE`).
fn prune_deliveries(c: &Connection, cutoff: OffsetDateTime, batch: usize) -> Result<usize, StoreError> {
    let rows: Vec<(i64, String, String)> = c
        .prepare_cached("SELECT seq, received_at, state FROM inbox ORDER BY seq LIMIT ?1")?
        .query_map([batch as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut unlink = c.prepare_cached("UPDATE ticket_events SET delivery_seq = NULL WHERE delivery_seq = ?1")?;
    let mut delete = c.prepare_cached("DELETE FROM inbox WHERE seq = ?1")?;
    let mut deleted = 0;
    for (seq, received_at, state) in rows {
        if state == "pending" || !older_than(&received_at, cutoff) {
            break;
        }
        unlink.execute([seq])?;
        deleted += delete.execute([seq])?;
    }
    Ok(deleted)
}

/// Deletes up to `batch` print jobs printed or dropped before `cutoff`; a
/// job still queued or sending is never touched.
fn prune_print_jobs(c: &Connection, cutoff: OffsetDateTime, batch: usize) -> Result<usize, StoreError> {
    let cutoff_ms = (cutoff.unix_timestamp_nanos() / 1_000_000) as i64;
    Ok(c.prepare_cached(
        "DELETE FROM print_jobs WHERE id IN (SELECT id FROM print_jobs WHERE state IN ('printed', 'dropped') AND finished_at < ?1 ORDER BY id LIMIT ?2)",
    )?
    .execute(params![cutoff_ms, batch as i64])?)
}

/// Deletes up to `batch` closed tickets untouched since `cutoff`, with their
/// log and their finished klikit actions (a waiting one is never dropped).
fn prune_tickets(c: &Connection, cutoff: OffsetDateTime, batch: usize) -> Result<(usize, usize), StoreError> {
    let cutoff_ms = (cutoff.unix_timestamp_nanos() / 1_000_000) as i64;
    let ids: Vec<String> = c
        .prepare_cached("SELECT order_id FROM tickets WHERE open = 0 AND column_since < ?1 ORDER BY column_since LIMIT ?2")?
        .query_map(params![cutoff_ms, batch as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut events = 0;
    for id in &ids {
        events += c.prepare_cached("DELETE FROM ticket_events WHERE order_id = ?1")?.execute([id])?;
        c.prepare_cached("DELETE FROM outbox WHERE order_id = ?1 AND state != 'waiting'")?.execute([id])?;
        c.prepare_cached("DELETE FROM tickets WHERE order_id = ?1")?.execute([id])?;
    }
    Ok((ids.len(), events))
}

impl Store {
    /// Runs one pruning batch under `policy` as of `now`: up to `batch` rows
    /// of the first kind that has work (bodies, then dedupe keys, then
    /// tickets). An empty answer means the pass is complete.
    pub async fn prune_batch(&self, policy: RetentionPolicy, now: OffsetDateTime, batch: usize) -> Result<Pruned, StoreError> {
        // Derived: what pruning removes is redone by the next pass if a power
        // cut takes it, so it need not wait for an fsync of its own.
        self.write_then(
            move |c| {
                let mut pruned = Pruned { bodies: prune_bodies(c, now - days(policy.body_days), batch)?, ..Default::default() };
                if pruned.bodies == 0 {
                    pruned.print_jobs = prune_print_jobs(c, now - days(policy.body_days), batch)?;
                }
                if pruned.bodies == 0 && pruned.print_jobs == 0 {
                    pruned.deliveries = prune_deliveries(c, now - days(policy.dedupe_days), batch)?;
                }
                if pruned.is_empty() {
                    (pruned.tickets, pruned.events) = prune_tickets(c, now - days(policy.ticket_days), batch)?;
                }
                Ok(pruned)
            },
            None,
            Durability::Derived,
        )
        .await
    }

    /// Hands up to `pages` free pages back to the file system (an
    /// incremental vacuum step, through the writer). Returns the free pages
    /// still to hand back: 0 when done, and always 0 on a database without
    /// incremental vacuum (its free pages are reused, never handed back).
    pub async fn release_free_pages(&self, pages: u32) -> Result<u32, StoreError> {
        self.write_then(
            move |c| {
                if c.query_row("PRAGMA auto_vacuum", [], |r| r.get::<_, u32>(0))? != 2 {
                    return Ok(0);
                }
                // Stepped to the end: each step of this pragma frees one
                // page, so one `query_row` (or `execute_batch`) handed back
                // one page, not `pages` (measured: 0.2 MB/s; `benches/year.rs`).
                let mut step = c.prepare(&format!("PRAGMA incremental_vacuum({pages})"))?;
                let mut rows = step.query([])?;
                while rows.next()?.is_some() {}
                Ok(c.query_row("PRAGMA freelist_count", [], |r| r.get::<_, u32>(0))?)
            },
            None,
            Durability::Derived,
        )
        .await
    }

    /// The database's vacuum mode: 0 none, 1 full, 2 incremental.
    pub async fn auto_vacuum(&self) -> Result<u32, StoreError> {
        self.read(|c| Ok(c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?)).await
    }

    /// Converts a database created without incremental vacuum, with one full
    /// `VACUUM` on a connection of its own. While it runs the writer waits
    /// (its busy timeout) and may answer writes busy, which klikit retries;
    /// so this runs only at the quiet hour, once per database.
    pub async fn enable_incremental_vacuum(&self) -> Result<(), StoreError> {
        let path = self.path().to_owned();
        tokio::task::spawn_blocking(move || {
            let c = Connection::open(&path)?;
            c.busy_timeout(std::time::Duration::from_secs(30))?;
            c.execute_batch("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;")?;
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Internal(format!("vacuum task failed: {e}")))?
    }

    /// When the newest delivery arrived (by arrival order, not a scan).
    pub async fn last_delivery_at(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        self.read(|c| {
            let at: Option<String> = c.query_row("SELECT received_at FROM inbox ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).optional()?;
            Ok(at.and_then(|s| OffsetDateTime::parse(&s, &Rfc3339).ok()))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewDelivery, StoreOptions};

    /// Runs one-row batches under the default policy until nothing is left.
    async fn prune_all(store: &Store, now: OffsetDateTime) -> Pruned {
        let mut total = Pruned::default();
        loop {
            let p = store.prune_batch(RetentionPolicy::default(), now, 1).await.unwrap();
            if p.is_empty() {
                return total;
            }
            total.add(p);
        }
    }

    #[test]
    fn the_policy_refuses_periods_that_contradict_each_other() {
        assert!(RetentionPolicy::default().check().is_ok());
        let p = RetentionPolicy { body_days: 30, dedupe_days: 10, ticket_days: 400 };
        assert!(p.check().unwrap_err().contains("dedupe_days"), "dedupe keys cannot go before the bodies they index");
        assert!(RetentionPolicy { body_days: 0, ..Default::default() }.check().is_err(), "zero days would empty bodies being applied");
    }

    #[tokio::test]
    async fn bodies_go_first_then_rows_and_pending_ones_are_never_touched() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let now = OffsetDateTime::now_utc();
        for (id, age) in [("old-applied", 200), ("mid-applied", 60), ("old-pending", 190), ("new", 1)] {
            let d = NewDelivery {
                event_id: id.into(),
                event_type: "t".into(),
                body: vec![b'x'; 100],
                body_sha256: "h".into(),
                headers: serde_json::json!({}),
                received_at: now - Duration::days(age),
                unprocessable: None,
            };
            store.insert_delivery(d).await.unwrap();
        }
        store.write(|c| Ok(c.execute("UPDATE inbox SET state = 'applied' WHERE event_id LIKE '%applied' OR event_id = 'new'", [])?)).await.unwrap();
        let total = prune_all(&store, now).await;
        assert_eq!(total.bodies, 2, "both applied deliveries older than 30 days lose their bodies");
        assert_eq!(total.deliveries, 1, "only the applied delivery past 180 days is deleted; the pending one after it stops the walk");
        assert!(store.delivery("old-applied").await.unwrap().is_none());
        assert!(store.delivery("mid-applied").await.unwrap().unwrap().body.is_empty());
        assert_eq!(store.delivery("old-pending").await.unwrap().unwrap().body.len(), 100, "a pending delivery keeps its body until the kitchen has applied it");
        assert_eq!(store.delivery("new").await.unwrap().unwrap().body.len(), 100);
        store.close();
    }

    #[tokio::test]
    async fn finished_print_jobs_go_with_the_bodies_and_waiting_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let now = OffsetDateTime::now_utc();
        let ms = |age_days: i64| ((now - Duration::days(age_days)).unix_timestamp_nanos() / 1_000_000) as i64;
        let (old, recent) = (ms(40), ms(2));
        store
            .write(move |c| {
                let mut insert = c.prepare("INSERT INTO print_jobs (printer, order_id, kind, ticket, created_at, state, finished_at) VALUES ('pass', ?1, 'ticket', '{}', ?2, ?3, ?4)")?;
                insert.execute(params!["old-printed", old, "printed", old])?;
                insert.execute(params!["old-dropped", old, "dropped", old])?;
                insert.execute(params!["old-queued", old, "queued", Option::<i64>::None])?;
                insert.execute(params!["recent-printed", recent, "printed", recent])?;
                Ok(())
            })
            .await
            .unwrap();
        let total = prune_all(&store, now).await;
        assert_eq!(total.print_jobs, 2, "printed and dropped jobs past the body period hold a copy of the ticket: they go");
        let left: Vec<String> = store
            .read(|c| Ok(c.prepare("SELECT order_id FROM print_jobs ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?))
            .await
            .unwrap();
        assert_eq!(left, ["old-queued", "recent-printed"], "a job still waiting to print is never pruned, and a recent one is kept");
        store.close();
    }

    #[tokio::test]
    async fn one_vacuum_step_hands_back_as_many_pages_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        // About 100 pages freed by a delete (a new database is incremental).
        store.write(|c| Ok(c.execute_batch("CREATE TABLE junk (x BLOB); INSERT INTO junk VALUES (zeroblob(400000)); DELETE FROM junk;")?)).await.unwrap();
        let before: u32 = store.write(|c| Ok(c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?)).await.unwrap();
        assert!(before >= 90, "the delete left free pages to hand back: {before}");
        let after = store.release_free_pages(50).await.unwrap();
        assert_eq!(after, before - 50, "one step of 50 hands back 50 pages, not one (the pragma must be stepped to its end)");
        store.close();
    }

    #[tokio::test]
    async fn a_database_from_before_incremental_vacuum_has_nothing_to_hand_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        // An older kds created its tables with SQLite's default vacuum mode.
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE junk (x BLOB); INSERT INTO junk VALUES (zeroblob(100000)); DELETE FROM junk;").unwrap();
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        assert_eq!(store.auto_vacuum().await.unwrap(), 0, "the vacuum mode of an existing database is kept");
        assert_eq!(store.release_free_pages(10).await.unwrap(), 0, "no pointer maps: nothing to hand back, so a pass does not spin on the free list");
        store.close();
    }

    #[tokio::test]
    async fn a_new_database_can_shrink() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        assert_eq!(store.auto_vacuum().await.unwrap(), 2, "a database kds creates uses incremental vacuum");
        store.write(|c| Ok(c.execute_batch("CREATE TABLE junk (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO junk SELECT zeroblob(4000) FROM n;")?)).await.unwrap();
        let before = store.page_count().await.unwrap();
        store.write(|c| Ok(c.execute_batch("DELETE FROM junk")?)).await.unwrap();
        let mut left = u32::MAX;
        while left > 0 {
            left = store.release_free_pages(100).await.unwrap();
        }
        let after = store.page_count().await.unwrap();
        assert!(after + 400 < before, "freed pages go back to the file system: {before} pages before, {after} after");
        store.close();
    }
}
