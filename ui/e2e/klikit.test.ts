// Two-way klikit as a cook sees it, in a real browser: the real `kds serve`
// pointed at the fake partner API (`kds dev fake-klikit`, a child process),
// whose next answers are made slow or failing through its `/_fake/faults`
// endpoint. The card's sync mark and the header's klikit chip are read from
// the DOM; nothing here imitates the server.

import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Health } from "../src/lib/api";
import { browser, CREATED, freePort, Kds, openScreen, order, startFake, screenshotPath, until } from "./kds.mjs";

const PARTNER_KEY = "e2e-partner-key";
const PARTNER_SECRET = "e2e-partner-secret";

let fake: Awaited<ReturnType<typeof startFake>>;
let fakeUrl: string;
let kds: Kds;
let chrome: Awaited<ReturnType<typeof browser>>;
let page: Page;
let problems: string[];

/// A pickup order still at PLACED, known to the fake and delivered to kds.
function pickupOrder(shortId: string) {
  return order("01-order-created-single.json", { shortId, minutesAgo: 1, status: 1, edit: (o) => (o.type = 1) });
}

/// The order the test taps through, seeded in the fake up front as klikit would hold it.
const placed = pickupOrder("K101");
const id = placed.orders[0].id;
/// One the kitchen rejects.
const unwanted = pickupOrder("K102");

async function queueFault(fault: Record<string, unknown>) {
  const r = await fetch(`${fakeUrl}/_fake/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fault) });
  expect(r.status, `the fake queued ${JSON.stringify(fault)}: ${await r.text()}`).toBe(200);
}

const health = async () => (await kds.api("/api/health")).body as Health;
const card = (orderId: number) => page.locator(`[data-testid=ticket][data-order-id="${orderId}"]`);
const chip = () => page.getByTestId("klikit-state");

async function chipSays(state: string, words: RegExp) {
  await expect.poll(() => chip().getAttribute("data-state"), { timeout: 20_000 }).toBe(state);
  expect(await chip().innerText(), `the ${state} chip says so in words`).toMatch(words);
}

async function markSays(orderId: number, state: string, words: RegExp) {
  const mark = card(orderId).getByTestId("sync");
  await expect.poll(() => mark.getAttribute("data-state"), { timeout: 20_000 }).toBe(state);
  expect(await mark.innerText(), `the card's mark says ${state}`).toMatch(words);
}

beforeAll(async () => {
  const seedFile = join(tmpdir(), `kds-e2e-klikit-seed-${process.pid}.json`);
  writeFileSync(seedFile, JSON.stringify({ ...placed, orders: [placed.orders[0], unwanted.orders[0]] }));
  const port = await freePort();
  fake = await startFake(["fake-klikit", "--listen", `127.0.0.1:${port}`, "--partner-key", PARTNER_KEY, "--secret-key", PARTNER_SECRET, "--seed", seedFile], "fake klikit:");
  fakeUrl = `http://127.0.0.1:${port}`;
  kds = await new Kds({ env: { KLIKIT_PARTNER_KEY: PARTNER_KEY, KLIKIT_PARTNER_SECRET: PARTNER_SECRET, KLIKIT_API_URL: `${fakeUrl}/v1/partner` } }).start();
  // The start's catch-up talks to the fake first: faults queued before it ends would be its answers.
  await until("kds's first catch-up to finish", async () => (await health()).klikit?.last_catchup?.at, 20_000);
  chrome = await browser();
  ({ page, problems } = await openScreen(chrome.context, kds));
});

afterAll(async () => {
  await chrome?.close();
  await kds?.close();
  fake?.stop();
  rmSync(join(tmpdir(), `kds-e2e-klikit-seed-${process.pid}.json`), { force: true });
});

afterEach(() => {
  const real = problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to load resource|net::ERR_/.test(p));
  problems.length = 0;
  expect(real, "the page logged no errors, broke no CSP rule and opened no dialog").toEqual([]);
});

