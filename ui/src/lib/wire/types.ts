// Generated from src/api/wire by `KDS_WRITE_WIRE=1 cargo test -p kds --lib wire`
// (`npm run wire`). Do not edit: change the Rust types and regenerate.

/**
 * A kitchen column. The order of the variants is the forward order of the
 * board; `Cancelled` stands apart (terminal).
 */
export type Column = "scheduled" | "new" | "preparing" | "ready" | "done" | "cancelled";

/**
 * The driver badge (klikit statuses 7 and 8). It moves no column.
 */
export type Driver = "assigned" | "arrived";

/**
 * How a line differs from the cart the kitchen last acknowledged.
 */
export type LineChange = "added" | "removed" | "quantity" | "modifiers";

/**
 * Pickup, delivery or dine-in (klikit's `type`: 1, 2, 3).
 */
export type OrderType = "pickup" | "delivery" | "dine_in" | "unknown";

/**
 * A brand as shown on a ticket.
 */
export type Brand = { id: number, title: string | null, };

/**
 * A modifier on a line (or on another modifier), with its own nested ones.
 */
export type Modifier = { name: string, quantity: number, modifiers: Array<Modifier>, };

/**
 * A line as shown on a ticket: the cart line plus its change mark, its
 * station and whether that station has finished it.
 */
export type TicketLine = { name: string, quantity: number, comment: string | null, modifiers: Array<Modifier>, change: LineChange | null, previous_quantity: number | null, 
/**
 * The station that cooks it (see `kitchen::station`); empty only in a
 * ticket stored before stations, until it is next routed.
 */
station: string, 
/**
 * When its station bumped it; `null` while it is still to cook.
 */
done_at: string | null, 
/**
 * klikit's category name and id, which routing reads.
 */
category: string | null, category_id: string | null, };

/**
 * One station's part of a ticket, for the expo's progress marks.
 */
export type StationProgress = { station: string, 
/**
 * Lines of this station (removed ones not counted).
 */
lines: number, 
/**
 * Of those, the ones its station has bumped.
 */
done: number, 
/**
 * When the last of them was bumped, once all are.
 */
done_at: string | null, };

/**
 * A ticket as the API and the live stream send it.
 */
export type Ticket = { order_id: string, short_id: string, brand: Brand | null, branch_id: number | null, provider_id: number | null, channel: string | null, order_type: OrderType, table_no: string | null, 
/**
 * The klikit number of the furthest status applied (`null` before any).
 */
status_code: number | null, 
/**
 * Its name from the status table, `UNKNOWN` for a code none knows.
 */
status: string, column: Column, placed_at: string | null, scheduled_at: string | null, column_since: string, 
/**
 * When this ticket last changed (kitchen time).
 */
updated_at: string, lines: Array<TicketLine>, order_comment: string | null, 
/**
 * Some line carries a change mark not yet acknowledged.
 */
changed: boolean, cancelled: boolean, cancellation_reason: string | null, driver: Driver | null, 
/**
 * A self-test ticket, done by itself after a minute.
 */
test: boolean, 
/**
 * Sum of the quantities of the lines not removed.
 */
item_count: number, 
/**
 * Belongs on the board: not done, and not an acknowledged cancellation.
 */
open: boolean, 
/**
 * A screen acknowledged the cancellation.
 */
cancellation_acknowledged: boolean, 
/**
 * klikit's `updated_at` of the newest snapshot applied.
 */
klikit_updated_at: string | null, 
/**
 * The last action for klikit and where it stands (partner keys only).
 */
klikit_sync?: { outbox_id: number, action: "accepted" | "ready" | "picked_up" | "rejected" | "cancelled", state: "waiting" | "sent" | "failed" | "superseded" | "cancelled", reason: string | null, note: string | null } | null, 
/**
 * An order of a branch this kitchen does not serve.
 */
other_branch?: boolean, 
/**
 * The expo marked it rush: it sorts first on every screen.
 */
rush: boolean, 
/**
 * A scheduled order: when it fires (moves to New), for the countdown.
 */
fire_at: string | null, 
/**
 * Each station's progress on the ticket, by station name.
 */
stations: Array<StationProgress>, 
/**
 * Every station has bumped all its lines: complete at expo.
 */
complete: boolean, };

/**
 * `GET /api/tickets[?screen=NAME]`, and the live stream's `snapshot`
 * event: the open tickets as of change `seq`, as that screen sees them
 * (rush tickets first).
 */
