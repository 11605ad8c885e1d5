// The board benchmark (not a test: it prints figures, it asserts nothing).
//
// 1. Latency: 200 deliveries, one at a time, each posted signed to the real
//    `kds serve`; for each, the time from its 2xx to its card being in the
//    board's DOM (a MutationObserver stamps arrivals). Prints p50/p90/p99/max.
// 2. Update cost at 300 tickets: with 300 tickets on the board,
//    (a) one ticket event applied and rendered synchronously in the page
//        (state update + Svelte render + forced layout), 200 repetitions;
//    (b) real deliveries: main-thread time (Chrome's TaskDuration) spent
//        between posting one delivery and its card being laid out.
//
// Run: cargo build && (cd ui && npm run build && npm run bench)

import { browser, CREATED, Kds, openBoard, order, until } from "../e2e/kds.mjs";

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const fmt = (xs) =>
  `p50 ${q(xs, 0.5).toFixed(1)} ms, p90 ${q(xs, 0.9).toFixed(1)} ms, p99 ${q(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const kds = await new Kds().start();
const chrome = await browser({ width: 1920, height: 1080 });
try {
  const { page } = await openBoard(chrome.context, kds);
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 15_000 });
  await page.evaluate(() => {
    const seen = (window.__seen = new Map());
    new MutationObserver((records) => {
      const at = performance.timeOrigin + performance.now();
      for (const r of records)
        for (const n of r.addedNodes) {
          if (!(n instanceof HTMLElement)) continue;
          for (const el of [n, ...n.querySelectorAll("[data-order-id]")]) {
            const id = el.dataset?.orderId;
            if (id && !seen.has(id)) seen.set(id, at);
          }
        }
    }).observe(document.body, { childList: true, subtree: true });
  });

  // ---- 1. delivery 2xx -> card in the DOM ----
  const latencies = [];
  for (let i = 0; i < 200; i++) {
    const body = order(i % 2 ? "01-order-created-single.json" : "03-order-cart-updated.json", { status: 1 });
    const id = String(body.orders[0].id);
    const raw = JSON.stringify(body);
    const answer = await kds.post(CREATED, raw);
    const acked = Date.now();
    if (answer.status !== 200) throw new Error(`delivery refused: ${answer.status} ${answer.body}`);
    const seenAt = await until(`card ${id}`, () => page.evaluate((id) => window.__seen.get(id) ?? null, id), 10_000, 2);
    latencies.push(seenAt - acked);
  }
  console.log(`delivery 2xx -> card in DOM, 200 deliveries: ${fmt(latencies)}`);

  // ---- 2. fill to 300 ----
  for (let i = 0; i < 100; i++) await kds.post(CREATED, order("01-order-created-single.json", { status: 2 }));
  await until("300 tickets on the board", () => page.evaluate(() => document.querySelectorAll("[data-testid=ticket]").length === 300), 30_000);

  // (a) one ticket event, rendered synchronously, at 300 tickets
  const synthetic = await page.evaluate(() => {
    const screen = window.kds;
    const view = screen.board.current();
    const template = view.columns.flatMap((c) => c.tickets)[0];
    const times = [];
    const parts = { state: [], render: [], layout: [] };
    for (let i = 0; i < 200; i++) {
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
  });
  console.log(`one ticket added at 300 tickets (state + render + layout, in page): ${fmt(synthetic.times)}`);
  for (const [k, v] of Object.entries(synthetic.parts)) console.log(`    of which ${k}: ${fmt(v)}`);

  // (b) real deliveries at 300 tickets: main-thread time per update
  const cdp = await chrome.context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const busy = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value * 1000;
  await page.evaluate(() => window.kds.board.touched()); // no flashing cards: the steady state
  await page.waitForTimeout(500);
  const idle = [];
  for (let i = 0; i < 5; i++) {
    const b0 = await busy();
    await page.waitForTimeout(1000);
    idle.push((await busy()) - b0);
  }
  const real = [];
  for (let i = 0; i < 30; i++) {
    const body = order("01-order-created-single.json", { status: 1 });
    const id = String(body.orders[0].id);
    const b0 = await busy();
    await kds.post(CREATED, body);
    await until(`card ${id}`, () => page.evaluate((id) => window.__seen.has(id), id), 10_000, 2);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    real.push((await busy()) - b0);
    await page.evaluate(() => window.kds.board.touched());
  }
  console.log(`main-thread time per real delivery at 300+ tickets (incl. polling overhead): ${fmt(real)}`);
  console.log(`main-thread time per idle second at 300 tickets (timers ticking): ${fmt(idle)}`);
} finally {
  await chrome.close();
  await kds.close();
}
