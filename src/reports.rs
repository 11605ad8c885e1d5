//! Reports: how fast the kitchen was on one local day, computed from the
//! facts `store::reports` reads (the day's tickets and their column moves).
//!
//! What it owns, each a pure function of those facts and a `now` passed in:
//! - **Orders per hour** of the day beside the same weekday of the four
//!   weeks before, in the kitchen's local hours (a day that changes clocks
//!   folds the repeated hour into one bucket and leaves the skipped one 0).
//! - **Time in each column** (New, Preparing, Ready): per ticket the sum of
//!   its completed stays in that column, then the median and the 90th
//!   percentile over tickets, by the nearest-rank method (each figure is a
//!   real ticket's time; the median of an even count is the lower middle).
//! - **Late share**: of the tickets whose outcome is known, those whose
//!   board timer (from `placed_at`, or arrival without one) reached the red
//!   threshold before they were done. A ticket still on the board counts
//!   once it is late; one not yet late is left out until it is done.
//! - **Time at each station**: per ticket and station, how long after the
//!   kitchen first saw the order that station bumped its lines (the last
//!   bump, unless recalled since), then the median and 90th percentile
//!   over tickets as for columns.
//! - **The day summary**: orders, tickets done, average ticket time (arrival
//!   to done, as the CSV export's `minutes_to_done`), and cancellations by
//!   reason.
//!
//! Every timing figure ignores cancelled tickets and tickets open more than
//! [`MAX_OPEN`] (from entering the kitchen's first column to done, or to
//! `now` while still open): a ticket nobody bumped says nothing about speed.
//! Filters (brand, channel, order type) apply to everything; the choices
//! offered are the values present that day.
//!
//! The local day comes from the configured time zone (`timezone` in
//! `config.toml`, `KDS_TIMEZONE`, else the machine's; see `config`).
//!
//! What it never does: SQL (that is `store::reports`) or HTTP (`api::reports`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::kitchen::Column;
use crate::store::{ColumnMove, ReportTicket, StationMark, Store, StoreError};

/// A ticket open longer than this is left out of every timing figure.
pub const MAX_OPEN: Duration = Duration::hours(4);
/// How many earlier weeks the orders-per-hour chart compares with.
pub const WEEKS_BACK: usize = 4;
/// The columns whose times are reported, in board order.
pub const TIMED_COLUMNS: [Column; 3] = [Column::New, Column::Preparing, Column::Ready];

/// What to count: every part given must match (brand by its name).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFilter {
    pub brand: Option<String>,
    pub channel: Option<String>,
    pub order_type: Option<String>,
}

impl ReportFilter {
    fn matches(&self, t: &ReportTicket) -> bool {
        let is = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
        is(&self.brand, t.brand.as_deref()) && is(&self.channel, t.channel.as_deref()) && is(&self.order_type, Some(&t.order_type))
    }
}

/// Orders per local hour (24 counts, index = hour) of one day.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyOrders {
    /// The local day, `2026-11-30`.
    pub date: String,
    pub counts: Vec<u32>,
}

/// The day's orders per hour, and the same weekday of earlier weeks (one
/// week back first).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPerHour {
    pub day: HourlyOrders,
    pub weeks: Vec<HourlyOrders>,
}

/// Time spent in one column, over the tickets that completed a stay there.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnTime {
    pub column: Column,
    pub tickets: u32,
    /// `null` when no ticket completed a stay in the column.
    pub median_seconds: Option<u32>,
    pub p90_seconds: Option<u32>,
}

/// Time at one station: from the kitchen first seeing a ticket to the
/// station bumping its lines, over the tickets it bumped.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationTime {
    pub station: String,
    pub tickets: u32,
    pub median_seconds: Option<u32>,
    pub p90_seconds: Option<u32>,
}

/// How many tickets went past the red threshold.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LateShare {
    pub late_after_minutes: u32,
    /// Tickets whose outcome is known (done, or already late).
    pub tickets: u32,
    pub late: u32,
    /// `late / tickets`, 0 to 1; `null` with no tickets.
    pub share: Option<f64>,
}

/// Cancellations with one reason.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationCount {
    /// klikit's reason, or `no reason given`.
    pub reason: String,
    pub count: u32,
}

/// The day in a few numbers.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySummary {
    pub orders: u32,
    /// Tickets done (not cancelled).
    pub done: u32,
    /// Mean of arrival to done over the done tickets, whole seconds.
    pub average_ticket_seconds: Option<u32>,
    pub cancelled: u32,
    /// Most frequent first.
    pub cancellations: Vec<CancellationCount>,
}

/// The filter choices present on the day.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOptions {
    pub brands: Vec<String>,
    pub channels: Vec<String>,
    pub order_types: Vec<String>,
}

