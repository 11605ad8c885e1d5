// The stations benchmark (not a test: it prints figures, it asserts nothing).
//
// 300 open tickets across three stations (grill: Mains, drinks: Drinks,
// kitchen: the rest), each with one line for each, and three screens open at
// once (grill, drinks, expo) against the real `kds serve`:
//
// 1. Update cost per screen: one ticket event applied and rendered
//    synchronously in that screen's page (state + Svelte render + forced
//    layout), 200 repetitions each. Target: p99 under 16 ms (a frame).
// 2. A bump on one screen seen on another over the live stream: the grill
//    screen bumps its lines of a ticket (its own POST, as a tap does); the
//    time until the expo's DOM shows that ticket's grill line done. 100
//    tickets, one at a time. Target: p99 under 50 ms.
//
// Run: cargo build && (cd ui && npm run build && node bench/stations.mjs)

import { browser, CREATED, Kds, openScreen, order, until } from "../e2e/kds.mjs";

const TICKETS = 300;
const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const fmt = (xs) =>
  `p50 ${q(xs, 0.5).toFixed(1)} ms, p90 ${q(xs, 0.9).toFixed(1)} ms, p99 ${q(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const kds = await new Kds().start();
const chrome = await browser({ width: 1920, height: 1080 });
try {
  const put = await kds.api("/api/stations", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ stations: [{ name: "grill", categories: ["Mains"] }, { name: "drinks", categories: ["Drinks"] }] }),
  });
  if (put.status !== 200) throw new Error(`station setup refused: ${JSON.stringify(put.body)}`);
  const ids = [];
  for (let i = 0; i < TICKETS; i++) {
    const body = order("01-order-created-single.json", {
      status: 1,
      minutesAgo: 1 + (i % 30),
      edit: (o) => {
        o.cart_v2 = [
          { name: `Satay ${i % 7}`, quantity: 1 + (i % 3), klikit_category_name: "Mains" },
          { name: `Es Teh ${i % 5}`, quantity: 1, klikit_category_name: "Drinks" },
          { name: "Krupuk", quantity: 1 },
        ];
        delete o.cart;
      },
    });
    ids.push(String(body.orders[0].id));
    const answer = await kds.post(CREATED, body);
    if (answer.status !== 200) throw new Error(`delivery refused: ${answer.status} ${answer.body}`);
  }
  const screens = {};
  for (const name of ["grill", "drinks", "expo"]) {
    screens[name] = (await openScreen(chrome.context, kds, `?screen=${name}`)).page;
    await until(`${TICKETS} tickets on ${name}`, () => screens[name].evaluate((n) => document.querySelectorAll("[data-testid=ticket]").length === n, TICKETS), 60_000, 100);
    await screens[name].evaluate(() => window.kds.board.touched());
  }
  console.log(`${TICKETS} open tickets, 3 lines each (grill, drinks, kitchen); screens: grill, drinks, expo`);

  // ---- 1. update cost per screen ----
  for (const [name, page] of Object.entries(screens)) {
    await page.bringToFront();
    const times = await page.evaluate(() => {
      const screen = window.kds;
      const view = screen.board.current();
      const template = view.columns.flatMap((c) => c.tickets)[0];
      const times = [];
      for (let i = 0; i < 200; i++) {
        const t = { ...template, order_id: `bench-${i}`, short_id: `Z${i}`, column: "new", placed_at: new Date().toISOString() };
        const t0 = performance.now();
        screen.board.event({ seq: (view.seq ?? 0) + 1e9 + i, ticket: t }, Date.now());
        window.kdsFlush();
        void document.body.offsetHeight; // force style + layout
        times.push(performance.now() - t0);
        screen.board.answer({ ...t, column: "done", updated_at: new Date(Date.now() + 1000).toISOString() });
        window.kdsFlush();
      }
      return times;
    });
    console.log(`update cost on the ${name} screen at ${TICKETS} tickets (state + render + layout): ${fmt(times)}`);
  }

  // ---- 3 (first, while nothing else moves). the timers at rest ----
  // Tickets are 1 to 30 minutes old: a timer shows seconds only in its
  // first 5 minutes, so most change once a minute. Counted on the expo for
  // 5 s: timer text changes, and main-thread time per second.
  {
    const page = screens.expo;
    await page.bringToFront();
    const cdp = await chrome.context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const busy = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value * 1000;
    const b0 = await busy();
    const changes = await page.evaluate(async () => {
      let n = 0;
      const observer = new MutationObserver((records) => {
        for (const r of records) if (r.target.parentElement?.classList.contains("timer")) n++;
      });
      observer.observe(document.body, { subtree: true, characterData: true });
      await new Promise((r) => setTimeout(r, 5000));
      observer.disconnect();
      return n;
    });
    const per = (await busy()) - b0;
    const young = await page.evaluate(() => [...document.querySelectorAll("[data-testid=timer]")].filter((e) => /:/.test(e.textContent ?? "")).length);
    console.log(`timers at rest on the expo (${TICKETS} tickets, ${young} under 5 minutes): ${(changes / 5).toFixed(0)} timer text changes per second, main-thread ${(per / 5).toFixed(1)} ms per second`);
  }

  // ---- 2. a grill bump seen at the expo ----
  await screens.expo.evaluate(() => {
    const seen = (window.__done = new Map());
    new MutationObserver((records) => {
      const at = Date.now();
      for (const r of records) {
        const el = r.target;
        if (el instanceof HTMLElement && el.dataset.station === "grill" && el.dataset.done === "true") {
          const id = el.closest("[data-order-id]")?.dataset.orderId;
          if (id && !seen.has(id)) seen.set(id, at);
        }
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-done"] });
  });
  const lags = [];
  for (const id of ids.slice(0, 100)) {
    const started = await screens.grill.evaluate(async (id) => {
      const t = window.kds.board.get(id);
      const t0 = Date.now();
      await window.kds.bump(t);
      return t0;
    }, id);
    const seenAt = await until(`expo sees ${id} done at the grill`, () => screens.expo.evaluate((id) => window.__done.get(id) ?? null, id), 10_000, 2);
    lags.push(seenAt - started);
  }
  console.log(`grill bump -> expo shows the line done (POST + commit + live stream + render): ${fmt(lags)}`);
} finally {
  await chrome.close();
  await kds.close();
}
