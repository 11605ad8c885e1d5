// Stations and expo in the browser: three screens at once (grill, drinks,
// expo) against the real kds. Lines are routed by category and brand; a
// grill bump strikes the grill's line at the expo and leaves drinks open;
// recall on the grill restores it; the all-day counts follow the bumps; a
// cart change re-opens a done line; a rush ticket sorts first everywhere;
// the expo's bump of an unfinished ticket asks first, and its bumps take a
// complete ticket to Ready. Screenshots of a station, the expo and the
// all-day panel at the four kitchen sizes go to test-output/.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browser, CART, CREATED, Kds, later, openScreen, order, screenshotPath } from "./kds.mjs";

let kds: Kds;
let chrome: Awaited<ReturnType<typeof browser>>;
let grill: Page;
let drinks: Page;
let expo: Page;
const problems: string[][] = [];

/// Order A (brand 2041): satay (Mains), iced tea (Drinks), crackers (no
/// category: the default station). Order B (brand 777, which sushi takes):
/// a roll, orange juice (Drinks: drinks comes first).
const A = order("01-order-created-single.json", {
  shortId: "SA1",
  minutesAgo: 4,
  status: 1,
  edit: (o) => {
    o.cart_v2 = [
      { name: "Satay", quantity: 2, klikit_category_name: "Mains" },
      { name: "Es Teh", quantity: 1, klikit_category_name: "Drinks" },
      { name: "Krupuk", quantity: 1 },
    ];
    delete o.cart;
  },
});
const B = order("01-order-created-single.json", {
  shortId: "SB2",
  minutesAgo: 3,
  status: 1,
  edit: (o) => {
    o.cart_v2 = [
      { name: "Salmon Roll", quantity: 1 },
      { name: "Es Jeruk", quantity: 1, klikit_category_name: "Drinks" },
    ];
    delete o.cart;
    o.brands = [{ id: 777, title: "Sushi Go" }];
    o.brand_id = 777;
  },
});
const idA = String(A.orders[0].id);
const idB = String(B.orders[0].id);

