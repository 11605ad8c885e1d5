import { describe, expect, it } from "vitest";
import { bindKey, DIGIT_PAUSE_MS, DigitBuffer, keyCommand, type KeyMap, legend, parseKeyMap, PRESETS } from "./keys";
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

describe("key maps", () => {
  const press = (key: string, map: KeyMap) => keyCommand({ key, ctrlKey: false, metaKey: false, altKey: false }, map);

  it("has a 10-key preset: digits select, Enter bumps, nothing else", () => {
    const map = PRESETS.bump10.map;
    expect(press("7", map)).toEqual({ kind: "digit", digit: "7" });
    expect(press("Enter", map)).toEqual({ kind: "bump" });
    expect(press("Backspace", map), "a 10-key bar has no recall key").toBeNull();
    expect(press("a", map)).toBeNull();
  });

  it("has a 20-key preset whose second row recalls, shows the all-day counts, marks rush and turns the page", () => {
    const map = PRESETS.bump20.map;
    expect(press("Enter", map)).toEqual({ kind: "bump" });
    expect(["q", "w", "e", "r"].map((k) => press(k, map))).toEqual([{ kind: "recall" }, { kind: "allday" }, { kind: "rush" }, { kind: "page" }]);
    expect(press("Q", map), "letters match in either case").toEqual({ kind: "recall" });
    expect(press("o", map)).toEqual({ kind: "move", direction: "up" });
  });

  it("binds and unbinds keys, never the digits, and turns custom", () => {
    let map = bindKey(PRESETS.bump10.map, "R", "recall");
    expect(map.preset).toBe("custom");
    expect(press("r", map)).toEqual({ kind: "recall" });
    map = bindKey(map, "Enter", null);
    expect(press("Enter", map), "an unbound key does nothing").toBeNull();
    expect(bindKey(map, "5", "bump"), "digits always select").toBe(map);
    expect(PRESETS.bump10.map.keys.r, "a preset is never changed by an edit").toBeUndefined();
  });

  it("reads a stored map back, and falls back to the keyboard for anything else", () => {
    const map = bindKey(PRESETS.bump20.map, "x", "reprint");
    expect(parseKeyMap(JSON.stringify(map))).toEqual(map);
    expect(parseKeyMap("bump10"), "a preset by name (as in the address)").toEqual(PRESETS.bump10.map);
    expect(parseKeyMap(null)).toEqual(PRESETS.keyboard.map);
    expect(parseKeyMap("{not json")).toEqual(PRESETS.keyboard.map);
    expect(parseKeyMap(JSON.stringify({ keys: { Enter: "bump", q: "explode", 3: "bump" } })), "unknown commands and digit keys are dropped").toEqual({ preset: "custom", keys: { Enter: "bump" } });
  });

  it("builds the legend from the map, so it shows what the keys really do", () => {
    expect(legend(PRESETS.bump10.map)).toEqual([
      { words: "select", keys: ["1–9"] },
      { words: "bump", keys: ["Enter"] },
    ]);
    const keyboard = legend(PRESETS.keyboard.map);
    expect(keyboard.find((r) => r.words === "move")?.keys, "the four moves show as one entry").toEqual(["←", "↑", "↓", "→"]);
    expect(keyboard.find((r) => r.words === "bump")?.keys).toEqual(["Enter", "Space"]);
    expect(legend(bindKey(PRESETS.bump10.map, "Backspace", "recall")).map((r) => r.words)).toEqual(["select", "bump", "recall"]);
    expect(legend(PRESETS.bump20.map, ["rush"]).map((r) => r.words), "a screen that cannot mark rush does not offer it").not.toContain("rush");
  });
});
