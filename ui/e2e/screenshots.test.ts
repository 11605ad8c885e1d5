// A busy board (14 tickets across the columns, some changed, one cancelled,
// a dine-in table, drivers, allergy notes, old and fresh timers) saved as
// screenshots at 1920x1080 and 1024x768 in test-output/ for a person to
// look at. The assertions check the layout holds at both sizes.

import { afterAll, beforeAll, expect, it } from "vitest";
import { browser, CART, CREATED, dropLine, editLine, Kds, later, openBoard, order, screenshotPath, STATUS } from "./kds.mjs";

let kds: Kds;

beforeAll(async () => {
  kds = await new Kds().start();
});

afterAll(async () => {
  await kds?.close();
});

async function busyBoard() {
  const plan: { file: string; short: string; minutes: number; status?: number; edit?: (o: any) => void; after?: "cart" | "cancel" | "driver" | "arrived" }[] = [
    { file: "01-order-created-single.json", short: "K7X2", minutes: 12, status: 2 },
    { file: "01-order-created-single.json", short: "A113", minutes: 7, status: 2, after: "cart" },
    { file: "03-order-cart-updated.json", short: "M4Q9", minutes: 3, status: 1, after: "cart" },
    { file: "03-order-cart-updated.json", short: "T12", minutes: 1, status: 1 },
    { file: "04-order-created-batched.json", short: "P2D8", minutes: 9, status: 2, after: "driver" },
    { file: "01-order-created-single.json", short: "N555", minutes: 0.3, status: 1 },
    { file: "01-order-created-single.json", short: "G208", minutes: 4, status: 4, after: "arrived" },
    { file: "03-order-cart-updated.json", short: "R17", minutes: 6, status: 4 },
    { file: "01-order-created-single.json", short: "W990", minutes: 2, status: 2, after: "cancel" },
    { file: "04-order-created-batched.json", short: "J3", minutes: 15, status: 1, edit: (o) => (o.order_comment = "PEANUT ALLERGY: no kacang at all, use a clean wok") },
    { file: "01-order-created-single.json", short: "L404", minutes: 5.5, status: 2 },
    { file: "03-order-cart-updated.json", short: "Q77", minutes: 11, status: 4 },
    { file: "01-order-created-single.json", short: "S6", minutes: 1, status: 6, edit: (o) => (o.scheduled_time = new Date(Date.now() + 45 * 60_000).toISOString()) },
    { file: "03-order-cart-updated.json", short: "E21", minutes: 2, status: 1 },
  ];
  for (const p of plan) {
    const full = order(p.file, { shortId: p.short, minutesAgo: p.minutes, status: p.status, edit: p.edit });
    let first = full;
    if (p.after === "cart") {
      first = structuredClone(full);
      editLine(first.orders[0], 0, { quantity: 1 });
      dropLine(first.orders[0], first.orders[0].cart.length - 1);
    }
    await kds.send(CREATED, first);
    if (p.after === "cart") await kds.send(CART, later(full));
    if (p.after === "cancel") await kds.send(STATUS, later(full, (o) => ((o.status = 3), (o.cancellation_reason = "Out of stock: Ayam"))));
    if (p.after === "driver") await kds.send(STATUS, later(full, (o) => (o.status = 7)));
    if (p.after === "arrived") await kds.send(STATUS, later(full, (o) => (o.status = 8)));
  }
  return plan.length;
}

it("saves screenshots of a busy board at 1920x1080 and 1024x768", async () => {
  const count = await busyBoard();
  const chrome = await browser({ width: 1920, height: 1080 });
  try {
    const { page, problems } = await openBoard(chrome.context, kds);
    await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator("[data-testid=ticket]").count(), { timeout: 10_000 }).toBe(count);
    await page.locator("[data-testid=cancelled-overlay]").first().waitFor();
    for (const [width, height] of [
      [1920, 1080],
      [1024, 768],
    ]) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(300); // layout settles; this is a picture, not an assertion
      await page.screenshot({ path: screenshotPath(`board-${width}x${height}.png`) });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `nothing spills off the side at ${width}x${height}`).toBeLessThanOrEqual(0);
      const smallest = await page.evaluate(() =>
        Math.min(...[...document.querySelectorAll<HTMLElement>(".card *, .strip *")].filter((e) => e.innerText?.trim()).map((e) => parseFloat(getComputedStyle(e).fontSize))),
      );
      expect(smallest, `no text on cards or the header is tiny at ${width}x${height}`).toBeGreaterThanOrEqual(14);
      const targets = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>("button")].filter((b) => b.offsetParent).map((b) => b.getBoundingClientRect().height));
      expect(Math.min(...targets), "every button is at least 48 px tall").toBeGreaterThanOrEqual(48);
    }
    await page.getByTestId("tab-diagnostics").click();
    await page.locator("[data-testid=delivery]").first().waitFor();
    await page.screenshot({ path: screenshotPath("deliveries-1024x768.png") });
    await page.getByTestId("tab-settings").click();
    await page.screenshot({ path: screenshotPath("settings-1024x768.png") });
    expect(problems).toEqual([]);
  } finally {
    await chrome.close();
  }
});
