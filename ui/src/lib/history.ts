// How the History view words one log entry: pure, so it is tested without
// a browser. The entry's facts (kind, columns, codes) are the server's.

import type { LogEntry } from "./api";

const str = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);

/// "bump: new → preparing", "received", "klikit status 2: new → preparing".
export function describeEntry(e: LogEntry): string {
  const d = e.detail ?? {};
  const from = str(d.from);
  const to = str(d.to);
  const move = from && to && from !== to ? `: ${from} → ${to}` : to && !from ? `: → ${to}` : "";
  const words = e.kind.replaceAll("_", " ");
  const code = str(d.code);
  const reason = str(d.reason_code) ?? str(d.reason);
  if (e.kind === "status" && code) return `klikit status ${code}${move}`;
  if (reason) return `${words}${move} (${reason})`;
  return `${words}${move}`;
}
