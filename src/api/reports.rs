//! `GET /api/reports/day`: one local day's report (orders per hour beside
//! four earlier weeks, time in each column, late share, the day summary),
//! filtered by brand, channel and order type.
//!
//! Query: `date` (a local day, `2026-11-30`; today in the kitchen's time
//! zone when absent), `brand`, `channel`, `order_type` (empty means any).
//! The red threshold is the board's (`late_after_minutes` in Settings). A
//! day without orders is an empty report (`"empty": true`), not an error.
//!
//! What it never does: SQL or arithmetic on tickets (that is `reports`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use time::{Date, OffsetDateTime};

use super::{ApiError, AppState};
use crate::config;
use crate::reports::{self, DayReport, ReportFilter};

/// The oldest day a report may ask for: nothing older than the ticket
/// retention's longest allowed setting is kept anyway.
const MAX_DAYS_BACK: i64 = 5 * 366;

fn day(value: &str, today: Date) -> Result<Date, ApiError> {
    let date = Date::parse(value.trim(), time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::BadRequest(format!("date must be a day like 2026-11-30, not {value:?}")))?;
    if (today - date).whole_days() > MAX_DAYS_BACK || date > today + time::Duration::days(1) {
        return Err(ApiError::BadRequest(format!("date {date} is out of range")));
    }
    Ok(date)
}

/// `GET /api/reports/day?date=&brand=&channel=&order_type=`
pub async fn day_report(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Json<DayReport>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let zone = &state.config.timezone;
    let today = reports::local_date(now, zone);
    let date = match q.get("date").filter(|v| !v.trim().is_empty()) {
        Some(v) => day(v, today)?,
        None => today,
    };
    let pick = |name: &str| q.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let filter = ReportFilter { brand: pick("brand"), channel: pick("channel"), order_type: pick("order_type") };
    let dir = state.config.data_dir.clone();
    let late_after = match tokio::task::spawn_blocking(move || config::read_config_file(&dir)).await {
        Ok(Ok(file)) => file.board.unwrap_or_default().late_after_minutes,
        _ => config::BoardSettings::default().late_after_minutes,
    };
    Ok(Json(reports::day_report(&state.store, date, zone, filter, late_after, now).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn days_are_checked() {
        let today = date!(2026 - 11 - 30);
        assert_eq!(day("2026-11-23", today).unwrap(), date!(2026 - 11 - 23));
        assert!(day("23/11/2026", today).is_err(), "a date kds cannot read is a 400");
        assert!(day("1999-01-01", today).is_err(), "a day long before any kept ticket is refused");
        assert!(day("2027-01-01", today).is_err(), "a day in the future has no orders to report");
    }
}
