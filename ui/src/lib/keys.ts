// Bump-bar keys: what a key press means on the board. Owns the key map
// (which key does what), its presets for a PC keyboard and the common 10-
// and 20-key bump bars, reading one back from storage, and the legend the
// board shows. Pure: no DOM, no storage access, time passed in.

/// What a key can do on the board.
export const COMMANDS = ["bump", "recall", "acknowledge", "reprint", "undo", "clear", "left", "right", "up", "down", "allday", "rush", "page"] as const;
export type Command = (typeof COMMANDS)[number];

export type KeyCommand =
  | { kind: "digit"; digit: string }
  | { kind: "move"; direction: "left" | "right" | "up" | "down" }
  | { kind: Exclude<Command, "left" | "right" | "up" | "down"> };

/// Which key does what. Keys are `KeyboardEvent.key` values, single
/// letters in lower case. Digits always select a ticket by its number.
export interface KeyMap {
  preset: PresetName | "custom";
  keys: Record<string, Command>;
}

export type PresetName = "keyboard" | "bump10" | "bump20";

/// The words for each command, in the legend and the editor.
export const COMMAND_WORDS: Record<Command, string> = {
  bump: "bump",
  recall: "recall",
  acknowledge: "seen / remove",
  reprint: "reprint",
  undo: "undo",
  clear: "clear",
  left: "left",
  right: "right",
  up: "up",
  down: "down",
  allday: "all-day",
  rush: "rush",
  page: "next page",
};

export const PRESETS: Record<PresetName, { title: string; map: KeyMap }> = {
  keyboard: {
    title: "PC keyboard",
    map: {
      preset: "keyboard",
      keys: {
        ArrowLeft: "left",
        ArrowUp: "up",
        ArrowDown: "down",
        ArrowRight: "right",
        Enter: "bump",
        " ": "bump",
        Backspace: "recall",
        a: "acknowledge",
        p: "reprint",
        u: "undo",
        Escape: "clear",
        PageDown: "page",
        d: "allday",
        r: "rush",
      },
    },
  },
  // A 10-key bar: the digits select, Enter bumps; nothing else.
  bump10: { title: "10-key bump bar", map: { preset: "bump10", keys: { Enter: "bump" } } },
  // A 20-key bar: the first row as the 10-key bar, the second row (as the
  // bars ship, letters q to p) recall, all-day, rush, page, then the rest.
  bump20: {
    title: "20-key bump bar",
    map: {
      preset: "bump20",
      keys: { Enter: "bump", q: "recall", w: "allday", e: "rush", r: "page", t: "acknowledge", y: "undo", u: "left", i: "right", o: "up", p: "down" },
    },
  },
};

/// The key a map is indexed by: single characters in lower case.
export function keyName(key: string): string {
  return key.length === 1 ? key.toLowerCase() : key;
}

/// The command for a key press under `map`, or null (browser shortcuts are
/// left alone; Ctrl+Z always undoes).
export function keyCommand(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey">, map: KeyMap = PRESETS.keyboard.map): KeyCommand | null {
  if (e.altKey || e.metaKey) return null;
  if (e.ctrlKey) return e.key.toLowerCase() === "z" ? { kind: "undo" } : null;
  if (/^[0-9]$/.test(e.key)) return { kind: "digit", digit: e.key };
  const command = map.keys[keyName(e.key)];
  if (!command) return null;
  if (command === "left" || command === "right" || command === "up" || command === "down") return { kind: "move", direction: command };
  return { kind: command };
}

/// A key map read back from storage (or the address): the map, or the
/// keyboard preset when it is missing or not a map. Unknown commands and
/// digit keys (they always select) are dropped.
export function parseKeyMap(text: string | null | undefined): KeyMap {
  if (!text) return PRESETS.keyboard.map;
  if (text in PRESETS) return PRESETS[text as PresetName].map;
  try {
    const raw = JSON.parse(text) as { preset?: unknown; keys?: unknown };
    if (!raw || typeof raw !== "object" || !raw.keys || typeof raw.keys !== "object") return PRESETS.keyboard.map;
    const keys: Record<string, Command> = {};
    for (const [key, command] of Object.entries(raw.keys as Record<string, unknown>)) {
      if (typeof command === "string" && (COMMANDS as readonly string[]).includes(command) && key !== "" && !/^[0-9]$/.test(key)) keys[keyName(key)] = command as Command;
    }
    const preset = typeof raw.preset === "string" && raw.preset in PRESETS ? (raw.preset as PresetName) : "custom";
    return { preset, keys };
  } catch {
    return PRESETS.keyboard.map;
  }
}

/// `map` with `key` doing `command` (or nothing, with null): the map turns
/// custom. Digits always select, so they cannot be bound.
export function bindKey(map: KeyMap, key: string, command: Command | null): KeyMap {
  const name = keyName(key);
  if (/^[0-9]$/.test(name)) return map;
  const keys = { ...map.keys };
  if (command) keys[name] = command;
  else delete keys[name];
  return { preset: "custom", keys };
}

const KEY_LABELS: Record<string, string> = {
  ArrowLeft: "←",
  ArrowRight: "→",
  ArrowUp: "↑",
  ArrowDown: "↓",
  Backspace: "⌫",
  Escape: "Esc",
  " ": "Space",
  PageDown: "PgDn",
  PageUp: "PgUp",
};

/// How a key is written on the legend: arrows as arrows, letters in capitals.
export function keyLabel(key: string): string {
  return KEY_LABELS[key] ?? (key.length === 1 ? key.toUpperCase() : key);
}

const MOVES: readonly Command[] = ["left", "up", "down", "right"];

/// The legend along the bottom of the board: what each bound command is,
/// with its keys, in `COMMANDS` order (the four moves as one "move"); the
/// digits first. Commands in `hide` (ones this screen cannot do) are left out.
export function legend(map: KeyMap, hide: readonly Command[] = []): { words: string; keys: string[] }[] {
  const keysFor = (command: Command) => Object.keys(map.keys).filter((k) => map.keys[k] === command).map(keyLabel);
  const rows: { words: string; keys: string[] }[] = [{ words: "select", keys: ["1–9"] }];
  for (const command of COMMANDS) {
    if ((MOVES.includes(command) && command !== "left") || hide.includes(command)) continue;
    const keys = command === "left" ? MOVES.flatMap(keysFor) : keysFor(command);
    if (keys.length) rows.push({ words: command === "left" ? "move" : COMMAND_WORDS[command], keys });
  }
  return rows;
}

/// How long after a digit the next one still adds to the same number.
export const DIGIT_PAUSE_MS = 1200;

/// Multi-digit selection on a bump bar: `1` then `2` within the pause is
/// ticket 12; a digit that makes no ticket starts a new number. Pure: time
/// is passed in.
export class DigitBuffer {
  private digits = "";
  private at = -Infinity;

  /// The ticket number to select after `digit` pressed at `now`, or null;
  /// `exists(n)` says whether there is a ticket `n` (1-based).
  push(digit: string, now: number, exists: (n: number) => boolean): number | null {
    if (now - this.at >= DIGIT_PAUSE_MS) this.digits = "";
    this.at = now;
    this.digits += digit;
    if (exists(Number(this.digits))) return Number(this.digits);
    this.digits = digit;
    return exists(Number(digit)) ? Number(digit) : null;
  }
}
