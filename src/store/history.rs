//! History: the SQL that finds past orders (by number, item, brand or day)
//! and reads a date range's tickets with their logs for the export.
//!
//! A ticket's day is when the kitchen first saw the order (the record's
//! `first_seen_at`), so an order placed before midnight and cooked after
//! counts once, on the day it arrived. Search reads the JSON records with
//! SQLite's JSON functions; there is no separate search index (yet), so a
//! search over a year is a scan, bounded by its result limit.
//!
//! What it never does: format (CSV and JSON are `api`'s) or decide anything
//! about the tickets it reads.

use rusqlite::params;
use time::OffsetDateTime;

use super::tickets::{events_of, json_err};
use super::{Store, StoreError, TicketEvent};
use crate::kitchen::{Record, Ticket};

/// What to look for. Every part is optional; all given parts must match.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Matched, case-insensitively, against the order id, the short number,
    /// the brand's name and every item's name.
    pub text: Option<String>,
    /// First seen at or after this.
    pub from: Option<OffsetDateTime>,
    /// First seen before this.
    pub to: Option<OffsetDateTime>,
    pub limit: usize,
}

const FIRST_SEEN: &str = "unixepoch(json_extract(record, '$.first_seen_at'))";

fn like_pattern(text: &str) -> String {
    let escaped = text.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

fn seconds(t: Option<OffsetDateTime>, default: i64) -> i64 {
    t.map_or(default, |t| t.unix_timestamp())
}

impl Store {
    /// Tickets matching `query`, newest first.
    pub async fn search_tickets(&self, query: HistoryQuery) -> Result<Vec<Ticket>, StoreError> {
        self.read(move |c| {
            let sql = format!(
                "SELECT record FROM tickets
                 WHERE {FIRST_SEEN} >= ?1 AND {FIRST_SEEN} < ?2
                   AND (?3 IS NULL
                        OR order_id LIKE ?3 ESCAPE '\\'
                        OR json_extract(record, '$.ticket.short_id') LIKE ?3 ESCAPE '\\'
                        OR json_extract(record, '$.ticket.brand.title') LIKE ?3 ESCAPE '\\'
                        OR EXISTS (SELECT 1 FROM json_each(record, '$.ticket.lines') WHERE json_extract(value, '$.name') LIKE ?3 ESCAPE '\\'))
                 ORDER BY {FIRST_SEEN} DESC, seq DESC LIMIT ?4"
            );
            let text = query.text.as_deref().filter(|t| !t.trim().is_empty()).map(like_pattern);
            let records = c
                .prepare_cached(&sql)?
                .query_map(params![seconds(query.from, i64::MIN), seconds(query.to, i64::MAX), text, query.limit as i64], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            records.iter().map(|t| serde_json::from_str::<Record>(t).map(|r| r.ticket).map_err(json_err)).collect()
        })
        .await
    }

    /// Every ticket first seen in `[from, to)`, oldest first, each with its
    /// log (oldest first) and when the kitchen first saw it.
    pub async fn tickets_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<(Record, Vec<TicketEvent>)>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT record FROM tickets WHERE {FIRST_SEEN} >= ?1 AND {FIRST_SEEN} < ?2 ORDER BY {FIRST_SEEN}, seq");
            let records = c
                .prepare_cached(&sql)?
                .query_map(params![from.unix_timestamp(), to.unix_timestamp()], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            records
                .iter()
                .map(|t| {
                    let record: Record = serde_json::from_str(t).map_err(json_err)?;
                    let events = events_of(c, &record.ticket.order_id)?;
                    Ok((record, events))
                })
                .collect()
        })
        .await
    }
}
