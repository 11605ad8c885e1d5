// Bump-bar keys: what a key press means on the board.

export type KeyCommand =
  | { kind: "digit"; digit: string }
  | { kind: "move"; direction: "left" | "right" | "up" | "down" }
  | { kind: "bump" }
  | { kind: "recall" }
  | { kind: "acknowledge" }
  | { kind: "reprint" }
  | { kind: "undo" }
  | { kind: "clear" };

export function keyCommand(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey">): KeyCommand | null {
  if (e.altKey || e.metaKey) return null;
  if (e.ctrlKey) return e.key.toLowerCase() === "z" ? { kind: "undo" } : null;
  if (/^[0-9]$/.test(e.key)) return { kind: "digit", digit: e.key };
  switch (e.key) {
    case "ArrowLeft":
      return { kind: "move", direction: "left" };
    case "ArrowRight":
      return { kind: "move", direction: "right" };
    case "ArrowUp":
      return { kind: "move", direction: "up" };
    case "ArrowDown":
      return { kind: "move", direction: "down" };
    case "Enter":
    case " ":
      return { kind: "bump" };
    case "Backspace":
      return { kind: "recall" };
    case "a":
    case "A":
      return { kind: "acknowledge" };
    case "p":
    case "P":
      return { kind: "reprint" };
    case "u":
    case "U":
      return { kind: "undo" };
    case "Escape":
      return { kind: "clear" };
    default:
      return null;
  }
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
