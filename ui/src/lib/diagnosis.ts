// Plain words for a delivery's outcome, each paired with what to do about
// it (from klikit's troubleshooting advice, REFERENCE.md §2.3-2.5).

import type { Delivery, DeliveryOutcome, Health, PrinterHealth } from "./api";

export type Severity = "good" | "info" | "bad";

export interface Diagnosis {
  words: string;
  fix: string | null;
  severity: Severity;
}

/// Each outcome's words and fix; `why` is the reason, in brackets, or "".
/// A `Record` over the generated outcome type, so a new outcome in the
/// server's contract fails the type check until it has words here.
const DIAGNOSES: Record<DeliveryOutcome, (why: string) => Diagnosis> = {
  received: () => ({ words: "Received and stored; waiting to reach the board.", fix: null, severity: "good" }),
  applied: () => ({ words: "Received and shown on the board.", fix: null, severity: "good" }),
  duplicate: () => ({
    words: "A repeat of a delivery already received; ignored (klikit retries until it gets a 2xx).",
    fix: "Nothing to do. Many repeats in a row mean klikit did not get our answer in time: check the tunnel and that the receiver answers within 10 seconds.",
    severity: "info",
  }),
  unprocessable: (why) => ({
    words: `Signed correctly, but the order could not be read${why}.`,
    fix: "Stored for inspection. If it keeps happening, send the event id to klikit partner support: the body or event type is not what their docs describe.",
    severity: "bad",
  }),
  invalid_signature: () => ({
    words: "Refused: the signature did not match.",
    fix: "Signature mismatch on every delivery: check the webhook secret (no stray spaces or a trailing newline when pasting it), or a proxy, WAF or API gateway rewriting the body. One-off mismatches during a secret rotation: set the previous secret too.",
    severity: "bad",
  }),
  bad_request: (why) => ({
    words: `Refused: the request was incomplete${why}.`,
    fix: "Missing x-klikit-* headers usually mean a proxy or CDN strips unknown headers: let x-klikit-signature, x-klikit-event-id and x-klikit-event-type through (nginx: check underscores_in_headers and proxy header settings).",
    severity: "bad",
  }),
  too_large: () => ({
    words: "Refused: the body was over 1 MiB.",
    fix: "Real orders are far smaller; check what is posting to the webhook URL.",
    severity: "bad",
  }),
  unsupported_encoding: () => ({
    words: "Refused: the body was compressed.",
    fix: "Send the body uncompressed (a proxy may be adding gzip).",
    severity: "bad",
  }),
  body_error: () => ({
    words: "Refused: the body did not arrive in full (too slow or cut off).",
    fix: "klikit retries. If it keeps happening, check the tunnel or proxy between klikit and this machine.",
    severity: "bad",
  }),
  no_secret: () => ({
    words: "Refused with 503: no webhook secret is configured.",
    fix: "Enter the webhook secret klikit gave you in Settings. klikit retries, so nothing is lost if it is set soon.",
    severity: "bad",
  }),
  store_unavailable: () => ({
    words: "Refused with 503: the database could not commit it.",
    fix: "klikit will retry. Check free disk space and that the data directory is writable.",
    severity: "bad",
  }),
  over_budget: () => ({
    words: "Refused with 503: too many request bodies were arriving at once (the receiver's memory budget was full).",
    fix: "klikit will retry. If it keeps happening, someone may be flooding the receiver; KDS_INTAKE_BUFFER_MIB sets the budget.",
    severity: "bad",
  }),
};

/// `outcome` is a string: a row from a newer server may name one this board
/// does not know yet.
export function diagnose(d: Pick<Delivery, "reason"> & { outcome: string }): Diagnosis {
  const why = d.reason ? ` (${d.reason})` : "";
  const known = (DIAGNOSES as Partial<Record<string, (why: string) => Diagnosis>>)[d.outcome];
  // An outcome newer than this board: say it as it is.
  return known ? known(why) : { words: `${d.outcome}${why}`, fix: null, severity: "info" };
}

/// One line on the receiver's state for the header strip.
export function intakeSummary(h: Health | null): { words: string; severity: Severity } {
  if (!h) return { words: "Receiver: unknown", severity: "info" };
  if (!h.intake.secret_configured) return { words: "Receiver: NO SECRET", severity: "bad" };
  if (h.store.status !== "ok") return { words: "Receiver: DATABASE DOWN", severity: "bad" };
  return { words: "Receiver OK", severity: "good" };
}

/// One printer's chip on the health strip: its state, how many jobs wait,
/// and a stale ticket that was not printed.
export function printerSummary(p: PrinterHealth): { words: string; severity: Severity } {
  const waiting = p.waiting > 0 ? ` (${p.waiting} waiting)` : "";
  const stale = p.last_dropped ? `: #${p.last_dropped.short_id ?? p.last_dropped.order_id ?? "?"} too old, not printed` : "";
  const role = p.backup ? (p.backup_on ? " BACKUP PRINTING" : " (backup)") : "";
  switch (p.state) {
    case "offline":
      return { words: `PRINTER ${p.name} OFFLINE${waiting}${stale}`, severity: "bad" };
    case "paper_out":
      return { words: `PRINTER ${p.name} OUT OF PAPER${waiting}${stale}`, severity: "bad" };
    case "cover_open":
      return { words: `PRINTER ${p.name} COVER OPEN${waiting}${stale}`, severity: "bad" };
    default:
      return { words: `Printer ${p.name}${role}${waiting}${stale}`, severity: stale || p.backup_on ? "bad" : p.state === "ready" ? "good" : "info" };
  }
}

export function tunnelSummary(h: Health | null): { words: string; severity: Severity } {
  const t = h?.tunnel;
  if (!t) return { words: "Tunnel: unknown", severity: "info" };
  switch (t.state) {
    case "off":
      return { words: "Tunnel off", severity: "info" };
    case "connected":
      return { words: t.url ? `Tunnel ${t.url}` : "Tunnel up", severity: "good" };
    case "starting":
      return { words: "Tunnel starting", severity: "info" };
    case "reconnecting":
      return { words: "TUNNEL RECONNECTING", severity: "bad" };
    case "failed":
      return { words: "TUNNEL FAILED", severity: "bad" };
    case "not_installed":
      return { words: "cloudflared NOT INSTALLED", severity: "bad" };
    default:
      return { words: `Tunnel ${t.state}`, severity: "info" };
  }
}

/// The header's "klikit" chip (null: no partner keys, so no chip). The
/// state is the server's; this only words it.
export function klikitSummary(h: Health | null, clock: (iso: string) => string): { words: string; severity: Severity } | null {
  const k = h?.klikit;
  if (!k || k.state === "off") return null;
  switch (k.state) {
    case "ok":
      return { words: "klikit ok", severity: "good" };
    case "waiting":
      return { words: `klikit: ${k.waiting} waiting`, severity: "info" };
    case "failing":
      return { words: k.failing_since ? `klikit failing since ${clock(k.failing_since)}` : "klikit failing", severity: "bad" };
    case "rejected":
      return { words: "klikit rejected our credentials", severity: "bad" };
    default:
      return { words: `klikit ${k.state}`, severity: "info" };
  }
}
