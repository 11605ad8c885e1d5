//! The app API's contract: every body the app listener sends or takes, as
//! typed transport structs, and the constants the board needs (column
//! order, the next column, outcome names, default settings).
//!
//! What it owns: the JSON shape of `/api/*` and of the live stream's
//! events. Handlers build these and nothing else; the board's TypeScript
//! (`ui/src/lib/wire/`) is generated from them by the test in
//! [`typescript`] (`KDS_WRITE_WIRE=1 cargo test -p kds --lib wire`), which
//! fails while the committed files are stale.
//!
//! What it never does: decide anything. Domain types convert into these
//! with `From`; the rules stay in `kitchen`, `intake` and `config`. Field
//! names are a contract with the board: add fields, never rename.

#[cfg(test)]
mod typescript;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use crate::config::SecretSource;
use crate::config::TunnelMode;
pub use crate::intake::Outcome;
pub use crate::kitchen::allday::AllDayItem;
pub use crate::kitchen::station::{BrandSetting, PrepTimes, Setup as StationSetup, Station};
pub use crate::kitchen::{Action, Column, Driver, LineChange, StationProgress, TicketLine};
pub use crate::klikit::order::{Brand, Modifier, OrderType};
pub use crate::maintenance::RetentionSettings;
pub use crate::printing::{CodePage, Dropped, PrintMode, PrintOn, PrinterConfig, PrinterState};
pub use crate::reports::{CancellationCount, ColumnTime, DayReport, DaySummary, HourlyOrders, LateShare, OrdersPerHour, ReportFilter, ReportOptions, StationTime};
pub use crate::store::PrintKind;
pub use crate::selftest::{Hop, SelftestReport};
pub use crate::tunnel::TunnelState;

/// The columns of the board, left to right. Done is a recall list, and
/// cancelled tickets get a column of their own only while any wait.
pub const BOARD_COLUMNS: [Column; 4] = [Column::Scheduled, Column::New, Column::Preparing, Column::Ready];

/// A ticket as the API and the live stream send it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub order_id: String,
    pub short_id: String,
    pub brand: Option<Brand>,
    pub branch_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub channel: Option<String>,
    pub order_type: OrderType,
    pub table_no: Option<String>,
    /// The klikit number of the furthest status applied (`null` before any).
    pub status_code: Option<i64>,
    /// Its name from the status table, `UNKNOWN` for a code none knows.
    pub status: String,
    pub column: Column,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub placed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub scheduled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub column_since: OffsetDateTime,
    /// When this ticket last changed (kitchen time).
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub updated_at: OffsetDateTime,
    pub lines: Vec<TicketLine>,
    pub order_comment: Option<String>,
    /// Some line carries a change mark not yet acknowledged.
    pub changed: bool,
    pub cancelled: bool,
    pub cancellation_reason: Option<String>,
    pub driver: Option<Driver>,
    /// A self-test ticket, done by itself after a minute.
    pub test: bool,
    /// Sum of the quantities of the lines not removed.
    pub item_count: u32,
    /// Belongs on the board: not done, and not an acknowledged cancellation.
    pub open: bool,
    /// A screen acknowledged the cancellation.
    pub cancellation_acknowledged: bool,
    /// klikit's `updated_at` of the newest snapshot applied.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub klikit_updated_at: Option<OffsetDateTime>,
    /// The last action for klikit and where it stands (partner keys only).
    #[cfg_attr(test, ts(optional))]
    #[cfg_attr(test, ts(type = "{ outbox_id: number, action: \"accepted\" | \"ready\" | \"picked_up\" | \"rejected\" | \"cancelled\", state: \"waiting\" | \"sent\" | \"failed\" | \"superseded\" | \"cancelled\", reason: string | null, note: string | null } | null"))]
    pub klikit_sync: Option<crate::kitchen::KlikitSync>,
    /// An order of a branch this kitchen does not serve.
    #[cfg_attr(test, ts(optional, as = "Option<bool>"))]
    pub other_branch: bool,
    /// The expo marked it rush: it sorts first on every screen.
    pub rush: bool,
    /// A scheduled order: when it fires (moves to New), for the countdown.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub fire_at: Option<OffsetDateTime>,
    /// Each station's progress on the ticket, by station name.
    pub stations: Vec<StationProgress>,
    /// Every station has bumped all its lines: complete at expo.
    pub complete: bool,
}

