import { describe, expect, it } from "vitest";
import { readDisplay, storageKey, writeDisplay } from "./display";
import { bindKey, PRESETS } from "./keys";

describe("a screen's display", () => {
  it("defaults to columns at scale 1 with the keyboard keys", () => {
    expect(readDisplay("", null)).toEqual({ scale: 1, layout: "columns", keys: PRESETS.keyboard.map, brand: null });
  });

  it("reads the address, which wins over what was stored", () => {
    const stored = writeDisplay({ scale: 0.85, layout: "columns", keys: PRESETS.bump20.map, brand: 2041 });
    expect(readDisplay("?scale=1.2&layout=tiles&keys=bump10&brand=777", stored)).toEqual({ scale: 1.2, layout: "tiles", keys: PRESETS.bump10.map, brand: 777 });
    expect(readDisplay("?layout=tiles", stored), "what the address leaves out comes from storage").toEqual({ scale: 0.85, layout: "tiles", keys: PRESETS.bump20.map, brand: 2041 });
  });

  it("round-trips an edited key map through storage", () => {
    const d = { scale: 1.4 as const, layout: "tiles" as const, keys: bindKey(PRESETS.bump10.map, "x", "recall"), brand: null };
    expect(readDisplay("", writeDisplay(d))).toEqual(d);
  });

  it("ignores values that are not one of the choices", () => {
    expect(readDisplay("?scale=3&layout=grid&brand=sushi", "not json")).toEqual({ scale: 1, layout: "columns", keys: PRESETS.keyboard.map, brand: null });
    expect(readDisplay("?scale=0.85", null).scale).toBe(0.85);
  });

  it("keeps each screen's choices apart", () => {
    expect(storageKey("grill")).not.toBe(storageKey(null));
  });
});
