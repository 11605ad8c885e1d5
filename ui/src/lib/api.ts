// The app API's types: the one place the board describes what the kds
// server sends. Hand-kept to match the contract in the common brief; the
// Playwright suite checks them against real responses (e2e/contract.test.mjs
// via `isTicket` and friends below), so a drift fails a test.

export type Column = "scheduled" | "new" | "preparing" | "ready" | "done" | "cancelled";
export type OrderType = "pickup" | "delivery" | "dine_in" | "unknown";
export type LineChange = null | "added" | "removed" | "quantity" | "modifiers";
export type Driver = null | "assigned" | "arrived";

export interface Modifier {
  name: string;
  quantity: number;
  modifiers: Modifier[];
}

export interface Line {
  name: string;
  quantity: number;
  comment: string | null;
  modifiers: Modifier[];
  change: LineChange;
  previous_quantity: number | null;
}

export interface Ticket {
  order_id: string;
  short_id: string;
  brand: { id: number; title: string } | null;
  branch_id: number | null;
  provider_id: number | null;
  channel: string | null;
  order_type: OrderType;
  table_no: string | null;
  /// The furthest klikit status applied; null before any.
  status_code: number | null;
  status: string;
  column: Column;
  placed_at: string | null;
  scheduled_at: string | null;
  column_since: string;
  updated_at: string;
  lines: Line[];
  order_comment: string | null;
  changed: boolean;
  cancelled: boolean;
  cancellation_reason: string | null;
  driver: Driver;
  test: boolean;
  item_count: number;
  // Added by the engine beyond the first contract:
  /// Belongs on the board (not done, not an acknowledged cancellation).
  open: boolean;
  cancellation_acknowledged: boolean;
  klikit_updated_at: string | null;
}

export interface TicketList {
  seq: number;
  tickets: Ticket[];
}

export interface TicketEvent {
  seq: number;
  ticket: Ticket;
}

export type TunnelState = "off" | "starting" | "connected" | "reconnecting" | "failed" | "not_installed";

export interface Health {
  intake: {
    secret_configured: boolean;
    listen?: string;
    received: number;
    invalid_signature: number;
    last_received_at: string | null;
    [more: string]: unknown;
  };
  store: { status: string; [more: string]: unknown };
  applier: { pending: number; lag_ms?: number; [more: string]: unknown };
  tunnel: { state: TunnelState; url?: string | null; reason?: string | null; mode?: TunnelMode };
  /// The kitchen printers (absent on a kds without printing).
  printers?: PrinterHealth[];
}

export type PrinterState = "unknown" | "ready" | "offline" | "paper_out" | "cover_open";

/// One printer on the health strip.
export interface PrinterHealth {
  name: string;
  state: PrinterState;
  last_error: string | null;
  backup: boolean;
  backup_on: boolean;
  /// Jobs queued and not printed yet.
  waiting: number;
  /// Jobs dropped as too old since start, and the last one.
  dropped: number;
  last_dropped: { order_id: string | null; short_id: string | null; kind: string; queued_at: string } | null;
}

export type TunnelMode = "off" | "quick" | "named";

/// `POST /api/selftest`: each hop from klikit to the screen.
export interface SelftestHop {
  name: string;
  outcome: "passed" | "failed" | "skipped";
  detail: string;
  ms: number | null;
}

export interface SelftestReport {
  passed: boolean;
  order_id: string;
  event_id: string;
  posted_to: string | null;
  hops: SelftestHop[];
}

export type DeliveryOutcome =
  | "received"
  | "applied"
  | "duplicate"
  | "unprocessable"
  | "invalid_signature"
  | "bad_request"
  | (string & {});

export interface Delivery {
  event_id: string | null;
  event_type: string | null;
  received_at: string;
  outcome: DeliveryOutcome;
  reason: string | null;
  order_ids: string[];
  duplicates: number;
}

/// `GET /api/settings`. The webhook secret is never sent back: only whether
/// one is configured.
export interface Settings {
  secret_configured: boolean;
  warn_after_minutes: number;
  late_after_minutes: number;
  chime: boolean;
  chime_repeat: boolean;
  tunnel: "off" | "quick" | "named";
  status_names: Record<string, string>;
}

/// `PUT /api/settings`: every field optional; `webhook_secret` only when it
/// changes.
export type SettingsUpdate = Partial<Omit<Settings, "secret_configured">> & { webhook_secret?: string };

// ---- runtime shape checks (used by tests against the real server) ----

const COLUMNS: readonly string[] = ["scheduled", "new", "preparing", "ready", "done", "cancelled"];
const ORDER_TYPES: readonly string[] = ["pickup", "delivery", "dine_in", "unknown"];
const CHANGES: readonly (string | null)[] = [null, "added", "removed", "quantity", "modifiers"];
const DRIVERS: readonly (string | null)[] = [null, "assigned", "arrived"];