export type TicketList = { seq: number, tickets: Array<Ticket>, 
/**
 * The screen these are for: a station's name, `expo`, or absent for
 * everything.
 */
screen?: string, 
/**
 * Set when the screen named a station that no longer exists: the
 * tickets are then everything, and this says so.
 */
notice?: string, };

/**
 * The live stream's `ticket` event: one change, the whole ticket after it.
 */
export type TicketEvent = { seq: number, ticket: Ticket, };

/**
 * `GET /api/done`: done tickets still recallable, newest first.
 */
export type DoneList = { tickets: Array<Ticket>, };

/**
 * `GET /api/history`: past (and present) tickets matching a search,
 * newest first.
 */
export type HistoryList = { tickets: Array<Ticket>, };

/**
 * One entry of a ticket's log: what happened, when, and who did it.
 */
export type LogEntry = { id: number, 
/**
 * RFC 3339.
 */
at: string, 
/**
 * `klikit`, `screen` or `kitchen`.
 */
source: string, 
/**
 * `received`, `status`, `bump`, `recall`, `cart`, … (see `kitchen::EventKind`).
 */
kind: string, 
/**
 * What the entry records (for a move: `from` and `to` columns).
 */
detail: Record<string, unknown>, 
/**
 * The stored delivery it came in, when klikit sent it.
 */
delivery_seq: number | null, };

/**
 * `GET /api/tickets/{order_id}/timeline`: the ticket and its whole log,
 * oldest first.
 */
export type Timeline = { ticket: Ticket, events: Array<LogEntry>, };

/**
 * What a screen asks for.
 */
export type Action = "bump" | "recall" | "acknowledge";

/**
 * `POST /api/tickets/{order_id}/{action}`'s optional body: the column the
 * screen saw, so a stale tap is refused rather than misapplied.
 */
export type ActionRequest = { 
/**
 * A column's JSON name; the handler names an unknown one in its 400.
 */
from?: Column, 
/**
 * Reject and cancel only: a code from the kitchen's reason list.
 */
reason_code?: string, 
/**
 * Reject and cancel only: must be `true` (the confirmation step).
 */
confirm?: boolean, 
/**
 * Bump and recall only: act for this station's lines, not the whole
 * ticket.
 */
station?: string, };

/**
 * `POST /api/tickets/{order_id}/rush`: set or clear the rush mark.
 */
export type RushRequest = { rush: boolean, };

/**
 * The body of every refused API call; a 409 carries the current ticket.
 */
export type ErrorBody = { error: string, 
/**
 * A `422`'s offending field (`stations[1].name`).
 */
field?: string, ticket?: Ticket, };

/**
 * One station and its routing rules (empty lists do not constrain).
 */
export type Station = { 
/**
 * Shown in the header and used in `?screen=NAME`; unique (any case).
 */
name: string, 
/**
 * klikit brand ids.
 */
brands: Array<number>, 
/**
 * klikit category names (any case) or ids.
 */
categories: Array<string>, 
/**
 * Item names: exact (any case), or a pattern where `*` stands for any text.
 */
items: Array<string>, order_types: Array<OrderType>, 
/**
 * Channel names as tickets show them (`GrabFood`, …), any case.
 */
channels: Array<string>, };

/**
 * A brand's colour and prep time, as set by a person.
 */
export type BrandSetting = { id: number, 
/**
 * `#rrggbb`; `null`: the palette's.
 */
color: string | null, 
/**
 * Minutes before its scheduled time that a scheduled order fires.
 */
prep_minutes: number | null, };

/**
 * Prep times by order type (minutes), and the default.
 */
export type PrepTimes = { default_minutes: number, pickup: number | null, delivery: number | null, dine_in: number | null, };

/**
 * The kitchen's station setup: what `PUT /api/stations` takes.
 */
export type StationSetup = { 
/**
 * In order: a line goes to the first that matches.
 */
stations: Array<Station>, 
/**
 * Where lines no station matches go; `null` or empty: `kitchen`.
 */
default_station: string | null, brands: Array<BrandSetting>, prep: PrepTimes, };

/**
 * A brand the kitchen has seen (or has a setting for), with the colour
 * its cards show and its prep time.
 */
export type BrandInfo = { id: number, title: string | null, 
/**
 * `#rrggbb`: its own colour if set, else the palette's.
 */
color: string, 
/**
 * Its own prep time, if set (else the order type's or the default).
 */
prep_minutes: number | null, };

/**
 * `GET /api/stations` and the answer to a `PUT` (whose body is
 * `setup`, a [`StationSetup`]).
 */