describe("two-way klikit on the board", () => {
  it("shows the klikit chip as ok when the keys work and nothing waits", async () => {
    await chipSays("ok", /^klikit ok$/);
  });

  it("shows a bump's accept as waiting on the card and in the chip while klikit answers slowly, then sent", async () => {
    await kds.send(CREATED, placed);
    await card(id).locator(".short-id").waitFor({ timeout: 10_000 });
    expect(await card(id).getByTestId("sync").count(), "no mark before any action for klikit").toBe(0);
    await queueFault({ fault: "slow", ms: 4000 });
    await card(id).locator(".short-id").click(); // New → Preparing: klikit must learn `accepted`
    await markSays(id, "waiting", /klikit: accepted…/);
    await chipSays("waiting", /^klikit: 1 waiting$/);
    await markSays(id, "sent", /klikit ✓ accepted/);
    await chipSays("ok", /^klikit ok$/);
  });

  it("shows a failed action with its reason and a Retry, the chip failing since when; Retry sends it", async () => {
    await queueFault({ fault: "server_error", count: 5 }); // every try of the sender's budget
    await card(id).locator(".short-id").click(); // Preparing → Ready: klikit must learn `ready`
    await markSays(id, "failed", /klikit ✗ ready/);
    await chipSays("failing", /^klikit failing since \d\d:\d\d$/);
    const detail = card(id).getByTestId("sync-detail");
    expect(await detail.innerText(), "a failed action shows why without a tap").toMatch(/gave up after 5 tries/);
    await page.screenshot({ path: screenshotPath("klikit-sync.png") });

    await detail.getByRole("button", { name: "Retry" }).click();
    await markSays(id, "sent", /klikit ✓ ready/);
    await chipSays("ok", /^klikit ok$/);
    expect(await card(id).getByTestId("sync-detail").count(), "the reason goes away with the failure").toBe(0);
  });

  it("shows the reason of a mark on tap, as text", async () => {
    const mark = card(id).getByTestId("sync");
    await mark.click();
    expect(await mark.getAttribute("aria-expanded")).toBe("true");
    expect(await card(id).getByTestId("sync-detail").innerText(), "a sent action's detail says what klikit has").toMatch(/klikit has "ready"/);
    expect((await kds.api(`/api/tickets`)).body.tickets.find((t: { order_id: string }) => t.order_id === String(id))?.column, "tapping the mark bumped nothing").toBe("ready");
  });

  it("rejects an order only after a reason and a confirmation, and klikit learns it", async () => {
    const other = unwanted.orders[0].id;
    await kds.send(CREATED, unwanted);
    const c = card(other);
    await c.locator(".short-id").waitFor({ timeout: 10_000 });
    await c.getByTestId("withdraw").click();
    const confirm = c.getByTestId("withdraw-confirm").getByRole("button", { name: "Confirm" });
    expect(await confirm.isDisabled(), "no reject without a reason").toBe(true);
    await c.getByTestId("withdraw-confirm").getByRole("button", { name: "Keep order" }).click();
    expect(await c.getAttribute("data-column"), "opening and closing the confirmation moves nothing").toBe("new");

    await c.getByTestId("withdraw").click();
    await c.getByTestId("withdraw-reason").selectOption("kitchen_closed");
    await confirm.click();
    const auth = `Basic ${Buffer.from(`${PARTNER_KEY}:${PARTNER_SECRET}`).toString("base64")}`;
    await until("klikit to have the order rejected", async () => {
      const r = await fetch(`${fakeUrl}/v1/partner/orders/${other}`, { headers: { authorization: auth } });
      const body = await r.json();
      return body.data?.status === 3;
    }, 20_000);
    await expect.poll(() => c.count(), { timeout: 10_000 }).toBe(0);
  });

  it("checks the connection from Settings and never shows the keys", async () => {
    await page.getByTestId("tab-settings").click();
    expect(await page.getByTestId("klikit-configured").innerText(), "Settings says keys are set").toMatch(/^Keys set/);
    expect(await page.getByTestId("partner-key").inputValue(), "the key field starts empty: the key is write-only").toBe("");
    await page.getByTestId("klikit-check").click();
    const result = page.getByTestId("klikit-check-result");
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toMatch(/^Connected\. Brands: .+\(\d+\)/);
    expect(await page.locator("body").innerText(), "neither key appears anywhere on the page").not.toMatch(new RegExp(`${PARTNER_KEY}|${PARTNER_SECRET}`));
    await page.getByTestId("tab-board").click();
  });
});
