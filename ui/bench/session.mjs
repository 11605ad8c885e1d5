// One benchmark session, shared by the board and stations benchmarks: the
// real `kds serve` and Debian's Chromium started together and stopped
// together whatever happens, the load average around the run (the machine
// is shared, so every figure is quoted with it), and the measurements both
// benchmarks take in the page. It prints figures; it asserts nothing.

import { loadavg } from "node:os";
import { browser, Kds, KDS } from "../e2e/kds.mjs";

/** The `p` quantile of `xs` (nearest rank). */
export const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

/** Median, p90, p99 and max of `xs` (milliseconds), and how many. */
export const fmt = (xs) =>
  `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p90 ${quantile(xs, 0.9).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");

/**
 * Starts kds (`KDS_BIN`, else the debug build) and a headless Chromium of
 * `width`×`height`, runs `body({ kds, chrome })`, then stops both.
 */
export async function session(body, { width = 1920, height = 1080 } = {}) {
  console.log(`kds: ${KDS}; load average at start: ${load()}`);
  const kds = await new Kds().start();
  const chrome = await browser({ width, height });
  try {
    await body({ kds, chrome });
  } finally {
    await chrome.close();
    await kds.close();
    console.log(`load average at end: ${load()}`);
  }
}

/**
 * In `page`, `n` times: one new ticket event (a copy of the first ticket
 * shown) applied and rendered synchronously (board state, Svelte flush,
 * forced style and layout), then removed again. Returns each repetition's
 * time and its parts, in milliseconds.
 */
export function updateCost(page, n = 200) {
  return page.evaluate((n) => {
    const screen = window.kds;
    const view = screen.board.current();
    const template = view.columns.flatMap((c) => c.tickets)[0];
    const times = [];
    const parts = { state: [], render: [], layout: [] };
    for (let i = 0; i < n; i++) {
      const t = { ...template, order_id: `bench-${i}`, short_id: `Z${i}`, column: "new", placed_at: new Date().toISOString() };
      const t0 = performance.now();
      screen.board.event({ seq: (view.seq ?? 0) + 1e9 + i, ticket: t }, Date.now());
      const t1 = performance.now();
      window.kdsFlush();
      const t2 = performance.now();
      void document.body.offsetHeight; // force style + layout
      const t3 = performance.now();
      times.push(t3 - t0);
      parts.state.push(t1 - t0);
      parts.render.push(t2 - t1);
      parts.layout.push(t3 - t2);
      screen.board.answer({ ...t, column: "done", updated_at: new Date(Date.now() + 1000).toISOString() }); // remove again
      window.kdsFlush();
    }
    return { times, parts };
  }, n);
}

/** Prints an `updateCost` result under `label`, with its parts. */
export function printCost(label, { times, parts }) {
  console.log(`${label}: ${fmt(times)}`);
  for (const [k, v] of Object.entries(parts)) console.log(`    of which ${k}: ${fmt(v)}`);
}

/** A meter of `page`'s main-thread busy time (Chrome's TaskDuration): call it for the total so far, in ms. */
export async function busyMeter(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  return async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value * 1000;
}
