import { describe, expect, it } from "vitest";
import { printerHealth } from "./fixtures.test-helpers";
import { blankPrinter, printerState, utcOffset } from "./printers";

describe("utcOffset", () => {
  it("writes the offset as the core reads it", () => {
    expect(utcOffset(420)).toBe("+07:00");
    expect(utcOffset(0)).toBe("+00:00");
    expect(utcOffset(-150)).toBe("-02:30");
    expect(utcOffset(345)).toBe("+05:45");
  });
});

describe("blankPrinter", () => {
  it("starts from the server's defaults and the screen's clock", () => {
    const p = blankPrinter(420);
    expect(p).toMatchObject({ width_mm: 80, mode: "text", print_on: "accepted", backup_after_seconds: 30, max_age_seconds: 900, utc_offset: "+07:00" });
    expect(p.backup_for, "a new printer is not a backup printer until someone says so").toBeUndefined();
  });
});

describe("printerState", () => {
  const h = printerHealth;

  it("says ready plainly", () => {
    expect(printerState(h())).toBe("Ready");
  });

  it("says what stops the printer, why, what waits and what was too old", () => {
    expect(printerState(h({ state: "paper_out", last_error: "the printer is out of paper", waiting: 2, dropped_total: 1 }))).toBe(
      "Out of paper (the printer is out of paper); 2 waiting; 1 too old, not printed",
    );
  });

  it("says whether a backup printer is printing", () => {
    expect(printerState(h({ backup: true }))).toBe("Ready; standing by as backup");
    expect(printerState(h({ backup: true, backup_on: true }))).toBe("Ready; backup printing now");
  });
});
