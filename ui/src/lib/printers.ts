// The printers in Settings: reading, adding, changing and removing them
// through the core (`/api/printers`), which checks every field and answers
// a refused change with its reason. The board only fills in a form: the
// defaults below are a new printer's starting values, not rules.

import type { PrinterConfig, PrinterList } from "./api";
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
