import { describe, expect, it } from "vitest";
import { DIGIT_PAUSE_MS, DigitBuffer, keyCommand } from "./keys";
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

describe("multi-digit selection", () => {
  const upTo = (count: number) => (n: number) => n >= 1 && n <= count;

  it("joins digits pressed within the pause into one number", () => {
    const b = new DigitBuffer();
    expect(b.push("1", 0, upTo(20))).toBe(1);
    expect(b.push("2", 500, upTo(20)), "1 then 2 is ticket 12 when there is one").toBe(12);
  });

  it("starts a new number after the pause, or when the joined one is no ticket", () => {
    const b = new DigitBuffer();
    b.push("1", 0, upTo(20));
    expect(b.push("2", DIGIT_PAUSE_MS, upTo(20)), "after the pause a digit stands alone").toBe(2);
    expect(b.push("5", DIGIT_PAUSE_MS + 100, upTo(20)), "25 is no ticket: 5 is").toBe(5);
    expect(b.push("0", DIGIT_PAUSE_MS + 200, upTo(9)), "50 is no ticket and 0 never is").toBeNull();
    expect(b.push("3", DIGIT_PAUSE_MS + 300, upTo(9)), "after a miss the buffer holds only the last digit").toBe(3);
  });
});
