// Pairing a tablet: the board's address with the API token in its fragment
// (`http://192.168.1.20:8787/#token=...`), which a tablet opens from a QR
// code instead of someone typing the token. Pure: the page's address and
// the token are passed in. The fragment never reaches a server or a log.

/// Hosts that only this machine can reach.
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

/// The address a tablet opens to join, or why there is none: a board
/// opened on loopback cannot know the address the network reaches it at,
/// and without a token there is nothing to pair (kds listens on loopback).
export function pairingAddress(origin: string, host: string, token: string | null): { url: string } | { reason: string } {
  if (LOOPBACK.test(host)) return { reason: "Open Settings from a screen on the kitchen network (the address tablets use) to show the pairing code here." };
  if (!token) return { reason: "kds listens on this machine only: nothing to pair. Set KDS_API_TOKEN and listen on the network to add tablets." };
  return { url: `${origin}/#token=${encodeURIComponent(token)}` };
}
