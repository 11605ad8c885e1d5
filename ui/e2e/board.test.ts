// What a cook sees, checked in a real browser against the real kds: orders
// are posted signed by `kds send`; the board is read from the DOM.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { deliveryProblems, healthProblems, ticketProblems } from "../src/lib/api";
import { browser, CART, CREATED, dropLine, editLine, Kds, later, openBoard, order, STATUS, SECRET, until } from "./kds.mjs";

let kds: Kds;
let chrome: Awaited<ReturnType<typeof browser>>;
let page: Page;
let problems: string[];

/// A locator's rendered text, once it has been laid out. Cards use
/// content-visibility, so innerText is "" until their first layout; a single
/// read right after a card appears can see nothing (1 CI run in 3).
async function visibleText(l: Locator): Promise<string> {
  let text = "";
  await expect
    .poll(async () => {
      text = await l.innerText();
      return text.trim().length > 0;
    }, { timeout: 5000 })
    .toBe(true);
  return text;
}

const card = (id: number | string, column?: string) =>
  page.locator(`${column ? `[data-testid=column-${column}] ` : ""}[data-testid=ticket][data-order-id="${id}"]`);

async function columnOf(id: number | string): Promise<string | null> {
  return page.locator(`[data-testid=ticket][data-order-id="${id}"]`).first().getAttribute("data-column", { timeout: 5000 });
}

async function waitColumn(id: number | string, column: string) {
  await card(id, column).waitFor({ state: "visible", timeout: 5000 });
}

beforeAll(async () => {
  kds = await new Kds().start();
  chrome = await browser();
  ({ page, problems } = await openBoard(chrome.context, kds));
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
});

afterAll(async () => {
  await chrome?.close();
  await kds?.close();
});

afterEach(() => {
  // Refused connections while the server restarts are logged by Chromium
  // itself; anything else (script errors, CSP violations, dialogs) is a bug.
  const real = problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to load resource|net::ERR_/.test(p));
  problems.length = 0;
  expect(real, "the page logged no errors, broke no CSP rule and opened no dialog").toEqual([]);
});

