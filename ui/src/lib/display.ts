// How this screen shows the board: its font scale, its layout (columns or
// tiles), its bump-bar key map and its brand filter. Read from the address
// first (a wall tablet keeps `?scale=1.2&layout=tiles&keys=bump10&brand=777`
// across reloads), then
// from this browser's storage (what Settings saved), then the defaults.
// Pure apart from the storage it is handed; never fetches.

import { parseKeyMap, type KeyMap } from "./keys";

export const SCALES = [0.85, 1, 1.2, 1.4] as const;
export type Scale = (typeof SCALES)[number];
export const LAYOUTS = ["columns", "tiles"] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface Display {
  scale: Scale;
  layout: Layout;
  keys: KeyMap;
  /// Show only this brand's tickets (a klikit brand id); null: every brand.
  brand: number | null;
}

/// Where Settings keeps this screen's choices (one entry per screen name,
/// so two tabs showing two stations keep their own).
export function storageKey(screen: string | null): string {
  return `kds.display.${screen ?? "all"}`;
}

function scale(v: unknown): Scale | null {
  const n = typeof v === "string" ? Number(v) : v;
  return SCALES.find((s) => s === n) ?? null;
}

function brand(v: unknown): number | null {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) ? n : null;
}

function layout(v: unknown): Layout | null {
  return LAYOUTS.find((l) => l === v) ?? null;
}

/// This screen's display: the address's `scale`, `layout`, `keys` and
/// `brand` win, then what was stored, then 1, columns, the keyboard preset
/// and every brand. Values
/// that are not one of the choices are ignored.
export function readDisplay(search: string, stored: string | null): Display {
  const q = new URLSearchParams(search);
  let saved: { scale?: unknown; layout?: unknown; keys?: unknown; brand?: unknown } = {};
  try {
    saved = stored ? (JSON.parse(stored) ?? {}) : {};
  } catch {
    saved = {};
  }
  return {
    scale: scale(q.get("scale")) ?? scale(saved.scale) ?? 1,
    layout: layout(q.get("layout")) ?? layout(saved.layout) ?? "columns",
    keys: parseKeyMap(q.get("keys") ?? (saved.keys ? JSON.stringify(saved.keys) : null)),
    brand: q.has("brand") ? brand(q.get("brand")) : brand(saved.brand),
  };
}

/// What Settings stores for this screen.
export function writeDisplay(d: Display): string {
  return JSON.stringify(d);
}
