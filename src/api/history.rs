//! History: searching past orders, one ticket's timeline, and the CSV export
//! of a date range's orders and ticket times.
//!
//! Dates in queries are calendar days (`2026-11-30`, UTC) or RFC 3339
//! instants; `to` is exclusive for instants and inclusive for days. The CSV
//! is written by the `csv` crate (quoting), and every text cell that a
//! spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is prefixed with `'`, so an order comment like
//! `=HYPERLINK(...)` stays text.
//!
//! What it never does: SQL (that is `store::history`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};

use super::wire::{self, HistoryList, LogEntry, Timeline};
use super::{ApiError, AppState};
use crate::kitchen::Record;
use crate::store::{HistoryQuery, TicketEvent};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;
/// The longest range one export covers.
const MAX_EXPORT_DAYS: i64 = 400;

/// Reads a `from`/`to` value: a day (`2026-11-30`) or an RFC 3339 instant.
/// `end` turns a day into the start of the next one (an inclusive last day).
fn instant(name: &str, value: &str, end: bool) -> Result<OffsetDateTime, ApiError> {
    let value = value.trim();
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(t);
    }
    let day = Date::parse(value, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::BadRequest(format!("{name} must be a day like 2026-11-30 or an RFC 3339 time, not {value:?}")))?;
    let start = day.midnight().assume_utc();
    Ok(if end { start + Duration::days(1) } else { start })
}

fn range(q: &HashMap<String, String>) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), ApiError> {
    let from = q.get("from").filter(|v| !v.trim().is_empty()).map(|v| instant("from", v, false)).transpose()?;
    let to = q.get("to").filter(|v| !v.trim().is_empty()).map(|v| instant("to", v, true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            return Err(ApiError::BadRequest("to must come after from".into()));
        }
    }
    Ok((from, to))
}

/// `GET /api/history?q=&from=&to=&limit=`: past (and present) tickets,
/// newest first.
pub async fn search(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<HistoryList>, ApiError> {
    let (from, to) = range(&q)?;
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| ApiError::BadRequest(format!("limit must be 1 to {MAX_LIMIT}")))?,
    };
    let query = HistoryQuery { text: q.get("q").cloned(), from, to, limit };
    let tickets = state.store.search_tickets(query).await?;
    Ok(Json(HistoryList { tickets: tickets.iter().map(wire::Ticket::from).collect() }))
}

/// `GET /api/tickets/{order_id}/timeline`: the ticket and its whole log.
pub async fn timeline(State(state): State<AppState>, Path(order_id): Path<String>) -> Result<Json<Timeline>, ApiError> {
    let ticket = state.store.ticket(&order_id).await?.ok_or(ApiError::NotFound("no such ticket"))?;
    let events = state.store.ticket_events(&order_id).await?;
    Ok(Json(Timeline { ticket: wire::Ticket::from(&ticket), events: events.into_iter().map(LogEntry::from).collect() }))
}

/// `GET /api/export.csv?from=&to=`: one row per order first seen in the range.
pub async fn export(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let (Some(from), Some(to)) = range(&q)? else {
        return Err(ApiError::BadRequest("from and to are required, e.g. ?from=2026-11-01&to=2026-11-30".into()));
    };
    if to - from > Duration::days(MAX_EXPORT_DAYS) {
        return Err(ApiError::BadRequest(format!("one export covers at most {MAX_EXPORT_DAYS} days")));
    }
    let rows = state.store.tickets_between(from, to).await?;
    let body = orders_csv(&rows).map_err(|e| ApiError::BadRequest(format!("cannot write the CSV: {e}")))?;
    let name = format!("attachment; filename=\"kds-orders-{}-{}.csv\"", from.date(), (to - Duration::seconds(1)).date());
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], body).into_response())
}

/// A cell a spreadsheet would run as a formula, made plain text.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn rfc3339(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// When the log shows the ticket entering `column` for the last time.
fn entered(events: &[TicketEvent], column: &str) -> Option<OffsetDateTime> {
    events.iter().rev().find(|e| e.detail.get("to").and_then(Value::as_str) == Some(column)).and_then(|e| OffsetDateTime::parse(&e.at, &Rfc3339).ok())
}

/// The export's CSV: a header and one row per ticket.
pub fn orders_csv(rows: &[(Record, Vec<TicketEvent>)]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "order_id", "number", "brand", "channel", "order_type", "received_at", "placed_at", "column", "status", "items", "item_count", "cancelled",
        "cancellation_reason", "ready_at", "done_at", "minutes_to_done",
    ])?;
    for (record, events) in rows {
        let t = &record.ticket;
        let received = record.first_seen_at();
        let done = entered(events, "done");
        let items = t.lines.iter().filter(|l| l.quantity > 0).map(|l| format!("{}x {}", l.quantity, l.name)).collect::<Vec<_>>().join("; ");
        let order_type = serde_json::to_value(t.order_type).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        out.write_record([
            cell(&t.order_id),
            cell(&t.short_id),
            cell(t.brand.as_ref().and_then(|b| b.title.as_deref()).unwrap_or("")),
            cell(t.channel.as_deref().unwrap_or("")),
            order_type,
            rfc3339(Some(received)),
            rfc3339(t.placed_at),
            t.column.as_str().to_string(),
            cell(&t.status),
            cell(&items),
            t.item_count.to_string(),
            t.cancelled.to_string(),
            cell(t.cancellation_reason.as_deref().unwrap_or("")),
            rfc3339(entered(events, "ready")),
            rfc3339(done),
            done.map(|d| format!("{:.1}", (d - received).as_seconds_f64() / 60.0)).unwrap_or_default(),
        ])?;
    }
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_ordinary_text_is_untouched() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(cell("+1 555"), "'+1 555");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Burger, no onions"), "Burger, no onions", "plain text keeps its first character");
    }

    #[test]
    fn days_are_inclusive_and_instants_exact() {
        let q = |from: &str, to: &str| range(&HashMap::from([("from".to_string(), from.to_string()), ("to".to_string(), to.to_string())]));
        let (f, t) = q("2026-11-01", "2026-11-01").unwrap();
        assert_eq!(t.unwrap() - f.unwrap(), Duration::days(1), "a single day covers that whole day");
        assert!(q("2026-11-02", "2026-11-01").is_err(), "a range ending before it starts is refused");
        assert!(q("yesterday", "2026-11-01").is_err(), "a date kds cannot read is refused");
        let (f, _) = q("2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z").unwrap();
        assert_eq!(f.unwrap().hour(), 10);
    }
}
