// The printers in Settings: reading, adding, changing and removing them
// through the core (`/api/printers`), which checks every field and answers
// a refused change with its reason. The board only fills in a form: the
// defaults below are a new printer's starting values, not rules.

import type { PrinterConfig, PrinterHealth, PrinterList } from "./api";
import { deleteJson, getJson, postJson, putJson } from "./transport";

const path = (name: string) => `/api/printers/${encodeURIComponent(name)}`;

export const listPrinters = () => getJson<PrinterList>("/api/printers").then((r) => r.printers);
export const addPrinter = (p: PrinterConfig) => postJson<PrinterList>("/api/printers", p).then((r) => r.printers);
export const updatePrinter = (name: string, p: PrinterConfig) => putJson<PrinterList>(path(name), p).then((r) => r.printers);
export const removePrinter = (name: string) => deleteJson<PrinterList>(path(name)).then((r) => r.printers);

/// `+07:00` for a clock 420 minutes ahead of UTC (what `Date.getTimezoneOffset`
/// gives with the sign flipped).
export function utcOffset(minutesAhead: number): string {
  const sign = minutesAhead < 0 ? "-" : "+";
  const m = Math.abs(Math.trunc(minutesAhead));
  return `${sign}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/// A new printer's form: the server's own defaults, and this screen's
/// offset from UTC for the times on paper.
export function blankPrinter(minutesAhead = -new Date().getTimezoneOffset()): PrinterConfig {
  return {
    name: "",
    address: "tcp://",
    width_mm: 80,
    mode: "text",
    code_page: "pc437",
    print_on: "accepted",
    backup_after_seconds: 30,
    max_age_seconds: 15 * 60,
    utc_offset: utcOffset(minutesAhead),
  };
}

const STATE_WORDS: Record<PrinterHealth["state"], string> = {
  unknown: "Nothing sent yet",
  ready: "Ready",
  offline: "Offline",
  paper_out: "Out of paper",
  cover_open: "Cover open",
};

/// A printer's state in Settings, in words: what it said last, what is
/// waiting, and the stale jobs it did not print.
export function printerState(h: PrinterHealth): string {
  const parts = [STATE_WORDS[h.state]];
  if (h.last_error) parts[0] += ` (${h.last_error})`;
  if (h.backup) parts.push(h.backup_on ? "backup printing now" : "standing by as backup");
  if (h.waiting > 0) parts.push(`${h.waiting} waiting`);
  if (h.dropped_total > 0) parts.push(`${h.dropped_total} too old, not printed`);
  return parts.join("; ");
}
