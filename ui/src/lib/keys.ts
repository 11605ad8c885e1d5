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
