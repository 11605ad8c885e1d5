//! Reports' SQL: the facts a report is computed from, for the tickets the
//! kitchen first saw in a time range.
//!
//! Three reads, each bounded by the range through the `tickets_first_seen`
//! index (migration 0007): each ticket's facts (when it arrived, when it was
//! placed, brand, channel, order type, cancellation), pulled out of the JSON
//! record by SQLite so the whole record is never sent to Rust; and each
//! ticket's column moves from its log (`received`, and every entry whose
//! detail names the column it moved `to`); and each ticket's station bumps
//! and recalls (`station_bump`, `station_recall`, with the station and how
//! long after arrival it acted).
//!
//! Self-test tickets and orders of other branches are never counted.
//!
//! What it never does: count, bucket or rank (that is `crate::reports`,
//! which is pure and given the time); nor decide what a filter means.

use rusqlite::{params, Connection, Row};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::kitchen::Column;

/// The same expression as `store::history` and the migration's index.
const FIRST_SEEN: &str = "unixepoch(json_extract(t.record, '$.first_seen_at'))";

/// The log entries that move a ticket between columns: `received` puts it
/// in New; the others carry the column in `detail.to`.
const MOVES: &str = "'received', 'status', 'bump', 'recall', 'scheduled_due', 'self_test_done'";

/// One ticket as reports see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTicket {
    pub order_id: String,
    /// When the kitchen first saw the order: its day and hour.
    pub first_seen_at: OffsetDateTime,
    /// When the customer placed it: where the board's timer starts.
    pub placed_at: Option<OffsetDateTime>,
    pub brand: Option<String>,
    pub channel: Option<String>,
    /// `pickup`, `delivery`, `dine_in` or `unknown`.
    pub order_type: String,
    pub cancelled: bool,
    pub cancellation_reason: Option<String>,
}

/// A ticket entering a column, from its log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnMove {
    pub at: OffsetDateTime,
    pub to: Column,
}

/// A station bumping (or recalling) its lines of a ticket, from its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationMark {
    pub station: String,
    /// `false`: a recall (the station's lines are to cook again).
    pub bump: bool,
    /// How long after the kitchen first saw the order it acted.
    pub since_received_s: i64,
}

fn instant(text: Option<String>) -> Option<OffsetDateTime> {
    text.and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok())
}

impl Store {
    /// Every counted ticket first seen in `[from, to)`, oldest first.
    pub async fn report_tickets(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<ReportTicket>, StoreError> {
        self.read(move |c| {
            let sql = format!(
                "SELECT t.order_id, json_extract(t.record, '$.first_seen_at'), json_extract(t.record, '$.ticket.placed_at'),
                        json_extract(t.record, '$.ticket.brand.title'), json_extract(t.record, '$.ticket.channel'),
                        json_extract(t.record, '$.ticket.order_type'), json_extract(t.record, '$.ticket.cancelled'),
                        json_extract(t.record, '$.ticket.cancellation_reason')
                 FROM tickets t
                 WHERE {FIRST_SEEN} >= ?1 AND {FIRST_SEEN} < ?2
                   AND NOT coalesce(json_extract(t.record, '$.ticket.test'), 0)
                   AND NOT coalesce(json_extract(t.record, '$.ticket.other_branch'), 0)
                 ORDER BY {FIRST_SEEN}, t.seq"
            );
            let mut rows = Vec::new();
            let mut stmt = c.prepare_cached(&sql)?;
            let mut q = stmt.query(params![from.unix_timestamp(), to.unix_timestamp()])?;
            while let Some(r) = q.next()? {
                let Some(first_seen_at) = instant(r.get(1)?) else { continue };
                rows.push(ReportTicket {
                    order_id: r.get(0)?,
                    first_seen_at,
                    placed_at: instant(r.get(2)?),
                    brand: r.get(3)?,
                    channel: r.get(4)?,
                    order_type: r.get::<_, Option<String>>(5)?.unwrap_or_else(|| "unknown".into()),
                    cancelled: r.get::<_, Option<bool>>(6)?.unwrap_or(false),
                    cancellation_reason: r.get(7)?,
                });
            }
            Ok(rows)
        })
        .await
    }

    /// The column moves of every ticket first seen in `[from, to)`, as
    /// `(order_id, moves oldest first)`, in no particular ticket order.
    pub async fn report_moves(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<(String, Vec<ColumnMove>)>, StoreError> {
        self.read(move |c| {
            log_of_range(c, "e.at, e.kind, json_extract(e.detail, '$.to')", MOVES, from, to, |r| {
                let Some(at) = instant(r.get(1)?) else { return Ok(None) };
                let kind: String = r.get(2)?;
                let to = if kind == "received" { Some(Column::New) } else { r.get::<_, Option<String>>(3)?.as_deref().and_then(Column::parse) };
                Ok(to.map(|to| ColumnMove { at, to }))
            })
        })
        .await
    }

    /// The station bumps and recalls of every ticket first seen in
    /// `[from, to)`, as `(order_id, marks oldest first)`, in no particular
    /// ticket order. An entry without a station or a time is skipped.
    pub async fn report_station_marks(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<(String, Vec<StationMark>)>, StoreError> {
        self.read(move |c| {
            let columns = "e.kind, json_extract(e.detail, '$.station'), json_extract(e.detail, '$.since_received_s')";
            log_of_range(c, columns, "'station_bump', 'station_recall'", from, to, |r| {
                let (Some(station), Some(since_received_s)) = (r.get::<_, Option<String>>(2)?, r.get::<_, Option<i64>>(3)?) else { return Ok(None) };
                Ok(Some(StationMark { station, bump: r.get::<_, String>(1)? == "station_bump", since_received_s }))
            })
        })
        .await
    }
}

/// The log entries of `kinds` of every ticket first seen in `[from, to)`,
/// grouped by ticket (oldest first within one): `read` turns a row of
/// `e.order_id, {columns}` into an entry, or `None` to skip it.
fn log_of_range<T>(
    c: &Connection,
    columns: &str,
    kinds: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    read: impl Fn(&Row<'_>) -> rusqlite::Result<Option<T>>,
) -> Result<Vec<(String, Vec<T>)>, StoreError> {
    let sql = format!(
        "SELECT e.order_id, {columns}
         FROM tickets t JOIN ticket_events e ON e.order_id = t.order_id
         WHERE {FIRST_SEEN} >= ?1 AND {FIRST_SEEN} < ?2 AND e.kind IN ({kinds})
         ORDER BY e.order_id, e.id"
    );
    let mut out: Vec<(String, Vec<T>)> = Vec::new();
    let mut stmt = c.prepare_cached(&sql)?;
    let mut q = stmt.query(params![from.unix_timestamp(), to.unix_timestamp()])?;
    while let Some(r) = q.next()? {
        let order_id: String = r.get(0)?;
        let Some(entry) = read(r)? else { continue };
        match out.last_mut() {
            Some((id, entries)) if *id == order_id => entries.push(entry),
            _ => out.push((order_id, vec![entry])),
        }
    }
    Ok(out)
}