export type StationSettings = { 
/**
 * What a person edits: stations in order, default station, brand
 * settings, prep times.
 */
setup: StationSetup, 
/**
 * Every station a line can go to (the default one last if it is not
 * configured): the screens a board can choose, with `expo`.
 */
station_names: Array<string>, 
/**
 * Every brand seen or set, in the order first seen.
 */
brands: Array<BrandInfo>, 
/**
 * The colours brands get in turn.
 */
palette: Array<string>, };

/**
 * One all-day row.
 */
export type AllDayItem = { name: string, modifiers: Array<Modifier>, 
/**
 * Total quantity still to cook.
 */
quantity: number, 
/**
 * On how many tickets.
 */
tickets: number, 
/**
 * The station that cooks it.
 */
station: string, };

/**
 * `GET /api/allday?screen=NAME`: what is still to cook, largest first.
 */
export type AllDay = { seq: number, screen?: string, notice?: string, items: Array<AllDayItem>, };

/**
 * A screen following the live stream.
 */
export type ConnectedScreen = { id: number, 
/**
 * The name the screen gave itself (`?name=`), if any.
 */
name: string | null, 
/**
 * What it shows: a station, `expo`, or `null` for everything.
 */
screen: string | null, 
/**
 * The station whose lines it shows, if it is a station screen.
 */
station: string | null, 
/**
 * The address it connects from.
 */
remote: string, connected_since: string, 
/**
 * When the server last sent it something.
 */
last_seen: string, };

/**
 * `GET /api/screens`: the screens connected now, oldest first.
 */
export type ScreenList = { screens: Array<ConnectedScreen>, };

/**
 * What became of one delivery, as the diagnostics view lists it: the
 * intake's answer, or (for a stored one) how far the applier took it.
 */
export type DeliveryOutcome = "received" | "applied" | "duplicate" | "unprocessable" | "invalid_signature" | "bad_request" | "too_large" | "unsupported_encoding" | "body_error" | "no_secret" | "store_unavailable" | "over_budget";

/**
 * One row of `GET /api/deliveries`: a stored delivery, or a refused attempt.
 */
export type Delivery = { event_id: string | null, event_type: string | null, received_at: string, outcome: DeliveryOutcome, reason: string | null, order_ids: Array<string>, duplicates: number, 
/**
 * `webhook`, `catch-up` (klikit's webhook never came) or `reconcile`.
 */
source?: string, 
/**
 * For a catch-up delivery: what it means and what to check.
 */
note?: string, };

/**
 * `GET /api/deliveries`, newest first.
 */
export type DeliveryList = { deliveries: Array<Delivery>, };

/**
 * `GET /api/health` (and the live stream's `health` event): can the
 * receiver take deliveries, and is the kitchen keeping up?
 */
export type Health = { intake: IntakeHealth, store: StoreHealth, applier: ApplierHealth, tunnel: TunnelHealth, 
/**
 * The kitchen printers, in configuration order (empty without any;
 * absent from a kds older than printing, which `kds status` may ask).
 */
printers: Array<PrinterHealth>, 
/**
 * Absent from an older kds's health: read as `off`.
 */
klikit?: KlikitHealth, };

/**
 * The receiver: its secret, its address and its counters since start.
 */
export type IntakeHealth = { secret_configured: boolean, listen: string, received: number, duplicates: number, invalid_signature: number, unprocessable: number, store_unavailable: number, last_received_at: string | null, };

/**
 * Whether the store answers.
 */
export type StoreStatus = "ok" | "unavailable" | "read_only" | "corrupt";

/**
 * The store's deliveries.
 */
export type StoreHealth = { status: StoreStatus, deliveries: number, unprocessable: number, };

/**
 * Stored deliveries not yet on the board, and how long the oldest waits.
 */
export type ApplierHealth = { pending: number, lag_ms: number, };

/**
 * The tunnel's state, as `/api/health` and the live stream show it.
 */
export type TunnelState = "off" | "starting" | "connected" | "reconnecting" | "failed" | "not_installed";

/**
 * How `cloudflared` is run (see `tunnel`).
 */
export type TunnelMode = "off" | "quick" | "named";

/**
 * The tunnel's state and URL, with the configured mode, so the board can
 * warn that a quick tunnel's URL changes on every start.
 */
export type TunnelHealth = { state: TunnelState, 
/**
 * The public base URL; klikit posts to `<url>/webhooks/klikit`.
 */
url: string | null, reason: string | null, mode: TunnelMode, };

