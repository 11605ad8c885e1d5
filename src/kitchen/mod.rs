//! The kitchen's rules: how klikit's order snapshots and a person's taps on a
//! screen turn into tickets in columns.
//!
//! What it owns:
//! - **Applying a snapshot** ([`Kitchen::apply`]). Every klikit event carries
//!   the full order record, so each is treated as a snapshot. A status moves
//!   a ticket by *rank* (scheduled < placed < accepted < ready < delivered /
//!   picked up < cancelled), never backwards, and cancelled is terminal and
//!   sticky. Driver states (7, 8) only set a badge. The cart and the other
//!   details come from the newest snapshot (by klikit's `updated_at`): an
//!   older one is recorded as stale and its cart and details are ignored,
//!   but its status still counts if it moves the ticket forward (so a late
//!   cancellation is never lost). Together these make the result independent
//!   of the order in which deliveries arrive, and of duplicates.
//! - **Cart changes.** A new cart replaces the old one whole; each line is
//!   marked against the cart the kitchen last acknowledged (added, removed,
//!   quantity, modifiers) until someone acknowledges.
//! - **Screens** ([`Kitchen::act`]): bump one column forward, recall one back
//!   (out of Done only within the recall window), acknowledge a change or a
//!   cancellation, each optionally guarded by the column the screen saw.
//! - **Clock rules** ([`Kitchen::tick`]): self-test tickets finish by
//!   themselves a minute after they arrive; scheduled tickets move to New
//!   at their fire time (scheduled time minus the prep time, see `station`).
//! - **Stations** (`station`, `progress`, `screen`, `allday`, `rush`): each
//!   line's station and done state, a station's bump and recall, the expo's
//!   rush mark, what each screen sees, and the all-day counts.
//!
//! What it never does: I/O. Time is passed in; storing and publishing are the
//! applier's and the store's business.

pub mod allday;
pub mod progress;
pub mod rush;
pub mod screen;
pub mod station;
pub mod sync;
pub mod ticket;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::klikit::order::{Line, Order};
use crate::klikit::{channel_name, OrderStatus, StatusTable};
pub use sync::{KlikitAction, KlikitSync, SyncState, REASON_CODES};
pub use station::{Setup, SetupCell, Station};
pub use ticket::{carry_done, diff, Column, Driver, LineChange, StationProgress, Ticket, TicketLine};

/// How long a done ticket can be recalled, by default.
pub const DEFAULT_RECALL_WINDOW: Duration = Duration::minutes(10);
/// A self-test ticket is done this long after it arrived.
pub const SELF_TEST_LIFETIME: Duration = Duration::seconds(60);

/// Who caused a change: klikit, a person at a screen, or the kitchen's own
/// clock rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Klikit,
    Screen,
    Kitchen,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Klikit => "klikit",
            Source::Screen => "screen",
            Source::Kitchen => "kitchen",
        }
    }
}

/// One entry for the append-only ticket log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: OffsetDateTime,
    pub source: Source,
    pub kind: EventKind,
    pub detail: Value,
}

/// What a log entry records. Stored (and shown by the API) as its
/// snake_case name, which never changes once written: stored logs keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The first snapshot of an order opened its ticket.
    Received,
    /// A klikit status moved the ticket.
    Status,
    /// A klikit status behind the one applied, ignored.
    StatusIgnored,
    /// A driver was assigned or arrived.
    Driver,
    /// A status code the table does not know, shown raw.
    UnknownStatus,
    /// The cart changed.
    Cart,
    /// Order details other than the cart or status changed.
    Details,
    /// A snapshot older than the newest applied, ignored.
    Stale,
    /// A snapshot that changed nothing.
    Unchanged,
    /// A screen bumped the ticket.
    Bump,
    /// A screen recalled the ticket.
    Recall,
    /// A screen acknowledged a change or cancellation.
    Acknowledge,
    /// The self-test ticket finished by itself.
    SelfTestDone,
    /// A scheduled order came due.
    ScheduledDue,
    /// The order belongs to a branch this kitchen does not serve.
    OtherBranch,
    /// A screen rejected the order (with a reason, sent to klikit).
    Rejected,
    /// A screen cancelled the order (with a reason, sent to klikit).
    Cancelled,
    /// A screen put a failed klikit action back in the outbox.
    KlikitRetry,
    /// The outbox's sender recorded what klikit answered.
    KlikitSync,
    /// A station bumped its lines (`detail.station`, `detail.lines`).
    StationBump,
    /// A station recalled its lines.
    StationRecall,
    /// A cart change gave a finished station lines to cook again.
    Reopened,
    /// The expo set or cleared the rush mark (`detail.rush`).
    Rush,
    /// A change of the station setup moved lines to other stations.
    Rerouted,
}