impl From<&crate::kitchen::Ticket> for Ticket {
    fn from(t: &crate::kitchen::Ticket) -> Ticket {
        Ticket {
            order_id: t.order_id.clone(),
            short_id: t.short_id.clone(),
            brand: t.brand.clone(),
            branch_id: t.branch_id,
            provider_id: t.provider_id,
            channel: t.channel.clone(),
            order_type: t.order_type,
            table_no: t.table_no.clone(),
            status_code: t.status_code,
            status: t.status.clone(),
            column: t.column,
            placed_at: t.placed_at,
            scheduled_at: t.scheduled_at,
            column_since: t.column_since,
            updated_at: t.updated_at,
            lines: t.lines.clone(),
            order_comment: t.order_comment.clone(),
            changed: t.changed,
            cancelled: t.cancelled,
            cancellation_reason: t.cancellation_reason.clone(),
            driver: t.driver,
            test: t.test,
            item_count: t.item_count,
            open: t.open,
            cancellation_acknowledged: t.cancellation_acknowledged,
            klikit_updated_at: t.klikit_updated_at,
            klikit_sync: t.klikit_sync.clone(),
            other_branch: t.other_branch,
            rush: t.rush,
            fire_at: t.fire_at,
            stations: t.stations.clone(),
            complete: t.complete,
        }
    }
}

impl From<crate::kitchen::Ticket> for Ticket {
    fn from(t: crate::kitchen::Ticket) -> Ticket {
        Ticket::from(&t)
    }
}

/// `GET /api/tickets[?screen=NAME]`, and the live stream's `snapshot`
/// event: the open tickets as of change `seq`, as that screen sees them
/// (rush tickets first).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketList {
    pub seq: i64,
    pub tickets: Vec<Ticket>,
    /// The screen these are for: a station's name, `expo`, or absent for
    /// everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub screen: Option<String>,
    /// Set when the screen named a station that no longer exists: the
    /// tickets are then everything, and this says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub notice: Option<String>,
}

/// The live stream's `ticket` event: one change, the whole ticket after it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub seq: i64,
    pub ticket: Ticket,
}

/// `GET /api/done`: done tickets still recallable, newest first.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneList {
    pub tickets: Vec<Ticket>,
}

/// `GET /api/history`: past (and present) tickets matching a search,
/// newest first.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryList {
    pub tickets: Vec<Ticket>,
}

/// One entry of a ticket's log: what happened, when, and who did it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// `klikit`, `screen` or `kitchen`.
    pub source: String,
    /// `received`, `status`, `bump`, `recall`, `cart`, … (see `kitchen::EventKind`).
    pub kind: String,
    /// What the entry records (for a move: `from` and `to` columns).
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    pub detail: serde_json::Value,
    /// The stored delivery it came in, when klikit sent it.
    pub delivery_seq: Option<i64>,
}

impl From<crate::store::TicketEvent> for LogEntry {
    fn from(e: crate::store::TicketEvent) -> LogEntry {
        LogEntry { id: e.id, at: e.at, source: e.source, kind: e.kind, detail: e.detail, delivery_seq: e.delivery_seq }
    }
}

/// `GET /api/tickets/{order_id}/timeline`: the ticket and its whole log,
/// oldest first.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub ticket: Ticket,
    pub events: Vec<LogEntry>,
}

/// The body of every refused API call; a 409 carries the current ticket.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    /// A `422`'s offending field (`stations[1].name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub ticket: Option<Ticket>,
}

/// One row of `GET /api/deliveries`: a stored delivery, or a refused attempt.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub received_at: OffsetDateTime,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub order_ids: Vec<String>,
    pub duplicates: i64,
    /// `webhook`, `catch-up` (klikit's webhook never came) or `reconcile`.
    #[cfg_attr(test, ts(optional, as = "Option<String>"))]
    pub source: String,
    /// For a catch-up delivery: what it means and what to check.
    #[cfg_attr(test, ts(optional))]
    pub note: Option<String>,
}

/// `GET /api/deliveries`, newest first.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryList {
    pub deliveries: Vec<Delivery>,
}

/// `GET /api/health` (and the live stream's `health` event): can the
/// receiver take deliveries, and is the kitchen keeping up?
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub intake: IntakeHealth,
    pub store: StoreHealth,
    pub applier: ApplierHealth,
    pub tunnel: TunnelHealth,
    /// The kitchen printers, in configuration order (empty without any;
    /// absent from a kds older than printing, which `kds status` may ask).
    #[serde(default)]
    pub printers: Vec<PrinterHealth>,
    /// Absent from an older kds's health: read as `off`.
    #[serde(default)]
    #[cfg_attr(test, ts(optional, as = "Option<KlikitHealth>"))]
    pub klikit: KlikitHealth,
}

