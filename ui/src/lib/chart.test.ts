import { describe, expect, it } from "vitest";
import type { DayReport } from "./api";
import { columnData, duration, hourlyData, hourlyLabels, minutes, percent } from "./chart";

const counts = (at: Record<number, number>) => Array.from({ length: 24 }, (_, h) => at[h] ?? 0);

const report = {
  date: "2026-11-30",
  orders_per_hour: {
    day: { date: "2026-11-30", counts: counts({ 12: 2, 13: 1 }) },
    weeks: [
      { date: "2026-11-23", counts: counts({ 12: 1 }) },
      { date: "2026-11-16", counts: counts({}) },
    ],
  },
} as unknown as DayReport;

describe("the Reports view's chart data", () => {
  it("puts the hours on x and the day before the earlier weeks", () => {
    const data = hourlyData(report);
    expect(data[0]).toHaveLength(24);
    expect(data[1][12], "the day's own counts come first, unchanged").toBe(2);
    expect(data[2][12], "then one week before").toBe(1);
    expect(hourlyLabels(report)).toEqual(["2026-11-30", "1 week before (2026-11-23)", "2 weeks before (2026-11-16)"]);
  });

  it("shows column times in minutes and keeps a missing figure missing", () => {
    const data = columnData([
      { column: "new", tickets: 4, median_seconds: 90, p90_seconds: 300 },
      { column: "ready", tickets: 0, median_seconds: null, p90_seconds: null },
    ]);
    expect(data[1]).toEqual([1.5, null]);
    expect(data[2], "no tickets is a gap, not a zero").toEqual([5, null]);
    expect(minutes(45)).toBe(0.8);
  });

  it("words durations and shares", () => {
    expect(duration(750)).toBe("12 min 30 s");
    expect(duration(600)).toBe("10 min");
    expect(duration(45)).toBe("45 s");
    expect(duration(null)).toBe("–");
    expect(percent(0.754)).toBe("75 %");
    expect(percent(null)).toBe("–");
  });
});
