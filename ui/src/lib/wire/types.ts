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
 * A line as shown on a ticket: the cart line plus its change mark.
 */
export type TicketLine = { name: string, quantity: number, comment: string | null, modifiers: Array<Modifier>, change: LineChange | null, previous_quantity: number | null, };

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
other_branch?: boolean, };

/**
 * `GET /api/tickets`, and the live stream's `snapshot` event: the open
 * tickets as of change `seq`.
 */
export type TicketList = { seq: number, tickets: Array<Ticket>, };

/**
 * The live stream's `ticket` event: one change, the whole ticket after it.
 */
export type TicketEvent = { seq: number, ticket: Ticket, };

/**
 * `GET /api/done`: done tickets still recallable, newest first.
 */
export type DoneList = { tickets: Array<Ticket>, };

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
confirm?: boolean, };

/**
 * The body of every refused API call; a 409 carries the current ticket.
 */
export type ErrorBody = { error: string, ticket?: Ticket, };

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
export type StoreStatus = "ok" | "unavailable" | "read_only";

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

/**
 * Where the webhook secret in force came from. The environment wins over
 * the file at every start.
 */
export type SecretSource = "environment" | "file" | "none";

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
