//! The print queue's SQL: writing print jobs (inside a ticket change's own
//! transaction, or for a reprint or test page), taking a printer's next job,
//! and marking what became of it.
//!
//! What it owns: the `print_jobs` table (migration 0005). A job holds the
//! ticket as it was when the job was written, so what prints is what the
//! kitchen saw at that moment, even after a restart.
//!
//! What it never does: decide which printer prints what (that plan comes
//! from `printing`, passed in as a closure like the kitchen rules), or talk
//! to a printer.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use super::writer::Durability;
use super::{Store, StoreError};
use crate::kitchen::{Event, Record, Ticket};

/// What a job prints.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintKind {
    /// The whole kitchen ticket.
    Ticket,
    /// A short CHANGED chit: the lines whose cart changed.
    Changed,
    /// A short CANCELLED chit with the reason.
    Cancelled,
    /// A printer's test page.
    Test,
}

impl PrintKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrintKind::Ticket => "ticket",
            PrintKind::Changed => "changed",
            PrintKind::Cancelled => "cancelled",
            PrintKind::Test => "test",
        }
    }

    fn parse(s: &str) -> Option<PrintKind> {
        [PrintKind::Ticket, PrintKind::Changed, PrintKind::Cancelled, PrintKind::Test].into_iter().find(|k| k.as_str() == s)
    }
}

/// When a planned job is written, judged against the jobs the order already
/// has on that printer (inside the same transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintWhen {
    Always,
    /// Only if the printer already has a job for this order (a CHANGED or
    /// CANCELLED chit goes where the ticket went).
    AlreadyPrinted,
    /// Only if the printer has no ticket for this order yet (printing on
    /// acceptance happens once, even if the ticket is recalled and bumped again).
    NotYetPrinted,
}

/// One job the print plan asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPrint {
    pub printer: String,
    pub kind: PrintKind,
    pub backup: bool,
    pub when: PrintWhen,
}

/// The print plan: given a changed ticket and the log entries of the change,
/// which printers print what. Set once at start ([`Store::set_print_plan`]);
/// it runs on the writer thread inside the ticket's transaction, so it must
/// be quick and pure.
pub type PrintPlan = Arc<dyn Fn(&Ticket, &[Event]) -> Vec<PlannedPrint> + Send + Sync>;

/// A job as the sender reads it.
#[derive(Debug, Clone)]
pub struct PrintJob {
    pub id: i64,
    pub printer: String,
    pub order_id: Option<String>,
    pub kind: PrintKind,
    pub backup: bool,
    pub reprint: bool,
    /// The ticket when the job was written (`None` for a test page).
    pub ticket: Option<Ticket>,
    pub created_at: OffsetDateTime,
    /// `sending` when it was read: an earlier send may have printed part or
    /// all of it, so it goes out again marked REPRINT.
    pub interrupted: bool,
    pub attempts: i64,
}

/// What became of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintOutcome {
    /// About to send: from here on a failure means it may have printed.
    Sending,
    Printed,
    /// Too old to print.
    Dropped,
}