/// `GET /api/reports/day`: everything the Reports view shows for one day.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayReport {
    /// The local day, `2026-11-30`.
    pub date: String,
    /// The time zone that day is in (an IANA name, or a UTC offset).
    pub timezone: String,
    pub filter: ReportFilter,
    pub options: ReportOptions,
    /// No order matched: the view shows its empty state.
    pub empty: bool,
    pub orders_per_hour: OrdersPerHour,
    pub columns: Vec<ColumnTime>,
    pub stations: Vec<StationTime>,
    pub late: LateShare,
    pub summary: DaySummary,
}

/// The facts of one local day: its tickets, each one's column moves and
/// its station bumps.
#[derive(Debug, Clone, Default)]
pub struct DayFacts {
    pub tickets: Vec<ReportTicket>,
    pub moves: HashMap<String, Vec<ColumnMove>>,
    pub stations: HashMap<String, Vec<StationMark>>,
}

/// The local day `at` falls on in `zone`.
pub fn local_date(at: OffsetDateTime, zone: &TimeZone) -> Date {
    let z = zoned(at, zone);
    Date::from_calendar_date(z.year() as i32, time::Month::try_from(z.month() as u8).unwrap_or(time::Month::January), z.day() as u8).unwrap_or(at.date())
}

/// `[start, end)` of a local day, as instants.
pub fn day_bounds(date: Date, zone: &TimeZone) -> (OffsetDateTime, OffsetDateTime) {
    let start = |d: Date| -> OffsetDateTime {
        let civil = jiff::civil::date(d.year() as i16, d.month() as i8, d.day() as i8);
        civil
            .to_zoned(zone.clone())
            .ok()
            .and_then(|z| OffsetDateTime::from_unix_timestamp(z.timestamp().as_second()).ok())
            .unwrap_or_else(|| d.midnight().assume_utc())
    };
    (start(date), start(date.next_day().unwrap_or(date)))
}

/// The name a report shows for `zone`.
pub fn zone_name(zone: &TimeZone) -> String {
    zone.iana_name().map(str::to_string).unwrap_or_else(|| zone.to_offset(jiff::Timestamp::now()).to_string())
}

fn zoned(at: OffsetDateTime, zone: &TimeZone) -> jiff::Zoned {
    jiff::Timestamp::from_second(at.unix_timestamp()).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone.clone())
}

/// Reads one local day's facts.
pub async fn day_facts(store: &Store, date: Date, zone: &TimeZone) -> Result<DayFacts, StoreError> {
    let (from, to) = day_bounds(date, zone);
    let tickets = store.report_tickets(from, to).await?;
    let moves = store.report_moves(from, to).await?.into_iter().collect();
    let stations = store.report_station_marks(from, to).await?.into_iter().collect();
    Ok(DayFacts { tickets, moves, stations })
}

/// Orders per local hour of `date` and of the same weekday in each of the
/// [`WEEKS_BACK`] weeks before.
pub async fn orders_per_hour(store: &Store, date: Date, zone: &TimeZone, filter: &ReportFilter) -> Result<OrdersPerHour, StoreError> {
    let mut days = Vec::with_capacity(WEEKS_BACK + 1);
    for week in 0..=WEEKS_BACK {
        let d = date - Duration::weeks(week as i64);
        let (from, to) = day_bounds(d, zone);
        let tickets = store.report_tickets(from, to).await?;
        days.push(hourly(d, &tickets, zone, filter));
    }
    let day = days.remove(0);
    Ok(OrdersPerHour { day, weeks: days })
}

fn hourly(date: Date, tickets: &[ReportTicket], zone: &TimeZone, filter: &ReportFilter) -> HourlyOrders {
    let mut counts = vec![0u32; 24];
    for t in tickets.iter().filter(|t| filter.matches(t)) {
        counts[zoned(t.first_seen_at, zone).hour() as usize] += 1;
    }
    HourlyOrders { date: date.to_string(), counts }
}

/// What one ticket's log says about its times.
#[derive(Debug, Default)]
struct Timing {
    /// Seconds per column, summed over its completed stays.
    stays: BTreeMap<Column, i64>,
    /// Entered the first column that is not Scheduled.
    started: Option<OffsetDateTime>,
    /// Last entered Done (and not recalled since).
    done: Option<OffsetDateTime>,
    /// Done or cancelled, whichever ended it.
    ended: Option<OffsetDateTime>,
}

fn timing(moves: &[ColumnMove]) -> Timing {
    let mut t = Timing::default();
    let mut current: Option<(Column, OffsetDateTime)> = None;
    for m in moves {
        if t.started.is_none() && m.to != Column::Scheduled {
            t.started = Some(m.at);
        }
        if current.is_some_and(|(c, _)| c == m.to) {
            continue;
        }
        if let Some((c, since)) = current {
            *t.stays.entry(c).or_default() += (m.at - since).whole_seconds().max(0);
        }
        current = Some((m.to, m.at));
        t.done = (m.to == Column::Done).then_some(m.at);
        t.ended = matches!(m.to, Column::Done | Column::Cancelled).then_some(m.at);
    }
    t
}

