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
//    time until the expo's DOM shows that ticket's grill line done (the
//    expo page stamps it with a MutationObserver and answers one waiting
//    call, so no polling loads the page meanwhile). 100 tickets, one at a
//    time. Target: p99 under 50 ms.
// 3. The timers at rest on the expo: text changes and main-thread time per
//    second.
//
// Run: cargo build --release --bin kds && (cd ui && KDS_BIN=../target/release/kds node bench/stations.mjs)
// (KDS_BIN unset: the debug build, target/debug/kds.)

import { CREATED, openScreen, order, until } from "../e2e/kds.mjs";
import { busyMeter, fmt, printCost, session, updateCost } from "./session.mjs";

const TICKETS = 300;

await session(async ({ kds, chrome }) => {
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
    printCost(`update cost on the ${name} screen at ${TICKETS} tickets (state + render + layout)`, await updateCost(page));
  }

  // ---- 3 (first, while nothing else moves). the timers at rest ----
  // Tickets are 1 to 30 minutes old; timers read in minutes, so each
  // changes once a minute. Counted on the expo for
  // 5 s: timer text changes, and main-thread time per second.
  {
    const page = screens.expo;
    await page.bringToFront();
    const busy = await busyMeter(chrome.context, page);
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
    console.log(`timers at rest on the expo (${TICKETS} tickets): ${(changes / 5).toFixed(0)} timer text changes per second, main-thread ${(per / 5).toFixed(1)} ms per second`);
  }

  // ---- 2. a grill bump seen at the expo ----
  await screens.expo.evaluate(() => {
    const seen = new Map();
    const waiting = new Map();
    window.__doneAt = (id) => seen.get(id) ?? new Promise((r) => waiting.set(id, r));
    new MutationObserver((records) => {
      const at = Date.now();
      for (const r of records) {
        const el = r.target;
        if (el instanceof HTMLElement && el.dataset.station === "grill" && el.dataset.done === "true") {
          const id = el.closest("[data-order-id]")?.dataset.orderId;
          if (id && !seen.has(id)) {
            seen.set(id, at);
            waiting.get(id)?.(at);
          }
        }
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-done"] });
  });
  const lags = [];
  for (const id of ids.slice(0, 100)) {
    const seen = screens.expo.evaluate((id) => window.__doneAt(id), id);
    const started = await screens.grill.evaluate(async (id) => {
      const t = window.kds.board.get(id);
      const t0 = Date.now();
      await window.kds.bump(t);
      return t0;
    }, id);
    const seenAt = await Promise.race([seen, new Promise((_, fail) => setTimeout(() => fail(new Error(`the expo never showed ${id} done at the grill`)), 10_000))]);
    lags.push(seenAt - started);
  }
  console.log(`grill bump -> expo shows the line done (POST + commit + live stream + render): ${fmt(lags)}`);
});