impl EventKind {
    /// The stored name (`received`, `status_ignored`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Received => "received",
            EventKind::Status => "status",
            EventKind::StatusIgnored => "status_ignored",
            EventKind::Driver => "driver",
            EventKind::UnknownStatus => "unknown_status",
            EventKind::Cart => "cart",
            EventKind::Details => "details",
            EventKind::Stale => "stale",
            EventKind::Unchanged => "unchanged",
            EventKind::Bump => "bump",
            EventKind::Recall => "recall",
            EventKind::Acknowledge => "acknowledge",
            EventKind::SelfTestDone => "self_test_done",
            EventKind::ScheduledDue => "scheduled_due",
            EventKind::OtherBranch => "other_branch",
            EventKind::Rejected => "rejected",
            EventKind::Cancelled => "cancelled",
            EventKind::KlikitRetry => "klikit_retry",
            EventKind::KlikitSync => "klikit_sync",
            EventKind::StationBump => "station_bump",
            EventKind::StationRecall => "station_recall",
            EventKind::Reopened => "reopened",
            EventKind::Rush => "rush",
            EventKind::Rerouted => "rerouted",
        }
    }
}

impl From<Action> for EventKind {
    fn from(action: Action) -> EventKind {
        match action {
            Action::Bump => EventKind::Bump,
            Action::Recall => EventKind::Recall,
            Action::Acknowledge => EventKind::Acknowledge,
        }
    }
}

/// What a screen asks for.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Bump,
    Recall,
    Acknowledge,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Bump => "bump",
            Action::Recall => "recall",
            Action::Acknowledge => "acknowledge",
        }
    }
}

/// A screen action refused (answered 409 with the current ticket).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub reason: String,
    pub ticket: Ticket,
}

/// Worth a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    NewOrder,
    Cancelled,
}

/// Everything the kitchen keeps about one order: the ticket as shown, plus
/// what the rules need to remember.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub ticket: Ticket,
    /// The current cart.
    cart: Vec<Line>,
    /// The cart the kitchen last acknowledged; change marks are against it.
    baseline: Vec<Line>,
    /// Rank of the furthest klikit status applied.
    status_rank: Option<u8>,
    /// When the kitchen first saw the order.
    #[serde(with = "time::serde::rfc3339")]
    first_seen_at: OffsetDateTime,
}

impl Record {
    /// When the kitchen first saw the order (a ticket's day, for history).
    pub fn first_seen_at(&self) -> OffsetDateTime {
        self.first_seen_at
    }

    /// When a clock rule will next apply to this ticket, if ever.
    pub fn due_at(&self) -> Option<OffsetDateTime> {
        let t = &self.ticket;
        match t.column {
            Column::Done | Column::Cancelled => None,
            _ if t.test => Some(self.first_seen_at.max(t.placed_at.unwrap_or(self.first_seen_at)) + SELF_TEST_LIFETIME),
            Column::Scheduled => t.fire_at,
            _ => None,
        }
    }

    /// The current cart, without change marks.
    pub fn cart(&self) -> &[Line] {
        &self.cart
    }
}

/// The result of applying one order snapshot.
#[derive(Debug, Clone)]
pub struct Applied {
    pub record: Record,
    /// Whether the ticket changed (and so needs saving and publishing).
    pub changed: bool,
    pub events: Vec<Event>,
    pub notices: Vec<Notice>,
}

/// The rules, with their settings.
#[derive(Debug, Clone)]
pub struct Kitchen {
    pub statuses: StatusTable,
    pub recall_window: Duration,
    /// The branch ids this kitchen serves (empty: all). Orders of other
    /// branches are kept, marked `other_branch`, never shown or rung.
    pub branches: Vec<i64>,
    /// The station setup in force (shared: a person may replace it).
    pub setup: SetupCell,
}

impl Default for Kitchen {
    fn default() -> Self {
        Kitchen { statuses: StatusTable::default(), recall_window: DEFAULT_RECALL_WINDOW, branches: Vec::new(), setup: SetupCell::default() }
    }
}

