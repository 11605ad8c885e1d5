// Turning ticket data into the words and levels on a card. Pure functions,
// time passed in.

import type { Line, Modifier, Ticket } from "./api";

export type KlikitSync = NonNullable<Ticket["klikit_sync"]>;

export type AgeLevel = "ok" | "warn" | "late";

/// "0 min", "12 min", "1 h 5 min"; past a day "2 d 3 h" (a stale order
/// should not read as a stopwatch); a time in the future reads "in 12 min".
///
/// Never seconds, so a timer changes once a minute. Seconds cost: every
/// second the timers showing them repaint together, and WebKitGTK (the
/// desktop window) repaints the whole area between them, so 50 fresh
/// tickets cost the desktop app 2.4% of a core with seconds for 5 minutes,
/// 1.8% to 2.1% with seconds for 1 minute, and 0.5% in minutes
/// (`scripts/measure-desktop`, `bench/RESULTS.md`). A cook reads a ticket's
/// age in minutes; the warn and late colours count minutes too.
export function elapsed(fromIso: string | null, now: number): string {
  if (!fromIso) return "";
  const from = Date.parse(fromIso);
  if (Number.isNaN(from)) return "";
  const secs = Math.floor((now - from) / 1000);
  if (secs < 0) {
    const mins = Math.ceil(-secs / 60);
    return mins >= 60 ? `in ${Math.floor(mins / 60)} h ${mins % 60} min` : `in ${mins} min`;
  }
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

/// The next moment `elapsed(fromIso, ·)` or `ageLevel` can read differently
/// after `now` (a minute or, past a day, an hour boundary counted from
/// `fromIso`);
/// Infinity when it never will.
export function nextChange(fromIso: string | null, now: number): number {
  const from = fromIso ? Date.parse(fromIso) : NaN;
  if (Number.isNaN(from)) return Infinity;
  const age = now - from;
  const step = age >= 24 * 3_600_000 ? 3_600_000 : 60_000;
  return from + (Math.floor(age / step) + 1) * step;
}

/// The timer's colour: ok below `warn` minutes, warn below `late`, then late.
export function ageLevel(fromIso: string | null, now: number, warnMinutes: number, lateMinutes: number): AgeLevel {
  if (!fromIso) return "ok";
  const from = Date.parse(fromIso);
  if (Number.isNaN(from)) return "ok";
  const minutes = (now - from) / 60000;
  if (minutes >= lateMinutes) return "late";
  if (minutes >= warnMinutes) return "warn";
  return "ok";
}

/// What the timer counts from: when the order was placed, else when the
/// ticket entered its column.
export function timerStart(t: Ticket): string | null {
  return t.placed_at ?? t.column_since;
}

/// The order-type badge: "DINE-IN T7", "PICKUP", "DELIVERY".
export function orderTypeLabel(t: Pick<Ticket, "order_type" | "table_no">): string {
  switch (t.order_type) {
    case "dine_in":
      return t.table_no ? `DINE-IN · T${t.table_no}` : "DINE-IN";
    case "pickup":
      return "PICKUP";
    case "delivery":
      return "DELIVERY";
    default:
      return "ORDER";
  }
}

export function driverLabel(t: Pick<Ticket, "driver">): string | null {
  if (t.driver === "assigned") return "DRIVER ASSIGNED";
  if (t.driver === "arrived") return "DRIVER HERE";
  return null;
}

/// The brand and channel line: "Warung Sambal Ijo · GrabFood".
export function sourceLabel(t: Pick<Ticket, "brand" | "channel">): string {
  return [t.brand?.title, t.channel].filter((s): s is string => !!s && s.trim() !== "").join(" · ");
}

/// A row of the modifier tree, flattened with its depth for indenting.
export interface ModifierRow {
  name: string;
  quantity: number;
  depth: number;
}

export function modifierRows(modifiers: Modifier[], depth = 1, out: ModifierRow[] = []): ModifierRow[] {
  for (const m of modifiers) {
    out.push({ name: m.name, quantity: m.quantity, depth });
    if (m.modifiers?.length) modifierRows(m.modifiers, depth + 1, out);
  }
  return out;
}

/// What changed on a line after a cart update, in a word or two.
export function changeLabel(line: Pick<Line, "change" | "previous_quantity" | "quantity">): string | null {
  switch (line.change) {
    case "added":
      return "NEW";
    case "removed":
      return "REMOVED";
    case "quantity":
      return line.previous_quantity !== null ? `WAS ${line.previous_quantity}` : "QTY CHANGED";
    case "modifiers":
      return "CHANGED";
    default:
      return null;
  }
}

const ALLERGY = /\b(allerg\w*|alergi\w*|anaphyla\w*|nut|nuts|peanut\w*|kacang|gluten|celiac|coeliac|dairy|lactose|shellfish|shrimp|udang|seafood|egg|eggs|telur|soy|sesame|wijen|halal|vegan|vegetarian)\b/i;

/// Does this note look like an allergy or dietary warning? Such notes get
/// the loudest style; every note is shown either way.
export function isAllergyNote(text: string | null | undefined): boolean {
  return !!text && ALLERGY.test(text);
}

/// The wall clock in the header: "14:05".
export function clock(now: number): string {
  const d = new Date(now);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/// "just now", "3 min ago", "2 h ago" for health and diagnostics.
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "unknown";
  const secs = Math.max(0, Math.round((now - at) / 1000));
  if (secs < 10) return "just now";
  if (secs < 60) return `${secs} s ago`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ago`;
  return `${Math.floor(secs / 86400)} d ago`;
}

/// The card's small klikit mark: what the last action is and where it
/// stands, in the words a cook reads at a glance.
export function syncMark(sync: KlikitSync): string {
  const action = sync.action.replace("_", " ");
  switch (sync.state) {
    case "waiting":
      return `klikit: ${action}…`;
    case "sent":
      return `klikit ✓ ${action}`;
    case "failed":
      return `klikit ✗ ${action}`;
    case "superseded":
      return "klikit: superseded";
    case "cancelled":
      return "klikit: not sent";
    default:
      return `klikit: ${sync.state}`;
  }
}

/// What tapping the mark shows: the reason and note the server gave (plain
/// text), or what the state means when there is none.
export function syncDetail(sync: KlikitSync): string {
  const parts = [sync.reason, sync.note].filter((p): p is string => !!p);
  if (parts.length) return parts.join(" — ");
  switch (sync.state) {
    case "waiting":
      return `Sending "${sync.action.replace("_", " ")}" to klikit.`;
    case "sent":
      return `klikit has "${sync.action.replace("_", " ")}".`;
    case "cancelled":
      return "Undone by a recall before it was sent: nothing reached klikit.";
    default:
      return sync.state;
  }
}

/// A reason code as a person reads it: "out_of_items" → "Out of items".
export function reasonLabel(code: string): string {
  const words = code.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
