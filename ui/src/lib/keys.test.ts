import { describe, expect, it } from "vitest";
import { keyCommand } from "./keys";
import { parseStatusNames, printStatusNames } from "./settings";

const k = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) =>
  keyCommand({ key, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe("bump-bar keys", () => {
  it("maps the documented keys", () => {
    expect(k("3")).toEqual({ kind: "digit", digit: "3" });
    expect(k("ArrowLeft")).toEqual({ kind: "move", direction: "left" });
    expect(k("Enter")).toEqual({ kind: "bump" });
    expect(k(" ")).toEqual({ kind: "bump" });
    expect(k("Backspace")).toEqual({ kind: "recall" });
    expect(k("Escape")).toEqual({ kind: "clear" });
    expect(k("a")).toEqual({ kind: "acknowledge" });
    expect(k("p")).toEqual({ kind: "reprint" });
    expect(k("z", { ctrlKey: true })).toEqual({ kind: "undo" });
  });

  it("leaves browser shortcuts alone", () => {
    expect(k("r", { ctrlKey: true })).toBeNull();
    expect(k("1", { altKey: true })).toBeNull();
    expect(k("q")).toBeNull();
  });
});

describe("status name overrides", () => {
  it("round-trips and normalises", () => {
    const parsed = parseStatusNames("5 = ready\n\n 12: on hold ");
    expect(parsed).toEqual({ names: { "5": "READY", "12": "ON_HOLD" } });
    if ("names" in parsed) expect(printStatusNames(parsed.names)).toBe("5 = READY\n12 = ON_HOLD");
  });

  it("names the bad line", () => {
    expect(parseStatusNames("5 = READY\nfive = X")).toEqual({ error: 'Line 2: write it like "5 = READY"' });
  });
});