/// Where a kitchen status sits in the forward order, and the column it means.
fn rank(status: OrderStatus) -> Option<(u8, Column)> {
    Some(match status {
        OrderStatus::Scheduled => (0, Column::Scheduled),
        OrderStatus::Placed => (1, Column::New),
        OrderStatus::Accepted => (2, Column::Preparing),
        OrderStatus::Ready => (3, Column::Ready),
        OrderStatus::Delivered | OrderStatus::PickedUp => (4, Column::Done),
        OrderStatus::Cancelled => (5, Column::Cancelled),
        OrderStatus::DriverAssigned | OrderStatus::DriverArrived => return None,
    })
}

const CANCELLED_RANK: u8 = 5;

impl Kitchen {
    /// A kitchen with the config's status overrides.
    pub fn new(statuses: StatusTable) -> Kitchen {
        Kitchen { statuses, ..Kitchen::default() }
    }

    /// Whether this kitchen serves `branch` (an order without one is served).
    pub fn serves(&self, branch: Option<i64>) -> bool {
        self.branches.is_empty() || branch.is_none_or(|b| self.branches.contains(&b))
    }

    /// Applies one order snapshot from klikit to the order's record (`None`
    /// when the kitchen has never seen the order: any event type then opens
    /// the ticket from the full record it carries).
    pub fn apply(&self, existing: Option<&Record>, order: &Order, now: OffsetDateTime) -> Applied {
        let mut events = Vec::new();
        let mut notices = Vec::new();
        let event = |kind, detail| Event { at: now, source: Source::Klikit, kind, detail };
        let Some(existing) = existing else {
            let mut record = self.open_record(order, now);
            events.push(event(EventKind::Received, json!({"status": order.status, "lines": record.cart.len()})));
            self.apply_status(&mut record, order, now, &mut events, &mut notices);
            record.ticket.other_branch = !self.serves(order.branch_id);
            if record.ticket.other_branch {
                events.push(event(EventKind::OtherBranch, json!({"branch_id": order.branch_id})));
                notices.clear();
            } else if !record.ticket.cancelled {
                notices.push(Notice::NewOrder);
            }
            self.settle(&mut record);
            return Applied { record, changed: true, events, notices };
        };

        let mut record = existing.clone();
        let stale = matches!((order.updated_at, record.ticket.klikit_updated_at), (Some(new), Some(old)) if new < old);
        if stale {
            events.push(event(EventKind::Stale, json!({"updated_at": ts(order.updated_at), "newest": ts(record.ticket.klikit_updated_at)})));
        } else {
            record.ticket.klikit_updated_at = order.updated_at.or(record.ticket.klikit_updated_at);
            self.apply_details(&mut record, order, &mut events, now);
            if let Some(lines) = order.lines.as_ref().filter(|l| **l != record.cart) {
                record.cart = lines.clone();
                let before = std::mem::replace(&mut record.ticket.lines, diff(&record.baseline, &record.cart));
                carry_done(&before, &mut record.ticket.lines);
                events.push(event(EventKind::Cart, json!({"lines": lines.len(), "marks": marks(&record.ticket.lines)})));
                let finished = |t: &Ticket| t.stations.iter().filter(|p| p.done == p.lines).map(|p| p.station.clone()).collect::<Vec<_>>();
                let was_finished = finished(&existing.ticket);
                self.settle(&mut record);
                let reopened: Vec<Value> = record
                    .ticket
                    .lines
                    .iter()
                    .filter(|l| l.to_cook() && was_finished.contains(&l.station))
                    .map(|l| json!({"station": l.station, "name": l.name, "change": l.change}))
                    .collect();
                if !reopened.is_empty() {
                    events.push(event(EventKind::Reopened, json!({"lines": reopened})));
                }
            }
        }
        self.apply_status(&mut record, order, now, &mut events, &mut notices);
        self.settle(&mut record);
        let changed = !same_ticket(&record, existing);
        if changed {
            record.ticket.updated_at = now;
        } else if events.is_empty() {
            events.push(event(EventKind::Unchanged, json!({"status": order.status})));
        }
        if record.ticket.other_branch {
            notices.clear();
        }
        Applied { record, changed, events, notices }
    }