type Check = (v: unknown, path: string, problems: string[]) => void;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function field(o: Record<string, unknown>, k: string, ok: (v: unknown) => boolean, path: string, problems: string[]) {
  if (!(k in o)) problems.push(`${path}.${k} missing`);
  else if (!ok(o[k])) problems.push(`${path}.${k} has unexpected value ${JSON.stringify(o[k])}`);
}
const str = (v: unknown) => typeof v === "string";
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const bool = (v: unknown) => typeof v === "boolean";
const nullable = (f: (v: unknown) => boolean) => (v: unknown) => v === null || f(v);
const oneOf = (xs: readonly (string | null)[]) => (v: unknown) => xs.includes(v as string);

const checkModifier: Check = (v, path, problems) => {
  if (!isObj(v)) return void problems.push(`${path} is not an object`);
  field(v, "name", str, path, problems);
  field(v, "quantity", num, path, problems);
  field(v, "modifiers", Array.isArray, path, problems);
  if (Array.isArray(v.modifiers)) v.modifiers.forEach((m, i) => checkModifier(m, `${path}.modifiers[${i}]`, problems));
};

const checkLine: Check = (v, path, problems) => {
  if (!isObj(v)) return void problems.push(`${path} is not an object`);
  field(v, "name", str, path, problems);
  field(v, "quantity", num, path, problems);
  field(v, "comment", nullable(str), path, problems);
  field(v, "modifiers", Array.isArray, path, problems);
  field(v, "change", oneOf(CHANGES), path, problems);
  field(v, "previous_quantity", nullable(num), path, problems);
  if (Array.isArray(v.modifiers)) v.modifiers.forEach((m, i) => checkModifier(m, `${path}.modifiers[${i}]`, problems));
};

/// Every way `v` differs from the `Ticket` type; empty when it matches.
export function ticketProblems(v: unknown, path = "ticket"): string[] {
  const problems: string[] = [];
  if (!isObj(v)) return [`${path} is not an object`];
  field(v, "order_id", str, path, problems);
  field(v, "short_id", str, path, problems);
  field(v, "brand", (b) => b === null || (isObj(b) && num(b.id) && str(b.title)), path, problems);
  field(v, "branch_id", nullable(num), path, problems);
  field(v, "provider_id", nullable(num), path, problems);
  field(v, "channel", nullable(str), path, problems);
  field(v, "order_type", oneOf(ORDER_TYPES), path, problems);
  field(v, "table_no", nullable(str), path, problems);
  field(v, "status_code", nullable(num), path, problems);
  field(v, "status", str, path, problems);
  field(v, "column", oneOf(COLUMNS), path, problems);
  field(v, "placed_at", nullable(str), path, problems);
  field(v, "scheduled_at", nullable(str), path, problems);
  field(v, "column_since", str, path, problems);
  field(v, "updated_at", str, path, problems);
  field(v, "lines", Array.isArray, path, problems);
  field(v, "order_comment", nullable(str), path, problems);
  field(v, "changed", bool, path, problems);
  field(v, "cancelled", bool, path, problems);
  field(v, "cancellation_reason", nullable(str), path, problems);
  field(v, "driver", oneOf(DRIVERS), path, problems);
  field(v, "test", bool, path, problems);
  field(v, "item_count", num, path, problems);
  field(v, "open", bool, path, problems);
  field(v, "cancellation_acknowledged", bool, path, problems);
  field(v, "klikit_updated_at", nullable(str), path, problems);
  if (Array.isArray(v.lines)) v.lines.forEach((l, i) => checkLine(l, `${path}.lines[${i}]`, problems));
  return problems;
}

/// Every way `v` differs from the `Health` type; empty when it matches.
export function healthProblems(v: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(v)) return ["health is not an object"];
  for (const k of ["intake", "store", "applier", "tunnel"]) if (!isObj(v[k])) problems.push(`health.${k} missing`);
  if (isObj(v.intake)) {
    field(v.intake, "secret_configured", bool, "health.intake", problems);
    field(v.intake, "received", num, "health.intake", problems);
    field(v.intake, "invalid_signature", num, "health.intake", problems);
    field(v.intake, "last_received_at", nullable(str), "health.intake", problems);
  }
  if (isObj(v.applier)) field(v.applier, "pending", num, "health.applier", problems);
  if (isObj(v.tunnel)) field(v.tunnel, "state", str, "health.tunnel", problems);
  return problems;
}

/// Every way `v` differs from the `Delivery` type; empty when it matches.
export function deliveryProblems(v: unknown, path = "delivery"): string[] {
  const problems: string[] = [];
  if (!isObj(v)) return [`${path} is not an object`];
  field(v, "event_id", nullable(str), path, problems);
  field(v, "event_type", nullable(str), path, problems);
  field(v, "received_at", str, path, problems);
  field(v, "outcome", str, path, problems);
  field(v, "reason", nullable(str), path, problems);
  field(v, "order_ids", Array.isArray, path, problems);
  field(v, "duplicates", num, path, problems);
  return problems;
}