/// Waiting jobs of one printer, for the health strip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintQueueCounts {
    pub waiting: i64,
    pub dropped: i64,
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn from_ms(v: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(v as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Writes the planned jobs for one saved ticket change. Runs inside the
/// change's own transaction (`TicketTx::save`).
pub(super) fn write_planned(conn: &Connection, ticket: &Ticket, ticket_json: &str, plans: &[PlannedPrint], now: OffsetDateTime) -> Result<(), StoreError> {
    for p in plans {
        let sql = match p.when {
            PrintWhen::Always => {
                "INSERT INTO print_jobs (printer, order_id, kind, backup, ticket, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6"
            }
            PrintWhen::AlreadyPrinted => {
                "INSERT INTO print_jobs (printer, order_id, kind, backup, ticket, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6
                 WHERE EXISTS (SELECT 1 FROM print_jobs WHERE order_id = ?2 AND printer = ?1)"
            }
            PrintWhen::NotYetPrinted => {
                "INSERT INTO print_jobs (printer, order_id, kind, backup, ticket, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6
                 WHERE NOT EXISTS (SELECT 1 FROM print_jobs WHERE order_id = ?2 AND printer = ?1 AND kind = 'ticket')"
            }
        };
        conn.prepare_cached(sql)?.execute(params![p.printer, ticket.order_id, p.kind.as_str(), p.backup, ticket_json, ms(now)])?;
    }
    Ok(())
}

fn read_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, Option<String>, String, bool, bool, Option<String>, i64, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
}

impl Store {
    /// Sets the print plan every later ticket change is run through. Without
    /// one (no printers configured) nothing is queued and nothing is read.
    pub fn set_print_plan(&self, plan: PrintPlan) {
        *self.inner.print_plan.lock().unwrap() = Some(plan);
    }

    pub(super) fn print_plan(&self) -> Option<PrintPlan> {
        self.inner.print_plan.lock().unwrap().clone()
    }

    /// Queues one job outside a ticket change: a test page (`order_id`
    /// `None`) or a reprint of an order's current ticket. `Ok(None)`: no
    /// such ticket.
    pub async fn queue_print(&self, printer: &str, order_id: Option<&str>, kind: PrintKind, reprint: bool, now: OffsetDateTime) -> Result<Option<i64>, StoreError> {
        let (printer, order_id) = (printer.to_owned(), order_id.map(str::to_owned));
        self.write(move |c| {
            let ticket = match &order_id {
                None => None,
                Some(id) => {
                    let record: Option<String> = c.prepare_cached("SELECT record FROM tickets WHERE order_id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
                    let Some(record) = record else { return Ok(None) };
                    let record: Record = serde_json::from_str(&record).map_err(|e| StoreError::Sqlite(format!("stored JSON unreadable: {e}")))?;
                    Some(serde_json::to_string(&record.ticket).map_err(|e| StoreError::Sqlite(e.to_string()))?)
                }
            };
            let id = c
                .prepare_cached(
                    "INSERT INTO print_jobs (printer, order_id, kind, reprint, ticket, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                )?
                .query_row(params![printer, order_id, kind.as_str(), reprint, ticket, ms(now)], |r| r.get(0))?;
            Ok(Some(id))
        })
        .await
    }

    /// The printer's oldest job not yet printed or dropped.
    pub async fn next_print_job(&self, printer: &str) -> Result<Option<PrintJob>, StoreError> {
        let printer = printer.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT id, printer, order_id, kind, backup, reprint, ticket, created_at, state, attempts FROM print_jobs
                     WHERE printer = ?1 AND state IN ('queued', 'sending') ORDER BY id LIMIT 1",
                )?
                .query_row([&printer], read_job)
                .optional()?;
            let Some((id, printer, order_id, kind, backup, reprint, ticket, created_at, state, attempts)) = row else { return Ok(None) };
            let kind = PrintKind::parse(&kind).ok_or_else(|| StoreError::Sqlite(format!("unknown print job kind {kind:?}")))?;
            let ticket = ticket
                .map(|t| serde_json::from_str::<Ticket>(&t))
                .transpose()
                .map_err(|e| StoreError::Sqlite(format!("stored ticket unreadable: {e}")))?;
            Ok(Some(PrintJob { id, printer, order_id, kind, backup, reprint, ticket, created_at: from_ms(created_at), interrupted: state == "sending", attempts }))
        })
        .await
    }

    /// Records what became of a job (and, for a failed attempt, why).
    ///
    /// Committed without waiting for an fsync of its own (`Derived`): a
    /// process crash loses none of these marks, and the next synced commit
    /// makes them durable. Only a power cut in between can lose one, and then
    /// the job prints again (unmarked if its `sending` mark was lost). Two
    /// fsyncs per ticket would otherwise cap a printer at a few dozen
    /// tickets a second on a slow disk.
    pub async fn mark_print_job(&self, id: i64, outcome: PrintOutcome, error: Option<String>, now: OffsetDateTime) -> Result<(), StoreError> {
        let mark = move |c: &Connection| {
            let sql = match outcome {
                PrintOutcome::Sending => "UPDATE print_jobs SET state = 'sending', attempts = attempts + 1, error = ?3 WHERE id = ?1",
                PrintOutcome::Printed => "UPDATE print_jobs SET state = 'printed', finished_at = ?2, error = ?3 WHERE id = ?1",
                PrintOutcome::Dropped => "UPDATE print_jobs SET state = 'dropped', finished_at = ?2, error = ?3 WHERE id = ?1",
            };
            c.prepare_cached(sql)?.execute(params![id, ms(now), error])?;
            Ok(())
        };
        self.write_then(mark, None, Durability::Derived).await
    }

    /// Drops every job still waiting for `printer` (it was removed), with
    /// `why`; returns how many. A job being sent at that moment may still
    /// finish and be marked printed.
    pub async fn drop_waiting_print_jobs(&self, printer: &str, why: &str, now: OffsetDateTime) -> Result<usize, StoreError> {
        let (printer, why) = (printer.to_owned(), why.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached("UPDATE print_jobs SET state = 'dropped', finished_at = ?2, error = ?3 WHERE printer = ?1 AND state IN ('queued', 'sending')")?
                .execute(params![printer, ms(now), why])?;
            Ok(n)
        })
        .await
    }

    /// Per printer: jobs waiting, and jobs dropped as stale.
    pub async fn print_queue_counts(&self) -> Result<std::collections::HashMap<String, PrintQueueCounts>, StoreError> {
        self.read(|c| {
            let mut out = std::collections::HashMap::<String, PrintQueueCounts>::new();
            let mut stmt = c.prepare_cached(
                "SELECT printer, sum(state IN ('queued', 'sending')), sum(state = 'dropped') FROM print_jobs
                 WHERE state IN ('queued', 'sending', 'dropped') GROUP BY printer",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
            for row in rows {
                let (printer, waiting, dropped) = row?;
                out.insert(printer, PrintQueueCounts { waiting, dropped });
            }
            Ok(out)
        })
        .await
    }

    /// The jobs an order has, oldest first, as `(printer, kind, state,
    /// backup, reprint)`: for tests and the ticket's history.
    pub async fn print_jobs_of(&self, order_id: &str) -> Result<Vec<(String, PrintKind, String, bool, bool)>, StoreError> {
        let order_id = order_id.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT printer, kind, state, backup, reprint FROM print_jobs WHERE order_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([order_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (printer, kind, state, backup, reprint) = row?;
                out.push((printer, PrintKind::parse(&kind).unwrap_or(PrintKind::Ticket), state, backup, reprint));
            }
            Ok(out)
        })
        .await
    }
}