    fn open_record(&self, order: &Order, now: OffsetDateTime) -> Record {
        let cart = order.lines.clone().unwrap_or_default();
        let mut ticket = Ticket {
            order_id: order.id.clone(),
            short_id: order.short_id.clone(),
            brand: order.brand.clone(),
            branch_id: order.branch_id,
            provider_id: order.provider_id,
            channel: order.provider_id.and_then(channel_name).map(str::to_string),
            order_type: order.order_type,
            table_no: order.table_no.clone(),
            status_code: None,
            status: crate::klikit::UNKNOWN_STATUS.to_string(),
            column: Column::New,
            placed_at: order.placed_at,
            scheduled_at: order.scheduled_at,
            column_since: now,
            updated_at: now,
            lines: diff(&cart, &cart),
            rush: false,
            fire_at: None,
            stations: Vec::new(),
            complete: false,
            order_comment: order.order_comment.clone(),
            changed: false,
            cancelled: false,
            cancellation_reason: None,
            driver: None,
            test: order.test,
            item_count: 0,
            open: true,
            cancellation_acknowledged: false,
            klikit_updated_at: order.updated_at,
            klikit_sync: None,
            other_branch: false,
        };
        ticket.refresh_derived();
        Record { ticket, baseline: cart.clone(), cart, status_rank: None, first_seen_at: now }
    }

    /// Refreshes the descriptive fields from a snapshot that is not stale.
    fn apply_details(&self, record: &mut Record, order: &Order, events: &mut Vec<Event>, now: OffsetDateTime) {
        let t = &mut record.ticket;
        let before = t.clone();
        t.short_id = order.short_id.clone();
        t.brand = order.brand.clone().or(t.brand.take());
        t.branch_id = order.branch_id.or(t.branch_id);
        if let Some(p) = order.provider_id {
            t.provider_id = Some(p);
            t.channel = channel_name(p).map(str::to_string);
        }
        if order.order_type != crate::klikit::OrderType::Unknown {
            t.order_type = order.order_type;
        }
        t.table_no = order.table_no.clone().or(t.table_no.take());
        t.placed_at = order.placed_at.or(t.placed_at);
        t.scheduled_at = order.scheduled_at.or(t.scheduled_at);
        t.order_comment = order.order_comment.clone().or(t.order_comment.take());
        t.test |= order.test;
        if t.cancelled {
            t.cancellation_reason = order.cancellation_reason.clone().or(t.cancellation_reason.take());
        }
        let mut now_t = t.clone();
        now_t.klikit_updated_at = before.klikit_updated_at;
        if now_t != before {
            events.push(Event { at: now, source: Source::Klikit, kind: EventKind::Details, detail: json!({}) });
        }
    }

    /// Moves the ticket by the snapshot's status, by rank.
    fn apply_status(&self, record: &mut Record, order: &Order, now: OffsetDateTime, events: &mut Vec<Event>, notices: &mut Vec<Notice>) {
        let Some(code) = order.status else { return };
        let event = |kind, detail| Event { at: now, source: Source::Klikit, kind, detail };
        let t = &mut record.ticket;
        let meaning = self.statuses.meaning(code);
        match meaning.map(|m| (m, rank(m))) {
            None => {
                if t.status_code != Some(code) && record.status_rank.is_none_or(|r| r < CANCELLED_RANK) {
                    tracing::warn!(order_id = %t.order_id, code, "unknown klikit status code; shown raw");
                    t.status_code = Some(code);
                    t.status = self.statuses.name(code).to_string();
                    events.push(event(EventKind::UnknownStatus, json!({"code": code})));
                }
            }
            Some((status, None)) => {
                let driver = if status == OrderStatus::DriverArrived { Driver::Arrived } else { Driver::Assigned };
                if t.driver < Some(driver) {
                    t.driver = Some(driver);
                    events.push(event(EventKind::Driver, json!({"code": code})));
                }
            }
            Some((status, Some((r, column)))) => {
                let current = record.status_rank;
                if current.is_some_and(|c| c > r || c == CANCELLED_RANK) || (current == Some(r) && t.status_code == Some(code)) {
                    if t.status_code != Some(code) {
                        events.push(event(EventKind::StatusIgnored, json!({"code": code, "current": t.status_code})));
                    }
                    return;
                }
                record.status_rank = Some(r);
                t.status_code = Some(code);
                t.status = self.statuses.name(code).to_string();
                let from = t.column;
                if status == OrderStatus::Cancelled {
                    t.cancelled = true;
                    t.cancellation_reason = order.cancellation_reason.clone();
                    notices.push(Notice::Cancelled);
                }
                // The first kitchen status places a fresh ticket (even into
                // Scheduled); after that, columns only move forward.
                let fresh = current.is_none() && from == Column::New;
                if column == Column::Cancelled || (from != Column::Cancelled && (column > from || fresh)) {
                    t.column = column;
                    t.column_since = now;
                }
                events.push(event(EventKind::Status, json!({"code": code, "from": from, "to": t.column})));
            }
        }
    }