/// The klikit chip: `state` is `off` (no partner keys), `ok`, `waiting`
/// (actions not yet confirmed), `failing` (an action failed, since
/// `failing_since`) or `rejected` (klikit refused our keys; paused).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KlikitHealth {
    pub state: String,
    pub waiting: i64,
    pub failed: i64,
    pub sent: i64,
    pub failing_since: Option<String>,
    pub reason: Option<String>,
    pub last_ok_at: Option<String>,
    /// The last catch-up: `{at, from, listed, fetched, error}`.
    #[cfg_attr(test, ts(type = "{ at: string | null, from: string | null, listed: number, fetched: number, error: string | null } | null"))]
    pub last_catchup: Option<serde_json::Value>,
}

impl Default for KlikitHealth {
    /// No partner keys: the chip says off.
    fn default() -> KlikitHealth {
        KlikitHealth { state: "off".into(), waiting: 0, failed: 0, sent: 0, failing_since: None, reason: None, last_ok_at: None, last_catchup: None }
    }
}

/// `POST /api/printers/{name}/test` and `POST /api/tickets/{id}/reprint`
/// (202): the printers the job was queued for.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintQueued {
    pub queued: Vec<String>,
}

/// `GET /api/printers`, and the answer to adding, changing or removing one:
/// every printer's settings as saved in `config.toml`, in configuration order.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterList {
    pub printers: Vec<PrinterConfig>,
}

/// A kitchen printer on the health strip: its state since start, its
/// waiting jobs, and the jobs dropped as too old to print.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterHealth {
    pub name: String,
    pub state: PrinterState,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub last_printed_at: Option<OffsetDateTime>,
    /// A backup printer (prints only while no screen watches the board).
    pub backup: bool,
    /// A backup printer printing now.
    pub backup_on: bool,
    /// Jobs queued and not printed yet.
    pub waiting: i64,
    /// Jobs dropped as too old since start, and the last one.
    pub dropped: u64,
    pub last_dropped: Option<Dropped>,
    /// Jobs ever dropped as too old.
    pub dropped_total: i64,
}

/// The receiver: its secret, its address and its counters since start.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeHealth {
    pub secret_configured: bool,
    pub listen: String,
    pub received: u64,
    pub duplicates: u64,
    pub invalid_signature: u64,
    pub unprocessable: u64,
    pub store_unavailable: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub last_received_at: Option<OffsetDateTime>,
}

/// Whether the store answers.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreStatus {
    Ok,
    Unavailable,
    /// The database could only be opened read-only: deliveries get 503.
    ReadOnly,
    /// The integrity check that runs after start on a big database found
    /// damage: restore the last backup (the log says how).
    Corrupt,
}

/// The store's deliveries.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHealth {
    pub status: StoreStatus,
    pub deliveries: i64,
    pub unprocessable: i64,
}

/// Stored deliveries not yet on the board, and how long the oldest waits.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplierHealth {
    pub pending: i64,
    pub lag_ms: i64,
}

/// The tunnel's state and URL, with the configured mode, so the board can
/// warn that a quick tunnel's URL changes on every start.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelHealth {
    pub state: TunnelState,
    /// The public base URL; klikit posts to `<url>/webhooks/klikit`.
    pub url: Option<String>,
    pub reason: Option<String>,
    pub mode: TunnelMode,
}

impl TunnelHealth {
    pub fn new(status: &crate::tunnel::TunnelStatus, mode: TunnelMode) -> TunnelHealth {
        TunnelHealth { state: status.state, url: status.url.clone(), reason: status.reason.clone(), mode }
    }
}

/// `GET /api/health` when the store cannot be read (a 503).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthUnavailable {
    pub store: StoreDown,
}

/// The `store` object of [`HealthUnavailable`].
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDown {
    pub status: StoreStatus,
}

/// `GET /api/about`: what Settings' About section shows. Nothing secret.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// kds's version (`kds --version`).
    pub version: String,
    /// Where the database, `config.toml` and the logs live.
    pub data_dir: String,
    /// The current rotating log file.
    pub log_file: String,
    /// The intake listener's bound address (the tunnel points here).
    pub intake_listen: String,
    /// The app listener's bound address (board and API).
    pub app_listen: String,
    /// The webhook's path on the intake listener.
    pub webhook_path: String,
}

