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

import { CREATED, openBoard, order, until } from "../e2e/kds.mjs";
import { busyMeter, fmt, printCost, session, updateCost } from "./session.mjs";

await session(async ({ kds, chrome }) => {
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
  printCost("one ticket added at 300 tickets (state + render + layout, in page)", await updateCost(page));

  // (b) real deliveries at 300 tickets: main-thread time per update
  const busy = await busyMeter(chrome.context, page);
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
});