/**
 * The klikit chip: `state` is `off` (no partner keys), `ok`, `waiting`
 * (actions not yet confirmed), `failing` (an action failed, since
 * `failing_since`) or `rejected` (klikit refused our keys; paused).
 */
export type KlikitHealth = { state: string, waiting: number, failed: number, sent: number, failing_since: string | null, reason: string | null, last_ok_at: string | null, 
/**
 * The last catch-up: `{at, from, listed, fetched, error}`.
 */
last_catchup: { at: string | null, from: string | null, listed: number, fetched: number, error: string | null } | null, };

/**
 * `POST /api/printers/{name}/test` and `POST /api/tickets/{id}/reprint`
 * (202): the printers the job was queued for.
 */
export type PrintQueued = { queued: Array<string>, };

/**
 * `GET /api/printers`, and the answer to adding, changing or removing one:
 * every printer's settings as saved in `config.toml`, in configuration order.
 */
export type PrinterList = { printers: Array<PrinterConfig>, };

/**
 * A `[[printers]]` table.
 */
export type PrinterConfig = { 
/**
 * Shown on the board and used in `POST /api/printers/{name}/test`.
 */
name: string, 
/**
 * `tcp://HOST:PORT` or `file:///DEVICE`.
 */
address: string, 
/**
 * Paper width: 58 or 80.
 */
width_mm: number, mode: PrintMode, code_page: CodePage, print_on: PrintOn, 
/**
 * The stations whose lines this printer prints (station names, any
 * case): a ticket per station, with only those lines. Empty: the whole
 * ticket.
 */
stations?: Array<string>, 
/**
 * `"board"`: this printer prints only while the board has had no live
 * screen for `backup_after_seconds`, each ticket marked BACKUP. A
 * station's name: only that station's lines, while that station has
 * had no live screen for as long.
 */
backup_for?: string, 
/**
 * How long the board may be without a screen before backup printing starts.
 */
backup_after_seconds: number, 
/**
 * A job older than this is not printed (a stale ticket is worse than none).
 */
max_age_seconds: number, 
/**
 * The kitchen's offset from UTC for the times on paper, like `+07:00`.
 */
utc_offset: string, };

/**
 * Text with the printer's own font (and a raster only for the lines its
 * code page cannot hold), or everything as a raster image.
 */
export type PrintMode = "text" | "image";

/**
 * The printer's character table for text mode (ESC/POS `ESC t n`).
 */
export type CodePage = "pc437" | "wpc1252";

/**
 * When a ticket prints on this printer.
 */
export type PrintOn = "arrival" | "accepted" | "demand";

/**
 * A kitchen printer on the health strip: its state since start, its
 * waiting jobs, and the jobs dropped as too old to print.
 */
export type PrinterHealth = { name: string, state: PrinterState, last_error: string | null, last_printed_at: string | null, 
/**
 * A backup printer (prints only while no screen watches the board).
 */
backup: boolean, 
/**
 * A backup printer printing now.
 */
backup_on: boolean, 
/**
 * Jobs queued and not printed yet.
 */
waiting: number, 
/**
 * Jobs dropped as too old since start, and the last one.
 */
dropped: number, last_dropped: Dropped | null, 
/**
 * Jobs ever dropped as too old.
 */
dropped_total: number, };

/**
 * What the board shows for a printer.
 */
export type PrinterState = "unknown" | "ready" | "offline" | "paper_out" | "cover_open";

/**
 * The last job dropped as too old.
 */
export type Dropped = { order_id: string | null, short_id: string | null, kind: PrintKind, queued_at: string, };

/**
 * What a job prints.
 */
export type PrintKind = "ticket" | "changed" | "cancelled" | "test";

/**
 * `GET /api/health` when the store cannot be read (a 503).
 */
export type HealthUnavailable = { store: StoreDown, };

/**
 * The `store` object of [`HealthUnavailable`].
 */
export type StoreDown = { status: StoreStatus, };

/**
 * Where the webhook secret in force came from. The environment wins over
 * the file at every start.
 */
export type SecretSource = "environment" | "file" | "none";

/**
 * `[retention]` in `config.toml`: how long things are kept and when the
 * night work runs. Every key is optional. The settings view edits it too;
 * a change takes effect at the next start.
 */