/// `GET /api/pairing`: where a tablet on the kitchen network reaches this
/// board, for Settings' pairing code. It never holds the API token: the
/// board adds its own to the fragment of the address it shows.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pairing {
    /// The app listener's bound address (`127.0.0.1:8787`, `0.0.0.0:8787`).
    pub listen: String,
    /// Whether the app listener is bound beyond loopback, so that other
    /// machines can reach it at all.
    pub beyond_loopback: bool,
    /// The board's addresses a tablet can open (`http://192.168.1.20:8787`),
    /// the likeliest first: this machine's interface addresses that are
    /// neither loopback nor link-local, with the listener's port. Empty on
    /// loopback, or when the machine has no such address.
    pub addresses: Vec<String>,
    /// Why there is no address, and what to change (the setting names):
    /// set when `addresses` is empty.
    pub hint: Option<String>,
}

/// `GET /api/setup`: what the first-run setup shows. Nothing secret.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// No webhook secret yet: the board opens the setup by itself.
    pub needed: bool,
    pub secret_configured: bool,
    /// The tunnel as `GET /api/health` shows it.
    pub tunnel: TunnelHealth,
    /// The public base URL configured (own proxy or named tunnel), if any.
    pub public_url: Option<String>,
    /// The full URL to give klikit (`…/webhooks/klikit`), once one is known.
    pub webhook_url: Option<String>,
    /// `cloudflared` was found (configured path or PATH).
    pub cloudflared_found: bool,
    /// The operating system kds runs on, as a person knows it.
    pub os: String,
    /// How to install cloudflared on it, one step per line.
    pub install_help: Vec<String>,
    /// The brands and branches orders came in for, newest first (for the
    /// email to the klikit operator).
    pub seen: Vec<SeenIds>,
}

/// One brand and branch orders came in for.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenIds {
    pub brand_id: Option<i64>,
    pub brand_title: Option<String>,
    pub branch_id: Option<i64>,
}

impl From<crate::store::SeenIds> for SeenIds {
    fn from(s: crate::store::SeenIds) -> SeenIds {
        SeenIds { brand_id: s.brand_id, brand_title: s.brand_title, branch_id: s.branch_id }
    }
}

/// `GET /api/settings` and the answer to a `PUT`. Never holds a secret:
/// only whether one is configured.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub secret_configured: bool,
    /// Where the secret in force came from: the environment wins over the
    /// file at every start.
    pub secret_source: SecretSource,
    /// Until when (RFC 3339) the secret replaced last is still accepted.
    pub previous_secret_until: Option<String>,
    /// How long a replaced secret stays accepted, in hours.
    pub secret_rotation_hours: u64,
    pub warn_after_minutes: u32,
    pub late_after_minutes: u32,
    pub chime: bool,
    pub chime_repeat: bool,
    pub tunnel: TunnelMode,
    /// klikit status code → name overrides, names already normalised.
    pub status_names: BTreeMap<String, String>,
    /// klikit partner keys are in use (they are never shown).
    pub klikit_configured: bool,
    /// The partner API base in use, if any.
    pub klikit_api_url: Option<String>,
    /// The klikit branch ids this kitchen serves (empty: all); a change
    /// takes effect at the next start.
    pub branches: Vec<i64>,
    /// Retention periods and the night work (`[retention]`); a change
    /// takes effect at the next start.
    pub retention: RetentionSettings,
    /// The public base URL in use (a named tunnel's hostname, or the
    /// kitchen's own proxy), if any.
    pub public_url: Option<String>,
    /// A named tunnel token is in use (it is never shown).
    pub tunnel_token_configured: bool,
    /// What the last change did that the person should know, e.g. that
    /// spaces or line breaks around a pasted secret were removed. Empty
    /// on a `GET`.
    pub warnings: Vec<String>,
}

impl Default for Settings {
    /// What the board shows before the server answers: the defaults of
    /// `config.toml`'s `[board]`, no secret, no tunnel, no overrides.
    fn default() -> Settings {
        let board = crate::config::BoardSettings::default();
        Settings {
            secret_configured: false,
            secret_source: SecretSource::None,
            previous_secret_until: None,
            secret_rotation_hours: crate::config::DEFAULT_SECRET_ROTATION.as_secs() / 3600,
            warn_after_minutes: board.warn_after_minutes,
            late_after_minutes: board.late_after_minutes,
            chime: board.chime,
            chime_repeat: board.chime_repeat,
            tunnel: TunnelMode::default(),
            status_names: BTreeMap::new(),
            klikit_configured: false,
            klikit_api_url: None,
            branches: Vec::new(),
            retention: RetentionSettings::default(),
            public_url: None,
            tunnel_token_configured: false,
            warnings: Vec::new(),
        }
    }
}