describe("the board against the real kds", () => {
  it("shows a new order without a reload: id, type, lines, nested modifiers, notes", async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const body = order("01-order-created-single.json", { shortId: "A101", minutesAgo: 2 });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "new");
    const c = card(id);
    await expect.poll(() => c.locator(".short-id").textContent()).toBe("#A101");
    const text = await visibleText(c);
    expect(text).toContain("Nasi Goreng Kampung");
    expect(text).toContain("Extra Pedas");
    expect(text, "the brand is named on the card").toContain("Warung Sambal Ijo");
    expect(await visibleText(c.locator(".note.allergy").first()), "an allergy note is marked as one").toMatch(/TERASI/i);
    expect(await visibleText(c.locator(".timer")), "the timer counts from when the order was placed").toMatch(/^[12] min$/);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker), "the page was not reloaded").toBe(42);
    expect(await c.getAttribute("class"), "a new order flashes").toContain("fresh");
  });

  it("matches the API types against real responses", async () => {
    const tickets = await kds.api("/api/tickets");
    expect(tickets.status).toBe(200);
    expect(tickets.body.tickets.length).toBeGreaterThan(0);
    for (const t of tickets.body.tickets) expect(ticketProblems(t)).toEqual([]);
    const health = await kds.api("/api/health");
    expect(healthProblems(health.body)).toEqual([]);
    const deliveries = await kds.api("/api/deliveries?limit=10");
    expect(deliveries.body.deliveries.length).toBeGreaterThan(0);
    for (const d of deliveries.body.deliveries) expect(deliveryProblems(d)).toEqual([]);
    const done = await kds.api("/api/done?limit=5");
    expect(Array.isArray(done.body.tickets)).toBe(true);
  });

  it("touches only the timers, once a minute each: no card is rebuilt and nothing else changes", async () => {
    // A timer reads in minutes from the start ("0 min"), so it changes at
    // its minutes and nothing else changes with it: WebKit repaints only
    // those (the desktop app's CPU budget). A card may change colour at its
    // warn/late minute; no card may flash.
    const young = order("01-order-created-single.json", { shortId: "Y01", minutesAgo: 54 / 60 });
    await kds.send(CREATED, young);
    await waitColumn(young.orders[0].id, "new");
    const youngTimer = card(young.orders[0].id).locator(".timer");
    expect(await visibleText(youngTimer), "a new order's timer reads in minutes, not seconds").toBe("0 min");
    await expect.poll(() => visibleText(youngTimer), { timeout: 12000, message: "and turns at its first minute" }).toBe("1 min");
    const old = order("01-order-created-single.json", { shortId: "O12", minutesAgo: 12.2 });
    await kds.send(CREATED, old);
    await waitColumn(old.orders[0].id, "new");
    expect(await visibleText(card(old.orders[0].id).locator(".timer")), "past its first minutes a timer reads in minutes").toMatch(/^1[23] min$/);
    await page.keyboard.press("Escape"); // a key stops the flashing (and selects nothing)
    await expect.poll(() => page.locator(".card.fresh").count()).toBe(0);
    const { seen, minuteTimers } = await page.evaluate(async () => {
      const out: string[] = [];
      // Each minutes-only timer ("12 min") that changed, with how often.
      const minutes = new Map<Element, number>();
      const observer = new MutationObserver((list) => {
        for (const m of list) {
          const el = (m.target.nodeType === Node.TEXT_NODE ? m.target.parentElement : m.target) as Element | null;
          const what = el?.classList.contains("timer") ? "timer" : `${el?.tagName}.${el?.className}`;
          if (what === "timer" && el && /min$/.test(m.oldValue ?? "")) minutes.set(el, (minutes.get(el) ?? 0) + 1);
          const level = (v: string | null) => (v ?? "").replace(/\blevel-\w+/, "");
          if (m.type === "attributes" && el?.classList.contains("card") && level(m.oldValue) === level(el.getAttribute("class"))) {
            out.push(`card colour: ${m.oldValue} -> ${el.getAttribute("class")}`);
            continue;
          }
          out.push(`${m.type} ${what}`);
        }
      });
      observer.observe(document.querySelector(".columns")!, { subtree: true, childList: true, characterData: true, characterDataOldValue: true, attributes: true, attributeOldValue: true });
      await new Promise((r) => setTimeout(r, 3200));
      observer.disconnect();
      return { seen: out, minuteTimers: [...minutes.values()] };
    });
    const timers = seen.filter((m) => m.endsWith(" timer"));
    expect(seen.filter((m) => !m.endsWith(" timer") && !m.startsWith("card colour")), "nothing but timers (and a card's colour) changed").toEqual([]);
    const cards = await page.locator("[data-testid=ticket]").count();
    expect(timers.length, "each timer changes at most once in 3 seconds (at its minute)").toBeLessThanOrEqual(cards);
    expect(Math.max(0, ...minuteTimers), "a timer reading in minutes changes at most once in 3 seconds (at its minute), not every second").toBeLessThanOrEqual(1);
  });

  it("highlights the changed lines of a cart update until someone says they saw it", async () => {
    const full = order("03-order-cart-updated.json", { shortId: "C303", status: 1 });
    const id = full.orders[0].id;
    const first = structuredClone(full);
    editLine(first.orders[0], 0, { quantity: 2 });
    dropLine(first.orders[0], 2);
    await kds.send(CREATED, first);
    await waitColumn(id, "new");
    expect(await card(id).locator("[data-change=added], [data-change=quantity]").count(), "nothing is highlighted before a change").toBe(0);

    await kds.send(CART, later(full));
    const changedQty = card(id).locator("[data-testid=line][data-change=quantity]");
    await changedQty.waitFor({ timeout: 5000 });
    expect(await visibleText(changedQty)).toMatch(/Kopi Susu Gula Aren[\s\S]*WAS 2/);
    expect(await visibleText(card(id).locator("[data-testid=line][data-change=added]"))).toContain("Pisang Goreng");
    expect(await card(id).getAttribute("class")).toContain("changed");

    await card(id).getByRole("button", { name: "Seen" }).click();
    await expect.poll(() => card(id).locator("[data-change=added], [data-change=quantity]").count(), { timeout: 5000 }).toBe(0);
    expect(await columnOf(id), "acknowledging a change does not bump the ticket").toBe("new");
  });

  it("bumps a card by tapping it, and the undo brings it back", async () => {
    const body = order("01-order-created-single.json", { shortId: "B201" });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "new");
    await card(id).locator(".short-id").click();
    await waitColumn(id, "preparing");
    await page.getByTestId("undo").getByRole("button", { name: "Undo" }).click();
    await waitColumn(id, "new");
  });

  it("bumps with the keyboard: number selects, Enter bumps, Backspace recalls", async () => {
    const body = order("01-order-created-single.json", { shortId: "K301" });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "new");
    // textContent, not innerText: innerText needs layout, and a card that has
    // just arrived may not have been laid out yet (content-visibility).
    const position = ((await card(id).locator(".position").textContent()) ?? "").trim();
    expect(position, "every card shows its keyboard number").toMatch(/^[1-9][0-9]*$/);
    await page.keyboard.press("Escape");
    await page.keyboard.type(position);
    await expect.poll(() => card(id).getAttribute("class")).toContain("selected");
    await page.keyboard.press("Enter");
    await waitColumn(id, "preparing");
    await page.keyboard.press("Space");
    await waitColumn(id, "ready");
    await page.keyboard.press("Backspace");
    await waitColumn(id, "preparing");
    await page.keyboard.press("Escape");
    await expect.poll(() => card(id).getAttribute("class")).not.toContain("selected");
    expect(await visibleText(page.getByTestId("key-help")), "the keys are documented on screen").toMatch(/Enter[\s\S]*bump[\s\S]*recall/);
  });

  it("moves a card when it is dragged to another column", async () => {
    const body = order("01-order-created-single.json", { shortId: "D401" });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "new");
    const handle = card(id).locator(".card-head");
    await handle.scrollIntoViewIfNeeded();
    const from = (await handle.boundingBox())!;
    const to = (await page.getByTestId("column-ready").boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 + 40, from.y + from.height / 2 + 20, { steps: 4 });
    await page.mouse.move(to.x + to.width / 2, to.y + 200, { steps: 8 });
    await page.mouse.up();
    await waitColumn(id, "ready").catch(async (e) => {
      console.log("drag debug", from, to, await page.locator(`[data-order-id="${id}"]`).getAttribute("data-column").catch(() => "gone"), (await kds.api(`/api/tickets/${id}`)).body?.column);
      throw e;
    });
  });

  it("moves a card when klikit reports a new status", async () => {
    const body = order("01-order-created-single.json", { shortId: "S501", status: 1 });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "new");
    await kds.send(STATUS, later(body, (o) => (o.status = 4)));
    await waitColumn(id, "ready");
    await kds.send(STATUS, later(body, (o) => (o.status = 5)));
    await expect.poll(() => card(id).count(), { timeout: 5000 }).toBe(0);
  });

  it("covers a cancelled order with an overlay until it is removed", async () => {
    const body = order("01-order-created-single.json", { shortId: "X601", status: 2 });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "preparing");
    await kds.send(STATUS, later(body, (o) => ((o.status = 3), (o.cancellation_reason = "Customer requested cancellation"))));
    const overlay = card(id).getByTestId("cancelled-overlay");
    await overlay.waitFor({ timeout: 5000 });
    expect(await visibleText(overlay)).toMatch(/CANCELLED[\s\S]*Customer requested cancellation/);
    await overlay.getByRole("button", { name: "Remove" }).click();
    await expect.poll(() => card(id).count(), { timeout: 5000 }).toBe(0);
  });

  it("shows markup in order text literally and runs none of it", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const body = order("01-order-created-single.json", {
      shortId: "H701",
      edit: (o) => {
        editLine(o, 0, { name: evil, comment: "<script>alert(2)</script>" });
        o.order_comment = '<b onmouseover="alert(3)">bold</b>';
      },
    });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "new");
    const c = card(id);
    expect(await c.locator(".name").first().textContent()).toBe(evil);
    expect(await visibleText(c)).toContain("<script>alert(2)</script>");
    expect(await c.locator("img, script, b").count(), "no element was made from order text").toBe(0);
    await c.locator(".order-note").hover();
    // afterEach fails the test if an alert dialog opened.
  });

  it("lists deliveries in plain words with the fix for a bad signature", async () => {
    const bad = await kds.post(CREATED, order("01-order-created-single.json"), "not-the-secret");
    expect(bad.status).toBe(401);
    await page.getByTestId("tab-diagnostics").click();
    const row = page.locator("[data-testid=delivery][data-outcome=invalid_signature]").first();
    await row.waitFor({ timeout: 10_000 });
    expect(await visibleText(row)).toMatch(/signature did not match[\s\S]*check the webhook secret/);
    expect(await page.locator("[data-testid=delivery][data-outcome=applied], [data-testid=delivery][data-outcome=received]").count()).toBeGreaterThan(0);
    await page.getByTestId("tab-board").click();
  });

  it("runs the self-test from the deliveries view and shows each hop", async () => {
    await page.getByTestId("tab-diagnostics").click();
    const panel = page.getByTestId("tunnel-panel");
    await panel.waitFor({ timeout: 10_000 });
    expect(await visibleText(panel), "with no tunnel the panel says how klikit can reach the kitchen").toMatch(/Tunnel off[\s\S]*reverse proxy/);
    await page.getByTestId("run-selftest").click();
    const result = page.getByTestId("selftest-result");
    await result.waitFor({ timeout: 20_000 });
    expect(await result.textContent(), "the local path (intake, signature, stored, shown) passes").toMatch(/Self-test passed/);
    const outcome = (hop: string) => page.locator(`[data-testid=selftest-hop][data-hop=${hop}]`).getAttribute("data-outcome");
    expect(await outcome("shown"), "the test ticket reached the board's API").toBe("passed");
    expect(await outcome("dns"), "with no public URL the public hops are skipped, not passed").toBe("skipped");
    await page.getByTestId("tab-board").click();
  });

  it("recalls a done ticket from the recall list", async () => {
    const body = order("01-order-created-single.json", { shortId: "R801", status: 4 });
    const id = body.orders[0].id;
    await kds.send(CREATED, body);
    await waitColumn(id, "ready");
    await card(id).locator(".short-id").click();
    await expect.poll(() => card(id).count(), { timeout: 5000 }).toBe(0);
    await page.getByTestId("tab-done").click();
    const row = page.getByTestId("done-list").locator("li", { hasText: "#R801" });
    await row.getByRole("button", { name: "Recall" }).click();
    await page.getByTestId("tab-board").click();
    await waitColumn(id, "ready");
  });

  it("keeps the webhook secret write-only and uses a new one at once", async () => {
    await page.getByTestId("tab-settings").click();
    const field = page.getByTestId("secret");
    expect(await field.getAttribute("type"), "the secret is masked while typed").toBe("password");
    expect(await field.inputValue(), "the stored secret is never shown").toBe("");
    expect(await page.getByTestId("start-at-login").count(), "a browser has no desktop shell to start at login: no switch").toBe(0);
    await field.fill("rotated-secret-123");
    await page.getByTestId("warn").fill("4");
    await page.getByTestId("late").fill("9");
    await page.getByTestId("save").click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor({ timeout: 5000 });
    const settings = await kds.api("/api/settings");
    expect(JSON.stringify(settings.body)).not.toContain("rotated-secret-123");
    expect(settings.body).toMatchObject({ secret_configured: true, warn_after_minutes: 4, late_after_minutes: 9 });
    expect((await kds.post(CREATED, order("01-order-created-single.json"), "rotated-secret-123")).status, "the new secret is used without a restart").toBe(200);
    expect((await kds.post(CREATED, order("01-order-created-single.json"), SECRET)).status, "the replaced one stays accepted for the rotation window, while klikit switches over").toBe(200);
    expect((await kds.post(CREATED, order("01-order-created-single.json"), "never-configured-secret")).status, "a secret that was never configured is refused").toBe(401);
    // Put the test secret back for the tests that follow.
    await field.fill(SECRET);
    await page.getByTestId("save").click();
    await until("the old secret to work again", async () => (await kds.post(CREATED, order("01-order-created-single.json"))).status === 200, 5000);
    await page.getByTestId("tab-board").click();
  });

  it("says at once in red that the stream dropped, and recovers by itself after a restart", async () => {
    const before = order("01-order-created-single.json", { shortId: "P901" });
    await kds.send(CREATED, before);
    await waitColumn(before.orders[0].id, "new");
    await kds.stop();
    await page.getByTestId("offline-banner").waitFor({ timeout: 3000 });
    expect(await visibleText(page.getByTestId("live-state"))).toMatch(/DISCONNECTED/);
    const color = await page.getByTestId("live-state").evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(color, "the disconnect is shown in red").toBe("rgb(255, 77, 77)");
    await kds.start();
    await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("offline-banner").count()).toBe(0);
    const after = order("01-order-created-single.json", { shortId: "P902" });
    await kds.send(CREATED, after);
    await waitColumn(after.orders[0].id, "new");
    expect(await card(before.orders[0].id).count(), "what was on the board before is still there").toBe(1);
  });
});