export type RetentionSettings = { 
/**
 * Days raw delivery bodies are kept.
 */
body_days: number, 
/**
 * Days event ids and body hashes are kept (klikit replays are
 * recognised this long).
 */
dedupe_days: number, 
/**
 * Days closed tickets and their log are kept.
 */
ticket_days: number, 
/**
 * Local hour (0 to 23) of the nightly backup and pruning.
 */
quiet_hour: number, 
/**
 * Minutes without a delivery after which pruning may run anyway.
 */
idle_minutes: number, 
/**
 * Write the nightly backup into `backups/`.
 */
nightly_backup: boolean, };

/**
 * `GET /api/settings` and the answer to a `PUT`. Never holds a secret:
 * only whether one is configured.
 */
export type Settings = { secret_configured: boolean, 
/**
 * Where the secret in force came from: the environment wins over the
 * file at every start.
 */
secret_source: SecretSource, 
/**
 * Until when (RFC 3339) the secret replaced last is still accepted.
 */
previous_secret_until: string | null, 
/**
 * How long a replaced secret stays accepted, in hours.
 */
secret_rotation_hours: number, warn_after_minutes: number, late_after_minutes: number, chime: boolean, chime_repeat: boolean, tunnel: TunnelMode, 
/**
 * klikit status code → name overrides, names already normalised.
 */
status_names: { [key in string]: string }, 
/**
 * klikit partner keys are in use (they are never shown).
 */
klikit_configured: boolean, 
/**
 * The partner API base in use, if any.
 */
klikit_api_url: string | null, 
/**
 * The klikit branch ids this kitchen serves (empty: all); a change
 * takes effect at the next start.
 */
branches: Array<number>, 
/**
 * Retention periods and the night work (`[retention]`); a change
 * takes effect at the next start.
 */
retention: RetentionSettings, 
/**
 * The public base URL in use (a named tunnel's hostname, or the
 * kitchen's own proxy), if any.
 */
public_url: string | null, 
/**
 * A named tunnel token is in use (it is never shown).
 */
tunnel_token_configured: boolean, 
/**
 * What the last change did that the person should know, e.g. that
 * spaces or line breaks around a pasted secret were removed. Empty
 * on a `GET`.
 */
warnings: Array<string>, };

/**
 * `PUT /api/settings`: every field optional; `webhook_secret` only when it
 * changes. Tunnel mode, token and public URL apply at once.
 */
export type SettingsUpdate = { webhook_secret?: string, warn_after_minutes?: number, late_after_minutes?: number, chime?: boolean, chime_repeat?: boolean, tunnel?: TunnelMode, status_names?: { [key in string]: string }, 
/**
 * Write-only: klikit partner keys, and the base (`dev`, `prod` or a URL).
 */
klikit_partner_key?: string, klikit_partner_secret?: string, klikit_api_url?: string, branches?: Array<number>, 
/**
 * The whole `[retention]` table, checked (periods and quiet hour).
 */
retention?: RetentionSettings, 
/**
 * Write-only: a named tunnel's token.
 */
tunnel_token?: string, 
/**
 * The public base URL (own proxy or named tunnel); `""` clears it.
 */
public_url?: string, };

/**
 * How a hop went.
 */
export type HopOutcome = "passed" | "failed" | "skipped";

/**
 * One hop of the path from klikit to the screen.
 */
export type SelftestHop = { 
/**
 * `dns`, `tls`, `tunnel`, `intake`, `signature`, `stored` or `shown`.
 */
name: string, outcome: HopOutcome, 
/**
 * One sentence for a person: what was seen, or what to do.
 */
detail: string, 
/**
 * Time the hop took, when it ran.
 */
ms: number | null, };

/**
 * The whole self-test.
 */
export type SelftestReport = { 
/**
 * True when no hop failed.
 */
passed: boolean, order_id: string, event_id: string, 
/**
 * Where the order was posted.
 */
posted_to: string | null, hops: Array<SelftestHop>, };

/**
 * The names of the live stream's events (`GET /api/live`).
 */
export type LiveEventName = "snapshot" | "ticket" | "health" | "ping";

/**
 * What to count: every part given must match (brand by its name).
 */
export type ReportFilter = { brand: string | null, channel: string | null, order_type: string | null, };

/**
 * The filter choices present on the day.
 */
export type ReportOptions = { brands: Array<string>, channels: Array<string>, order_types: Array<string>, };

/**
 * Orders per local hour (24 counts, index = hour) of one day.
 */
export type HourlyOrders = { 
/**
 * The local day, `2026-11-30`.
 */
date: string, counts: Array<number>, };

/**
 * The day's orders per hour, and the same weekday of earlier weeks (one
 * week back first).
 */
export type OrdersPerHour = { day: HourlyOrders, weeks: Array<HourlyOrders>, };