/// `PUT /api/settings`: every field optional; `webhook_secret` only when it
/// changes. Tunnel mode, token and public URL apply at once.
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(optional_fields))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    pub webhook_secret: Option<String>,
    pub warn_after_minutes: Option<u32>,
    pub late_after_minutes: Option<u32>,
    pub chime: Option<bool>,
    pub chime_repeat: Option<bool>,
    pub tunnel: Option<TunnelMode>,
    pub status_names: Option<BTreeMap<String, String>>,
    /// Write-only: klikit partner keys, and the base (`dev`, `prod` or a URL).
    pub klikit_partner_key: Option<String>,
    pub klikit_partner_secret: Option<String>,
    pub klikit_api_url: Option<String>,
    pub branches: Option<Vec<i64>>,
    /// The whole `[retention]` table, checked (periods and quiet hour).
    pub retention: Option<RetentionSettings>,
    /// Write-only: a named tunnel's token.
    pub tunnel_token: Option<String>,
    /// The public base URL (own proxy or named tunnel); `""` clears it.
    pub public_url: Option<String>,
}

/// `POST /api/tickets/{order_id}/{action}`'s optional body: the column the
/// screen saw, so a stale tap is refused rather than misapplied.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ActionRequest {
    /// A column's JSON name; the handler names an unknown one in its 400.
    #[cfg_attr(test, ts(optional, as = "Option<Column>"))]
    pub from: Option<String>,
    /// Reject and cancel only: a code from the kitchen's reason list.
    #[cfg_attr(test, ts(optional))]
    pub reason_code: Option<String>,
    /// Reject and cancel only: must be `true` (the confirmation step).
    #[cfg_attr(test, ts(optional))]
    pub confirm: Option<bool>,
    /// Bump and recall only: act for this station's lines, not the whole
    /// ticket.
    #[cfg_attr(test, ts(optional))]
    pub station: Option<String>,
}

/// `POST /api/tickets/{order_id}/rush`: set or clear the rush mark.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RushRequest {
    pub rush: bool,
}

/// A brand the kitchen has seen (or has a setting for), with the colour
/// its cards show and its prep time.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandInfo {
    pub id: i64,
    pub title: Option<String>,
    /// `#rrggbb`: its own colour if set, else the palette's.
    pub color: String,
    /// Its own prep time, if set (else the order type's or the default).
    pub prep_minutes: Option<u32>,
}

/// `GET /api/stations` and the answer to a `PUT` (whose body is
/// `setup`, a [`StationSetup`]).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationSettings {
    /// What a person edits: stations in order, default station, brand
    /// settings, prep times.
    pub setup: StationSetup,
    /// Every station a line can go to (the default one last if it is not
    /// configured): the screens a board can choose, with `expo`.
    pub station_names: Vec<String>,
    /// Every brand seen or set, in the order first seen.
    pub brands: Vec<BrandInfo>,
    /// The colours brands get in turn.
    pub palette: Vec<String>,
}

/// `GET /api/allday?screen=NAME`: what is still to cook, largest first.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllDay {
    pub seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub screen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub notice: Option<String>,
    pub items: Vec<AllDayItem>,
}

/// A screen following the live stream.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedScreen {
    pub id: u64,
    /// The name the screen gave itself (`?name=`), if any.
    pub name: Option<String>,
    /// What it shows: a station, `expo`, or `null` for everything.
    pub screen: Option<String>,
    /// The station whose lines it shows, if it is a station screen.
    pub station: Option<String>,
    /// The address it connects from.
    pub remote: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub connected_since: OffsetDateTime,
    /// When the server last sent it something.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub last_seen: OffsetDateTime,
}

/// `GET /api/screens`: the screens connected now, oldest first.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenList {
    pub screens: Vec<ConnectedScreen>,
}

/// The names of the live stream's events (`GET /api/live`).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveEventName {
    /// A [`TicketList`]: everything open (first connect, or too far behind).
    Snapshot,
    /// A [`TicketEvent`]: one change.
    Ticket,
    /// A [`Health`], at connect and whenever it changes.
    Health,
    /// `{}` after 15 s without any other event.
    Ping,
}

impl LiveEventName {
    pub const ALL: [LiveEventName; 4] = [LiveEventName::Snapshot, LiveEventName::Ticket, LiveEventName::Health, LiveEventName::Ping];

    pub fn as_str(self) -> &'static str {
        match self {
            LiveEventName::Snapshot => "snapshot",
            LiveEventName::Ticket => "ticket",
            LiveEventName::Health => "health",
            LiveEventName::Ping => "ping",
        }
    }
}