impl DayFacts {
    /// The tickets that pass `filter`, each with its timing.
    fn matching<'a>(&'a self, filter: &'a ReportFilter) -> impl Iterator<Item = (&'a ReportTicket, Timing)> + 'a {
        self.tickets.iter().filter(|t| filter.matches(t)).map(|t| (t, timing(self.moves.get(&t.order_id).map_or(&[][..], Vec::as_slice))))
    }

    /// The tickets that count for timing figures: not cancelled, not open
    /// longer than [`MAX_OPEN`].
    fn timed<'a>(&'a self, filter: &'a ReportFilter, now: OffsetDateTime) -> impl Iterator<Item = (&'a ReportTicket, Timing)> + 'a {
        self.matching(filter).filter(move |(t, timing)| !t.cancelled && timing.started.is_some_and(|s| timing.ended.unwrap_or(now) - s <= MAX_OPEN))
    }

    /// The filter choices present on the day.
    pub fn options(&self) -> ReportOptions {
        let set = |f: &dyn Fn(&ReportTicket) -> Option<&str>| -> Vec<String> {
            self.tickets.iter().filter_map(f).map(str::to_string).collect::<BTreeSet<_>>().into_iter().collect()
        };
        ReportOptions {
            brands: set(&|t| t.brand.as_deref()),
            channels: set(&|t| t.channel.as_deref()),
            order_types: set(&|t| Some(&t.order_type)),
        }
    }

    /// Median and 90th percentile of the time in each of [`TIMED_COLUMNS`].
    pub fn column_times(&self, filter: &ReportFilter, now: OffsetDateTime) -> Vec<ColumnTime> {
        let mut per_column: BTreeMap<Column, Vec<i64>> = BTreeMap::new();
        for (_, timing) in self.timed(filter, now) {
            for (column, seconds) in timing.stays {
                per_column.entry(column).or_default().push(seconds);
            }
        }
        TIMED_COLUMNS
            .iter()
            .map(|c| {
                let mut secs = per_column.remove(c).unwrap_or_default();
                secs.sort_unstable();
                ColumnTime { column: *c, tickets: secs.len() as u32, median_seconds: nearest_rank(&secs, 0.5), p90_seconds: nearest_rank(&secs, 0.9) }
            })
            .collect()
    }

    /// Median and 90th percentile, per station (by name), of how long after
    /// arrival the station bumped its lines: the same tickets as the column
    /// times. A station's last bump counts, unless a recall followed it.
    pub fn station_times(&self, filter: &ReportFilter, now: OffsetDateTime) -> Vec<StationTime> {
        let mut per_station: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for (t, _) in self.timed(filter, now) {
            for (station, seconds) in station_done(self.stations.get(&t.order_id).map_or(&[][..], Vec::as_slice)) {
                per_station.entry(station).or_default().push(seconds);
            }
        }
        per_station
            .into_iter()
            .map(|(station, mut secs)| {
                secs.sort_unstable();
                StationTime { station: station.to_string(), tickets: secs.len() as u32, median_seconds: nearest_rank(&secs, 0.5), p90_seconds: nearest_rank(&secs, 0.9) }
            })
            .collect()
    }

    /// The share of tickets whose board timer went red before they were done.
    pub fn late_share(&self, filter: &ReportFilter, late_after_minutes: u32, now: OffsetDateTime) -> LateShare {
        let red = Duration::minutes(late_after_minutes as i64);
        let (mut tickets, mut late) = (0u32, 0u32);
        for (t, timing) in self.timed(filter, now) {
            let start = t.placed_at.unwrap_or(t.first_seen_at);
            let went_late = timing.done.unwrap_or(now) - start >= red;
            if timing.done.is_some() || went_late {
                tickets += 1;
                late += went_late as u32;
            }
        }
        LateShare { late_after_minutes, tickets, late, share: (tickets > 0).then(|| late as f64 / tickets as f64) }
    }

    /// Orders, tickets done, the average ticket time and cancellations.
    pub fn summary(&self, filter: &ReportFilter, now: OffsetDateTime) -> DaySummary {
        let (mut orders, mut cancelled) = (0u32, 0u32);
        let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
        for (t, _) in self.matching(filter) {
            orders += 1;
            if t.cancelled {
                cancelled += 1;
                let reason = t.cancellation_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).unwrap_or("no reason given");
                *reasons.entry(reason.to_string()).or_default() += 1;
            }
        }
        let times: Vec<i64> = self.timed(filter, now).filter_map(|(t, timing)| timing.done.map(|d| (d - t.first_seen_at).whole_seconds())).collect();
        let average = (!times.is_empty()).then(|| (times.iter().sum::<i64>() as f64 / times.len() as f64).round().max(0.0) as u32);
        let mut cancellations: Vec<CancellationCount> = reasons.into_iter().map(|(reason, count)| CancellationCount { reason, count }).collect();
        cancellations.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        DaySummary { orders, done: times.len() as u32, average_ticket_seconds: average, cancelled, cancellations }
    }
}


