// What the Reports view draws, as uPlot options and data: pure functions of
// a `DayReport`, so they are tested without a canvas. The figures come from
// the server (`src/reports.rs`); nothing here recomputes them.

import type uPlot from "uplot";
import type { ColumnTime, DayReport } from "./api";

/// A CSS token's value (`--good` → its colour), for the canvas.
export function token(name: string, fallback = "gray"): string {
  if (typeof document === "undefined") return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/// `x` is the hour (0 to 23); the day first, then each earlier week.
export function hourlyData(r: DayReport): uPlot.AlignedData {
  const hours = Array.from({ length: 24 }, (_, h) => h);
  return [hours, r.orders_per_hour.day.counts, ...r.orders_per_hour.weeks.map((w) => w.counts)];
}

/// Series labels: the day, then "1 week before" and so on with their dates.
export function hourlyLabels(r: DayReport): string[] {
  return [r.date, ...r.orders_per_hour.weeks.map((w, i) => `${i + 1} week${i ? "s" : ""} before (${w.date})`)];
}

/// Minutes, one decimal, or null where the server had no figure.
export const minutes = (seconds: number | null): number | null => (seconds === null ? null : Math.round(seconds / 6) / 10);

/// `x` is the column's index; the median and the 90th percentile in minutes.
export function columnData(columns: ColumnTime[]): uPlot.AlignedData {
  return [columns.map((_, i) => i), columns.map((c) => minutes(c.median_seconds)), columns.map((c) => minutes(c.p90_seconds))];
}

/// "12 min 30 s", "45 s", "–".
export function duration(seconds: number | null): string {
  if (seconds === null) return "–";
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m ? (s ? `${m} min ${s} s` : `${m} min`) : `${s} s`;
}

/// "25 %", or "–" without tickets.
export const percent = (share: number | null): string => (share === null ? "–" : `${Math.round(share * 100)} %`);