const card = (page: Page, id: string) => page.locator(`[data-testid=ticket][data-order-id="${id}"]`);
const lineNames = (page: Page, id: string) => card(page, id).locator("[data-testid=line] .name").allInnerTexts();
const allDay = (page: Page) =>
  page.locator("[data-testid=allday-item]").evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.name} ${(e as HTMLElement).dataset.quantity}`));

beforeAll(async () => {
  kds = await new Kds().start();
  const put = await kds.api("/api/stations", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ stations: [{ name: "grill", categories: ["Mains"] }, { name: "drinks", categories: ["drinks"] }, { name: "sushi", brands: [777] }] }),
  });
  expect(put.status, `the station setup is accepted: ${JSON.stringify(put.body)}`).toBe(200);
  await kds.send(CREATED, A);
  await kds.send(CREATED, B);
  chrome = await browser({ width: 1280, height: 800 });
  const screens = await Promise.all(["?screen=grill", "?screen=drinks", "?screen=expo"].map((q) => openScreen(chrome.context, kds, q)));
  [grill, drinks, expo] = screens.map((s) => s.page);
  problems.push(...screens.map((s) => s.problems));
});

afterAll(async () => {
  await chrome?.close();
  await kds?.close();
});

describe("three screens: grill, drinks, expo", () => {
  it("routes each line to its station by category and brand, and names the screen in the header", async () => {
    await card(grill, idA).waitFor();
    expect(await grill.getByTestId("screen-name").innerText()).toBe("GRILL");
    await expect.poll(() => lineNames(grill, idA), { message: "the grill sees only its line" }).toEqual(["Satay"]);
    expect(await card(grill, idB).count(), "B has nothing for the grill").toBe(0);
    await card(drinks, idB).waitFor();
    await expect.poll(() => lineNames(drinks, idA)).toEqual(["Es Teh"]);
    await expect.poll(() => lineNames(drinks, idB), { message: "drinks comes before sushi's brand rule" }).toEqual(["Es Jeruk"]);
    await card(expo, idA).waitFor();
    await expect.poll(() => lineNames(expo, idA), { message: "the expo sees every line" }).toEqual(["Satay", "Es Teh", "Krupuk"]);
    expect(await card(expo, idA).locator(".station-mark").allInnerTexts(), "a progress mark per station").toEqual(["drinks 0/1", "grill 0/1", "kitchen 0/1"]);
  });

  it("a grill bump strikes the grill's line at the expo and leaves drinks open; the all-day counts follow", async () => {
    await drinks.getByTestId("allday-toggle").click();
    await expect.poll(() => allDay(drinks)).toEqual(["Es Jeruk 1", "Es Teh 1"]);
    await grill.getByTestId("allday-toggle").click();
    await expect.poll(() => allDay(grill)).toEqual(["Satay 2"]);

    await card(grill, idA).click(); // a tap bumps the grill's lines
    await expect.poll(() => card(grill, idA).count(), { timeout: 5000 }).toBe(0);
    const satay = card(expo, idA).locator("[data-testid=line][data-station=grill]");
    await expect.poll(() => satay.getAttribute("data-done"), { timeout: 5000 }).toBe("true");
    expect(await satay.locator(".name").evaluate((e) => getComputedStyle(e).textDecorationLine), "the done line is struck through at the expo").toBe("line-through");
    expect(await card(expo, idA).locator("[data-testid=line][data-station=drinks]").getAttribute("data-done")).toBe("false");
    expect(await card(expo, idA).locator(".station-mark.done").allInnerTexts()).toEqual(["grill ✓"]);
    await expect.poll(() => lineNames(drinks, idA), { message: "drinks still has the tea to make" }).toEqual(["Es Teh"]);
    await expect.poll(() => allDay(grill), { timeout: 5000 }).toEqual([]);
  });

  it("recall on the grill brings its line back, at the expo and in the all-day counts", async () => {
    await grill.getByTestId("tab-done").click();
    await expect.poll(() => grill.locator("[data-testid=done-list] .short-id").allInnerTexts(), { message: "the grill's recall list has what it bumped" }).toEqual(["#SA1"]);
    await grill.getByTestId("tab-board").click();
    await grill.keyboard.press("Backspace");
    await card(grill, idA).waitFor({ timeout: 5000 });
    await expect.poll(() => lineNames(grill, idA)).toEqual(["Satay"]);
    await expect.poll(() => card(expo, idA).locator("[data-testid=line][data-station=grill]").getAttribute("data-done"), { timeout: 5000 }).toBe("false");
    await expect.poll(() => allDay(grill), { timeout: 5000 }).toEqual(["Satay 2"]);
  });

  it("a cart change re-opens a line drinks had done, marked as changed", async () => {
    await card(drinks, idA).click();
    await expect.poll(() => card(drinks, idA).count(), { timeout: 5000 }).toBe(0);
    await kds.send(CART, later(A, (o) => (o.cart_v2[1].quantity = 2)));
    await card(drinks, idA).waitFor({ timeout: 5000 });
    const tea = card(drinks, idA).locator("[data-testid=line]");
    expect(await tea.getAttribute("data-change"), "the tea is back, with its change").toBe("quantity");
    expect(await tea.getAttribute("data-done")).toBe("false");
    await expect.poll(() => allDay(drinks), { timeout: 5000 }).toEqual(["Es Teh 2", "Es Jeruk 1"]);
  });

  it("a rush ticket sorts first on every screen", async () => {
    const first = (page: Page) => page.locator("[data-testid=column-new] [data-testid=ticket]").first().getAttribute("data-order-id");
    expect(await first(drinks), "oldest first before the rush").toBe(idA);
    await card(expo, idB).getByTestId("rush-toggle").click();
    for (const page of [drinks, expo]) {
      await expect.poll(() => first(page), { timeout: 5000 }).toBe(idB);
      expect(await card(page, idB).getByTestId("rush").count(), "the rush mark shows").toBe(1);
    }
  });

  it("the expo asks before bumping an unfinished ticket, and its bumps take a complete one to Ready", async () => {
    await card(expo, idA).click();
    await expo.getByTestId("confirm-bump").waitFor();
    await expo.getByTestId("confirm-no").click();
    expect((await kds.api(`/api/tickets/${idA}`)).body.column, "waiting moves nothing").toBe("new");
    for (const station of ["grill", "drinks", "kitchen"]) {
      const r = await kds.api(`/api/tickets/${idA}/bump`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ station }) });
      expect(r.status, `${station} bumps its lines`).toBe(200);
    }
    await card(expo, idA).getByTestId("complete").waitFor({ timeout: 5000 });
    await expo.screenshot({ path: screenshotPath("expo-complete-1280x800.png") });
    await card(expo, idA).click();
    await expect.poll(async () => (await kds.api(`/api/tickets/${idA}`)).body.column, { timeout: 5000 }).toBe("preparing");
    await card(expo, idA).click();
    await expect.poll(async () => (await kds.api(`/api/tickets/${idA}`)).body.column, { timeout: 5000 }).toBe("ready");
    expect(await expo.getByTestId("confirm-bump").count(), "a complete ticket is bumped without asking").toBe(0);
  });

  it("saves a station screen, the expo and the all-day panel at four sizes, with no column title cut", async () => {
    for (const page of [grill, drinks]) if (await page.getByTestId("allday").count()) await page.getByTestId("allday-toggle").click();
    for (const [width, height] of [
      [1024, 768],
      [1280, 800],
      [1920, 1080],
      [1080, 1920],
    ]) {
      for (const [name, page] of [
        ["station-drinks", drinks],
        ["expo", expo],
      ] as const) {
        await page.setViewportSize({ width, height });
        await page.waitForTimeout(300); // layout settles; the checks below are the assertions
        await page.screenshot({ path: screenshotPath(`${name}-${width}x${height}.png`) });
        const cut = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>(".column-title")].filter((e) => e.scrollWidth > e.clientWidth).map((e) => e.innerText),
        );
        expect(cut, `no column title is cut on ${name} at ${width}x${height}`).toEqual([]);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `nothing spills off the side of ${name} at ${width}x${height}`).toBeLessThanOrEqual(0);
        const clock = await page.getByTestId("clock").boundingBox();
        expect(clock && clock.x + clock.width, `the header still shows the clock on ${name} at ${width}x${height}`).toBeLessThanOrEqual(width);
      }
      await expo.getByTestId("allday-toggle").click();
      await expo.locator("[data-testid=allday-item]").first().waitFor();
      await expo.screenshot({ path: screenshotPath(`allday-${width}x${height}.png`) });
      await expo.getByTestId("allday-toggle").click();
    }
  });

  it("a station deleted while its screen is open falls back to everything, with a notice", async () => {
    const put = await kds.api("/api/stations", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stations: [{ name: "grill", categories: ["Mains"] }, { name: "sushi", brands: [777] }] }),
    });
    expect(put.status).toBe(200);
    await expect.poll(() => drinks.getByTestId("screen-name").innerText(), { timeout: 5000 }).toBe("ALL");
    expect(await drinks.locator(".toast.notice").innerText(), "the screen says why it shows everything").toMatch(/drinks/i);
    await expect.poll(() => lineNames(drinks, idB), { message: "every line again" }).toEqual(["Salmon Roll", "Es Jeruk"]);
  });

  it("marks each card with its brand's colour, and filters by brand", async () => {
    const colours = await expo.locator("[data-testid=ticket]").evaluateAll((els) => els.map((e) => getComputedStyle(e).getPropertyValue("--brand")));
    expect(new Set(colours).size, "two brands, two colours").toBe(2);
    await expo.getByTestId("brand-filter").selectOption("777");
    await expect.poll(() => expo.locator("[data-testid=ticket]").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.orderId))).toEqual([idB]);
    await expo.getByTestId("brand-filter").selectOption("");
    await expect.poll(() => expo.locator("[data-testid=ticket]").count()).toBe(2);
  });

  it("counts a scheduled order down to when it fires: its time less the prep time (20 minutes by default)", async () => {
    const later45 = order("01-order-created-single.json", { shortId: "SC9", status: 6, edit: (o) => (o.scheduled_time = new Date(Date.now() + 45 * 60_000).toISOString()) });
    await kds.send(CREATED, later45);
    const timer = card(expo, String(later45.orders[0].id)).locator("[data-testid=timer]");
    await expect.poll(() => timer.innerText(), { timeout: 5000, message: "fires in 25 minutes, not 45" }).toMatch(/^in 2[45] min$/);
  });

  it("edits the stations in Settings, showing the server's refusal as text, and lists the connected screens", async () => {
    await expo.getByTestId("tab-settings").click();
    const editor = expo.getByTestId("stations-editor");
    await expect.poll(() => editor.getByTestId("station-name").evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(["grill", "sushi"]);
    await expect.poll(() => expo.locator("[data-testid=screens] li").count(), { message: "the three screens are connected" }).toBeGreaterThanOrEqual(3);
    await editor.getByTestId("add-station").click();
    await editor.getByTestId("station-name").last().fill("Grill");
    await editor.getByTestId("station-categories").last().fill("Drinks");
    await editor.getByTestId("save-stations").click();
    await expect.poll(() => editor.getByTestId("stations-result").innerText()).toMatch(/grill/i);
    expect(await editor.getByTestId("stations-result").getAttribute("class"), "a refusal reads as an error").toContain("error");
    await editor.getByTestId("station-name").last().fill("bar");
    await editor.getByTestId("save-stations").click();
    await expect.poll(() => editor.getByTestId("stations-result").innerText()).toMatch(/Saved/);
    const saved = await kds.api("/api/stations");
    expect(saved.body.setup.stations.map((s: { name: string }) => s.name)).toEqual(["grill", "sushi", "bar"]);
    await expo.getByTestId("tab-board").click();
  });

  it("logged no errors on any screen", () => {
    // The one 422 is the refused setup the Settings test sends on purpose.
    for (const p of problems) expect(p.filter((x) => !/status of 422/.test(x))).toEqual([]);
  });
});