/// Each station's finishing time on one ticket, from its marks (oldest
/// first): its last bump, unless a recall came after it.
fn station_done(marks: &[StationMark]) -> BTreeMap<&str, i64> {
    let mut done = BTreeMap::new();
    for m in marks {
        if m.bump {
            done.insert(m.station.as_str(), m.since_received_s.max(0));
        } else {
            done.remove(m.station.as_str());
        }
    }
    done
}

/// The nearest-rank percentile of sorted `values`: the smallest value with
/// at least `p` of them at or below it.
fn nearest_rank(sorted: &[i64], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1].clamp(0, u32::MAX as i64) as u32)
}

/// The whole report for one local day.
pub async fn day_report(store: &Store, date: Date, zone: &TimeZone, filter: ReportFilter, late_after_minutes: u32, now: OffsetDateTime) -> Result<DayReport, StoreError> {
    let facts = day_facts(store, date, zone).await?;
    let orders_per_hour = orders_per_hour(store, date, zone, &filter).await?;
    let summary = facts.summary(&filter, now);
    Ok(DayReport {
        date: date.to_string(),
        timezone: zone_name(zone),
        options: facts.options(),
        empty: summary.orders == 0,
        orders_per_hour,
        columns: facts.column_times(&filter, now),
        stations: facts.station_times(&filter, now),
        late: facts.late_share(&filter, late_after_minutes, now),
        summary,
        filter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn mv(at: OffsetDateTime, to: Column) -> ColumnMove {
        ColumnMove { at, to }
    }

    #[test]
    fn nearest_rank_takes_real_values() {
        assert_eq!(nearest_rank(&[], 0.5), None, "no tickets, no median");
        assert_eq!(nearest_rank(&[10, 20, 30, 40], 0.5), Some(20), "the lower middle of an even count");
        assert_eq!(nearest_rank(&[10, 20, 30, 40, 50], 0.5), Some(30));
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 0.9), Some(90), "90 of 100 values are at or below 90");
        assert_eq!(nearest_rank(&[7], 0.9), Some(7));
    }

    #[test]
    fn a_recall_adds_a_second_stay_and_undoes_done() {
        let t0 = datetime!(2026-11-30 12:00 UTC);
        let m = |min: i64, c| mv(t0 + Duration::minutes(min), c);
        let t = timing(&[m(0, Column::New), m(2, Column::Preparing), m(10, Column::Ready), m(12, Column::Preparing), m(15, Column::Ready)]);
        assert_eq!(t.stays.get(&Column::Preparing), Some(&(11 * 60)), "8 + 3 minutes in Preparing");
        assert_eq!(t.stays.get(&Column::Ready), Some(&(2 * 60)), "only the completed stay in Ready counts");
        assert_eq!((t.done, t.started), (None, Some(t0)), "never done; started on arrival");
        let t = timing(&[m(0, Column::Scheduled), m(60, Column::New), m(70, Column::Done), m(71, Column::Ready)]);
        assert_eq!(t.started, Some(t0 + Duration::minutes(60)), "a scheduled ticket starts when it comes due");
        assert_eq!(t.done, None, "recalled out of Done");
    }

    #[test]
    fn local_days_follow_the_zone() {
        let jakarta = TimeZone::get("Asia/Jakarta").unwrap();
        let (from, to) = day_bounds(time::macros::date!(2026 - 11 - 30), &jakarta);
        assert_eq!(from, datetime!(2026-11-29 17:00 UTC), "Jakarta's midnight is 17:00 UTC the day before");
        assert_eq!(to - from, Duration::days(1));
        assert_eq!(local_date(datetime!(2026-11-30 18:00 UTC), &jakarta), time::macros::date!(2026 - 12 - 01));
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let (from, to) = day_bounds(time::macros::date!(2026 - 10 - 25), &berlin);
        assert_eq!(to - from, Duration::hours(25), "the day the clocks go back has 25 hours");
    }

    #[test]
    fn a_station_counts_its_last_bump_unless_recalled() {
        let mark = |station: &str, bump, s| StationMark { station: station.into(), bump, since_received_s: s };
        let marks = [mark("grill", true, 300), mark("drinks", true, 60), mark("grill", false, 320), mark("grill", true, 480), mark("drinks", false, 90)];
        assert_eq!(station_done(&marks).into_iter().collect::<Vec<_>>(), [("grill", 480)], "grill bumped again after its recall; drinks' recall left it unfinished");
    }
}
