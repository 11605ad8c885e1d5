// A screen's display choices against the real kds: the address picks the
// tiles layout, the font scale and the 10-key bump bar; the legend follows
// the key map; digits select a tile on the page and Enter bumps it; a key
// bound in Settings works at once and outlives a reload.

import { afterAll, beforeAll, expect, it } from "vitest";
import { browser, CREATED, Kds, openBoard, order, screenshotPath } from "./kds.mjs";

let kds: Kds;
let chrome: Awaited<ReturnType<typeof browser>>;

beforeAll(async () => {
  kds = await new Kds().start();
  chrome = await browser({ width: 1280, height: 800 });
});

afterAll(async () => {
  await chrome?.close();
  await kds?.close();
});

it("shows tiles oldest first at the chosen scale, with the 10-key bar's keys, and bumps tile 2 with 2 then Enter", async () => {
  const bodies = [9, 3, 6].map((m, i) => order("01-order-created-single.json", { shortId: `T${i}${m}`, minutesAgo: m, status: 1 }));
  for (const b of bodies) await kds.send(CREATED, b);
  const { page, problems } = await openBoard(chrome.context, { url: "about:blank" });
  await page.goto(`${kds.url}/?layout=tiles&scale=1.2&keys=bump10`);
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
  const tiles = page.locator("[data-testid=tiles] [data-testid=ticket]");
  await expect.poll(() => tiles.count(), { timeout: 10_000 }).toBe(3);
  expect(await tiles.locator(".short-id").allInnerTexts(), "tiles run oldest first").toEqual(["#T09", "#T26", "#T13"]);
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), "scale 1.2 of the 17 px a 1280-wide screen uses").toBe("20.4px");
  const legend = await page.getByTestId("key-help").innerText();
  expect(legend, "the legend shows the 10-key bar's keys").toMatch(/1–9\s*select[\s\S]*Enter\s*bump/);
  expect(legend, "and nothing the 10-key bar cannot do").not.toMatch(/recall|undo/);
  await page.screenshot({ path: screenshotPath("tiles-1280x800.png") });

  await page.keyboard.press("Escape"); // the 10-key map has no Escape: it does nothing
  await page.keyboard.press("2");
  await expect.poll(() => page.locator("[data-testid=ticket][aria-current=true] .short-id").innerText()).toBe("#T26");
  await page.keyboard.press("Enter");
  const bumped = String(bodies[2].orders[0].id);
  await expect.poll(async () => (await kds.api(`/api/tickets/${bumped}`)).body?.column, { timeout: 5000 }).toBe("preparing");
  expect(problems).toEqual([]);
});

it("binds a key in Settings: it works at once, shows in the legend, and is kept across a reload", async () => {
  const { page } = await openBoard(chrome.context, { url: "about:blank" });
  await page.goto(`${kds.url}/`);
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("key-preset").selectOption("bump10");
  await page.getByTestId("add-command").selectOption("recall");
  await page.getByTestId("add-key").click();
  await page.keyboard.press("x");
  await page.locator("[data-testid=key-binding][data-key=x]").waitFor();
  await page.getByTestId("layout").selectOption("tiles");
  await page.getByTestId("tab-board").click();
  await expect.poll(() => page.getByTestId("key-help").innerText()).toMatch(/X\s*recall/);
  await page.reload();
  await page.getByTestId("tiles").waitFor({ timeout: 10_000 });
  expect(await page.getByTestId("key-help").innerText(), "the edited map was kept in this browser").toMatch(/Enter\s*bump[\s\S]*X\s*recall/);
  // x recalls the selected ticket: tile 1 (T09, still new) has nowhere to go back to; the bumped T26 goes back to new.
  const t26 = page.locator("[data-testid=ticket]", { hasText: "#T26" });
  await t26.waitFor();
  const position = await t26.locator(".position").innerText();
  await page.keyboard.press(position);
  await page.keyboard.press("x");
  await expect.poll(() => t26.getAttribute("data-column"), { timeout: 5000 }).toBe("new");
});
