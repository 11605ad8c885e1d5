// Pairing a tablet: one of the board's network addresses (from
// `GET /api/pairing`, which the server reads off its interfaces) with the
// API token in its fragment (`http://192.168.1.20:8787/#token=...`), which
// a tablet opens from a QR code instead of someone typing the token. Pure:
// the server's answer, the page's origin and the token are passed in. The
// fragment never reaches a server or a log.

import type { Pairing } from "./api";

/// The address a tablet opens: `address` with the token in its fragment.
export function pairingUrl(address: string, token: string): string {
  return `${address}/#token=${encodeURIComponent(token)}`;
}

/// What Settings can offer: the addresses, the one shown first (the page's
/// own when a screen on the network opened it, else the server's likeliest),
/// or why there is no code (the server says how to change that).
export function pairingChoice(answer: Pairing, origin: string, token: string | null): { addresses: string[]; first: string } | { reason: string } {
  if (answer.addresses.length === 0) return { reason: answer.hint ?? "kds gave no address a tablet could use." };
  if (!token) return { reason: "This screen has no API token to pass on: open it once with the token in its address (…/#token=…), then pair from here." };
  return { addresses: answer.addresses, first: answer.addresses.includes(origin) ? origin : answer.addresses[0] };
}