    /// A screen's bump, recall or acknowledge. `from` is the column the
    /// screen saw; if the ticket has moved since, the action is refused.
    pub fn act(&self, record: &Record, action: Action, from: Option<Column>, now: OffsetDateTime) -> Result<(Record, Event), Refusal> {
        let t = &record.ticket;
        let refuse = |reason: String| Err(Refusal { reason, ticket: t.clone() });
        if let Some(seen) = from {
            if seen != t.column {
                return refuse(format!("the ticket is no longer in {seen}: it is in {}", t.column));
            }
        }
        let mut next = record.clone();
        let n = &mut next.ticket;
        let detail = match action {
            Action::Bump | Action::Recall if t.column == Column::Cancelled => {
                return refuse(format!("a cancelled ticket cannot be {}ed; acknowledge it instead", action.as_str()));
            }
            Action::Bump => {
                let Some(to) = t.column.next() else { return refuse("the ticket is already done".into()) };
                move_to(n, to, now)
            }
            Action::Recall => {
                let Some(to) = t.column.previous() else { return refuse(format!("nothing to recall a ticket in {} to", t.column)) };
                if t.column == Column::Done && now - t.column_since > self.recall_window {
                    return refuse(format!("the recall window ({} min) has passed", self.recall_window.whole_minutes()));
                }
                move_to(n, to, now)
            }
            Action::Acknowledge => {
                let (changes, cancellation) = (t.changed, t.cancelled && !t.cancellation_acknowledged);
                if !changes && !cancellation {
                    return refuse("nothing to acknowledge".into());
                }
                next.baseline = next.cart.clone();
                let n = &mut next.ticket;
                let before = std::mem::replace(&mut n.lines, diff(&next.baseline, &next.cart));
                carry_done(&before, &mut n.lines);
                n.cancellation_acknowledged |= cancellation;
                json!({"changes": changes, "cancellation": cancellation})
            }
        };
        next.ticket.updated_at = now;
        self.settle(&mut next);
        Ok((next, Event { at: now, source: Source::Screen, kind: action.into(), detail }))
    }

    /// Applies the clock rules due at `now`, if any.
    pub fn tick(&self, record: &Record, now: OffsetDateTime) -> Option<(Record, Event)> {
        if record.due_at().is_none_or(|due| due > now) {
            return None;
        }
        let mut next = record.clone();
        let (to, kind) = if record.ticket.test { (Column::Done, EventKind::SelfTestDone) } else { (Column::New, EventKind::ScheduledDue) };
        let detail = move_to(&mut next.ticket, to, now);
        next.ticket.updated_at = now;
        self.settle(&mut next);
        Some((next, Event { at: now, source: Source::Kitchen, kind, detail }))
    }
}

impl Kitchen {
    /// Brings what follows from the station setup up to date (each line's
    /// station, the fire time of a scheduled order), then the derived fields.
    pub(crate) fn settle(&self, record: &mut Record) {
        let setup = self.setup.get();
        let t = &mut record.ticket;
        let order = station::OrderFacts { brand: t.brand.as_ref().map(|b| b.id), order_type: t.order_type, channel: t.channel.as_deref() };
        for line in &mut t.lines {
            let facts = station::LineFacts { name: &line.name, category: line.category.as_deref(), category_id: line.category_id.as_deref() };
            let to = setup.route(order, facts);
            if line.station != to {
                line.station = to.to_string();
            }
        }
        t.fire_at = t.scheduled_at.map(|s| s - setup.prep(t.brand.as_ref(), t.order_type));
        t.refresh_derived();
    }
}

fn move_to(t: &mut Ticket, to: Column, now: OffsetDateTime) -> Value {
    let from = t.column;
    t.column = to;
    t.column_since = now;
    json!({"from": from, "to": to})
}

/// Equal apart from the time of the last change.
fn same_ticket(a: &Record, b: &Record) -> bool {
    let mut a = a.clone();
    a.ticket.updated_at = b.ticket.updated_at;
    a == *b
}

fn marks(lines: &[TicketLine]) -> Value {
    lines.iter().filter_map(|l| l.change.map(|c| json!({"name": l.name, "change": c}))).collect()
}

fn ts(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
}

#[cfg(test)]
mod tests;