/**
 * Time spent in one column, over the tickets that completed a stay there.
 */
export type ColumnTime = { column: Column, tickets: number, 
/**
 * `null` when no ticket completed a stay in the column.
 */
median_seconds: number | null, p90_seconds: number | null, };

/**
 * Time at one station: from the kitchen first seeing a ticket to the
 * station bumping its lines, over the tickets it bumped.
 */
export type StationTime = { station: string, tickets: number, median_seconds: number | null, p90_seconds: number | null, };

/**
 * How many tickets went past the red threshold.
 */
export type LateShare = { late_after_minutes: number, 
/**
 * Tickets whose outcome is known (done, or already late).
 */
tickets: number, late: number, 
/**
 * `late / tickets`, 0 to 1; `null` with no tickets.
 */
share: number | null, };

/**
 * Cancellations with one reason.
 */
export type CancellationCount = { 
/**
 * klikit's reason, or `no reason given`.
 */
reason: string, count: number, };

/**
 * The day in a few numbers.
 */
export type DaySummary = { orders: number, 
/**
 * Tickets done (not cancelled).
 */
done: number, 
/**
 * Mean of arrival to done over the done tickets, whole seconds.
 */
average_ticket_seconds: number | null, cancelled: number, 
/**
 * Most frequent first.
 */
cancellations: Array<CancellationCount>, };

/**
 * `GET /api/reports/day`: everything the Reports view shows for one day.
 */
export type DayReport = { 
/**
 * The local day, `2026-11-30`.
 */
date: string, 
/**
 * The time zone that day is in (an IANA name, or a UTC offset).
 */
timezone: string, filter: ReportFilter, options: ReportOptions, 
/**
 * No order matched: the view shows its empty state.
 */
empty: boolean, orders_per_hour: OrdersPerHour, columns: Array<ColumnTime>, stations: Array<StationTime>, late: LateShare, summary: DaySummary, };

/**
 * `GET /api/about`: what Settings' About section shows. Nothing secret.
 */
export type About = { 
/**
 * kds's version (`kds --version`).
 */
version: string, 
/**
 * Where the database, `config.toml` and the logs live.
 */
data_dir: string, 
/**
 * The current rotating log file.
 */
log_file: string, 
/**
 * The intake listener's bound address (the tunnel points here).
 */
intake_listen: string, 
/**
 * The app listener's bound address (board and API).
 */
app_listen: string, 
/**
 * The webhook's path on the intake listener.
 */
webhook_path: string, };

/**
 * `GET /api/pairing`: where a tablet on the kitchen network reaches this
 * board, for Settings' pairing code. It never holds the API token: the
 * board adds its own to the fragment of the address it shows.
 */
export type Pairing = { 
/**
 * The app listener's bound address (`127.0.0.1:8787`, `0.0.0.0:8787`).
 */
listen: string, 
/**
 * Whether the app listener is bound beyond loopback, so that other
 * machines can reach it at all.
 */
beyond_loopback: boolean, 
/**
 * The board's addresses a tablet can open (`http://192.168.1.20:8787`),
 * the likeliest first: this machine's interface addresses that are
 * neither loopback nor link-local, with the listener's port. Empty on
 * loopback, or when the machine has no such address.
 */
addresses: Array<string>, 
/**
 * Why there is no address, and what to change (the setting names):
 * set when `addresses` is empty.
 */
hint: string | null, };

/**
 * `GET /api/setup`: what the first-run setup shows. Nothing secret.
 */
export type Setup = { 
/**
 * No webhook secret yet: the board opens the setup by itself.
 */
needed: boolean, secret_configured: boolean, 
/**
 * The tunnel as `GET /api/health` shows it.
 */
tunnel: TunnelHealth, 
/**
 * The public base URL configured (own proxy or named tunnel), if any.
 */
public_url: string | null, 
/**
 * The full URL to give klikit (`…/webhooks/klikit`), once one is known.
 */
webhook_url: string | null, 
/**
 * `cloudflared` was found (configured path or PATH).
 */
cloudflared_found: boolean, 
/**
 * The operating system kds runs on, as a person knows it.
 */
os: string, 
/**
 * How to install cloudflared on it, one step per line.
 */
install_help: Array<string>, 
/**
 * The brands and branches orders came in for, newest first (for the
 * email to the klikit operator).
 */
seen: Array<SeenIds>, };

/**
 * One brand and branch orders came in for.
 */
export type SeenIds = { brand_id: number | null, brand_title: string | null, branch_id: number | null, };
