import { describe, expect, it } from "vitest";
import { blankPrinter, utcOffset } from "./printers";

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
