// Column titles show whole at the four screen sizes a kitchen uses (a small
// 1024x768 tablet, a 1280x800 kitchen PC window, full HD, and a portrait
// 1080x1920 wall screen), with a ticket in every column including a
// cancelled one. Each size is saved in test-output/ for a person to look at.

import { afterAll, beforeAll, expect, it } from "vitest";
import { browser, CREATED, Kds, later, openBoard, order, screenshotPath, STATUS } from "./kds.mjs";

let kds: Kds;

beforeAll(async () => {
  kds = await new Kds().start();
});

afterAll(async () => {
  await kds?.close();
});

const SIZES = [
  [1024, 768],
  [1280, 800],
  [1920, 1080],
  [1080, 1920],
] as const;

/// One ticket per column: klikit status 6 (scheduled, 45 minutes ahead),
/// 1 (new), 2 (preparing), 4 (ready), and a cancelled one.
async function ticketInEveryColumn() {
  const plan: { short: string; status: number; scheduled?: boolean; cancel?: boolean }[] = [
    { short: "S1", status: 6, scheduled: true },
    { short: "N1", status: 1 },
    { short: "P1", status: 2 },
    { short: "R1", status: 4 },
    { short: "C1", status: 2, cancel: true },
  ];
  for (const p of plan) {
    const body = order("01-order-created-single.json", {
      shortId: p.short,
      minutesAgo: 3,
      status: p.status,
      edit: p.scheduled ? (o: any) => (o.scheduled_time = new Date(Date.now() + 45 * 60_000).toISOString()) : undefined,
    });
    await kds.send(CREATED, body);
    if (p.cancel) await kds.send(STATUS, later(body, (o: any) => ((o.status = 3), (o.cancellation_reason = "Out of stock"))));
  }
  return plan.length;
}

it("shows every column title whole at 1024x768, 1280x800, 1920x1080 and 1080x1920", async () => {
  const count = await ticketInEveryColumn();
  const chrome = await browser({ width: 1024, height: 768 });
  try {
    const { page, problems } = await openBoard(chrome.context, kds);
    await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator("[data-testid=ticket]").count(), { timeout: 10_000 }).toBe(count);
    await page.locator("[data-testid=cancelled-overlay]").first().waitFor();
    const columns = await page.locator("section[data-testid^=column-]").count();
    expect(columns, "scheduled, new, preparing, ready and cancelled are all on the board").toBe(5);
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(300); // layout settles before the picture
      await page.screenshot({ path: screenshotPath(`columns-${width}x${height}.png`) });
      const titles = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>("section[data-testid^=column-]")].map((column) => {
          const title = column.querySelector<HTMLElement>(".column-title")!;
          const words = title.querySelector<HTMLElement>("span")!;
          const box = column.getBoundingClientRect();
          const text = words.getBoundingClientRect();
          return {
            text: words.innerText,
            scrollWidth: title.scrollWidth,
            clientWidth: title.clientWidth,
            wordsScroll: words.scrollWidth,
            wordsClient: words.clientWidth,
            inside: text.left >= box.left - 0.5 && text.right <= box.right + 0.5,
          };
        }),
      );
      for (const t of titles) {
        expect(t.scrollWidth, `the ${t.text} title fits its box at ${width}x${height}`).toBeLessThanOrEqual(t.clientWidth);
        expect(t.wordsScroll, `the words ${t.text} are not cut at ${width}x${height}`).toBeLessThanOrEqual(t.wordsClient);
        expect(t.inside, `the words ${t.text} sit inside their column at ${width}x${height}`).toBe(true);
      }
      const stamps = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>("[data-testid=cancelled-overlay] *")]
          .filter((e) => e.innerText?.trim())
          .map((e) => {
            const card = e.closest<HTMLElement>(".card")!.getBoundingClientRect();
            const r = e.getBoundingClientRect();
            return { text: e.innerText.trim(), inside: r.left >= card.left && r.right <= card.right, scroll: e.scrollWidth, client: e.clientWidth };
          }),
      );
      for (const s of stamps) {
        expect(s.inside, `"${s.text}" on the cancelled card stays inside the card at ${width}x${height}`).toBe(true);
        expect(s.scroll, `"${s.text}" on the cancelled card is not cut at ${width}x${height}`).toBeLessThanOrEqual(s.client);
      }
    }
    expect(problems, "no console error on the way").toEqual([]);
  } finally {
    await chrome.close();
  }
});
