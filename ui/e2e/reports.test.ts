// The Reports and History views on a database seeded through kds itself:
// signed deliveries posted with `kds send`, a screen's bumps through the
// API (the station's, then the whole ticket's), and a cancellation from klikit. Reports shows today's numbers and
// charts (uPlot canvases), filters by brand, and is saved as a screenshot in
// test-output/; History finds an order, opens its timeline with the bumps,
// and exports the day as CSV.

import { afterAll, beforeAll, expect, it } from "vitest";
import { browser, CREATED, Kds, later, openBoard, order, screenshotPath, STATUS, until } from "./kds.mjs";

let kds: Kds;
const BRAND_B = "Kopi Pagi";

beforeAll(async () => {
  kds = await new Kds({ env: { KDS_TIMEZONE: "UTC" } }).start();
  // Five orders today: three of the fixture's brand (two bumped to done, one
  // cancelled by klikit) and two of another brand, one bumped to done.
  const plan = [
    { short: "R1", brand: null, done: true },
    { short: "R2", brand: null, done: true },
    { short: "R3", brand: null, cancel: true },
    { short: "R4", brand: BRAND_B, done: true },
    { short: "R5", brand: BRAND_B },
  ];
  for (const p of plan) {
    const body = order("01-order-created-single.json", { shortId: p.short, minutesAgo: 2, status: 1, edit: (o) => p.brand && (o.brands[0].title = p.brand) });
    await kds.send(CREATED, body);
    const id = body.orders[0].id;
    await until(`ticket ${p.short} on the board`, async () => (await kds.api(`/api/tickets/${id}`)).status === 200);
    if (p.done) {
      // The kitchen's one station (no setup: every line goes to `kitchen`) bumps its lines first.
      const station = await kds.api(`/api/tickets/${id}/bump`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ station: "kitchen" }) });
      if (station.status !== 200) throw new Error(`the station bump of ${p.short} answered ${station.status}`);
    }
    for (let i = 0; p.done && i < 3; i++) {
      const bump = await kds.api(`/api/tickets/${id}/bump`, { method: "POST" });
      if (bump.status !== 200) throw new Error(`bump ${i + 1} of ${p.short} answered ${bump.status}`);
    }
    if (p.cancel) await kds.send(STATUS, later(body, (o) => ((o.status = 3), (o.cancellation_reason = "Kitchen closed early"))));
  }
});

afterAll(async () => {
  await kds?.close();
});

const today = () => new Date().toISOString().slice(0, 10);

it("opens Reports on the seeded day, draws its charts, filters by brand and saves a screenshot", async () => {
  const chrome = await browser({ width: 1600, height: 1200 });
  try {
    const { page, problems } = await openBoard(chrome.context, kds);
    await page.getByTestId("tab-reports").click();
    await page.getByTestId("report-date").fill(today());
    await expect.poll(() => page.getByTestId("report-orders").textContent(), { timeout: 10_000 }).toBe("5");
    expect(await page.locator(".uplot canvas").count(), "two uPlot charts: orders per hour and time in column").toBe(2);
    await expect.poll(() => page.getByTestId("report-cancellations").textContent()).toContain("Kitchen closed early");
    const columns = await page.getByTestId("report-columns").locator("tbody tr").allTextContents();
    expect(columns.map((r) => r.split(/\d/)[0].trim()), "New, Preparing and Ready, in board order").toEqual(["new", "preparing", "ready"]);
    const stations = await page.getByTestId("report-stations").locator("tbody tr").allTextContents();
    expect(stations.map((r) => r.split(/\d/)[0].trim()), "one row for the station that bumped R1, R2 and R4").toEqual(["kitchen"]);
    await page.screenshot({ path: screenshotPath("reports.png"), fullPage: true });

    await page.getByTestId("report-brand").selectOption(BRAND_B);
    await expect.poll(() => page.getByTestId("report-orders").textContent(), { timeout: 10_000 }).toBe("2");
    await page.getByTestId("report-date").fill("2026-01-05");
    await page.getByTestId("report-empty").waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath("reports-empty.png") });
    expect(problems, "no console errors or CSP violations").toEqual([]);
  } finally {
    await chrome.close();
  }
});

it("finds an order in History, opens its timeline and exports the day", async () => {
  const chrome = await browser({ width: 1600, height: 1000 });
  try {
    const { page, problems } = await openBoard(chrome.context, kds);
    await page.getByTestId("tab-history").click();
    await page.getByTestId("history-search").fill("r2");
    await page.getByTestId("history-go").click();
    await expect.poll(() => page.getByTestId("history-row").count(), { timeout: 10_000 }).toBe(1);
    await page.getByTestId("history-row").click();
    const kinds = await page.getByTestId("timeline-entry").evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")));
    expect(kinds[0], "the timeline starts when the order arrived").toBe("received");
    expect(kinds.filter((k) => k === "bump").length, "the three bumps to done are in it").toBe(3);
    await expect.poll(() => page.getByTestId("timeline").textContent()).toContain("ready → done");
    await page.screenshot({ path: screenshotPath("history.png") });

    const download = page.waitForEvent("download");
    await page.getByTestId("history-export").click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^kds-orders-.*\.csv$/);
    const text = await (await file.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString());
    expect(text.trim().split("\n").length, "a header and the five orders of the day").toBe(6);
    expect(problems).toEqual([]);
  } finally {
    await chrome.close();
  }
});
