// Printers in Settings, in a real browser: the real `kds serve` and the
// fake ESC/POS printer (`kds dev fake-printer`, a child process) whose
// condition is set, and whose decoded pages are read, over its control
// port. A printer is added, tested, changed and removed from the board;
// what reached the printer is read from the fake, the state from the DOM.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Health } from "../src/lib/api";
import { browser, CREATED, freePort, Kds, OUTPUT, openScreen, order, startFake, screenshotPath, until } from "./kds.mjs";

let fake: Awaited<ReturnType<typeof startFake>>;
let printerPort: number;
let controlUrl: string;
let kds: Kds;
let chrome: Awaited<ReturnType<typeof browser>>;
let page: Page;
let problems: string[];
const out = join(OUTPUT, "fake-printer-e2e");

type FakePage = { text: string; images: number; cuts: number; unknown: number };
const printed = async () => ((await (await fetch(`${controlUrl}/_fake/pages`)).json()) as { pages: FakePage[] }).pages;
const health = async () => (await kds.api("/api/health")).body as Health;
const row = () => page.locator('[data-testid=printer-row][data-name="pass"]');
const chip = () => page.locator('[data-testid=printer-state][data-name="pass"]');

async function condition(c: string) {
  const r = await fetch(`${controlUrl}/_fake/condition`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ condition: c }) });
  expect(r.status, `the fake printer is now ${c}: ${await r.text()}`).toBe(200);
}

beforeAll(async () => {
  rmSync(out, { recursive: true, force: true });
  printerPort = await freePort();
  const controlPort = await freePort();
  fake = await startFake(["fake-printer", "--listen", `127.0.0.1:${printerPort}`, "--control", `127.0.0.1:${controlPort}`, "--out", out], "control:");
  controlUrl = `http://127.0.0.1:${controlPort}`;
  kds = await new Kds().start();
  chrome = await browser();
  ({ page, problems } = await openScreen(chrome.context, kds));
  await page.getByTestId("tab-settings").click();
});

afterAll(async () => {
  await chrome?.close();
  await kds?.close();
  fake?.stop();
});

afterEach(() => {
  const real = problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to load resource|net::ERR_/.test(p));
  problems.length = 0;
  expect(real, "the page logged no errors, broke no CSP rule and opened no dialog").toEqual([]);
});

describe("printers in Settings", () => {
  it("adds a printer that points at the fake printer, prints a test page on it and shows it ready", async () => {
    await page.getByTestId("printer-add").click();
    await page.getByTestId("printer-name").fill("pass");
    await page.getByTestId("printer-address").fill(`tcp://127.0.0.1:${printerPort}`);
    await page.getByTestId("printer-print-on").selectOption("arrival");
    await page.getByTestId("printer-save").click();
    await expect.poll(() => page.getByTestId("printer-message").innerText()).toMatch(/Saved pass/);
    expect((await kds.api("/api/printers")).body.printers.map((p: { name: string }) => p.name), "saved by the server").toEqual(["pass"]);

    await row().getByTestId("test-page").click();
    const pages = await until("the test page to reach the fake printer", async () => {
      const p = await printed();
      return p.length >= 1 && p;
    });
    expect(pages[0].text, "the fake decoded a test page naming the printer").toMatch(/TEST PAGE[\s\S]*Printer: pass/);
    expect(pages[0].cuts, "and a cut").toBe(1);
    expect(pages[0].unknown, "every byte was a command the printer knows").toBe(0);
    expect(fake.log(), "kds dev fake-printer shows the page on its stdout").toContain("TEST PAGE");
    await expect.poll(() => row().getAttribute("data-state"), { timeout: 15_000 }).toBe("ready");
    await expect.poll(() => chip().getAttribute("data-state"), { timeout: 15_000 }).toBe("ready");
    expect(await chip().innerText(), "the health strip names the printer").toMatch(/Printer pass/);
    expect(await row().getByTestId("printer-row-state").innerText(), "Settings says it is ready").toBe("Ready");
    await page.screenshot({ path: screenshotPath("printers-settings.png") });
  });

  it("shows paper out from the printer's own answer, holds the job, and prints it when paper is back", async () => {
    await condition("paper_out");
    await row().getByTestId("test-page").click();
    await expect.poll(() => row().getAttribute("data-state"), { timeout: 15_000 }).toBe("paper_out");
    expect(await chip().innerText(), "the health strip says so with the job waiting").toMatch(/PRINTER pass OUT OF PAPER \(1 waiting\)/);
    expect(await row().getByTestId("printer-row-state").innerText(), "Settings says why, with the job waiting").toMatch(/^Out of paper \(the printer is out of paper\); 1 waiting$/);
    expect((await printed()).length, "nothing is sent to a printer without paper").toBe(1);
    await condition("ready");
    await until("the held test page to print", async () => (await printed()).length === 2, 15_000);
    await expect.poll(() => row().getAttribute("data-state"), { timeout: 15_000 }).toBe("ready");
  });

  it("shows offline when the printer is switched off, and the server's reason for a refused change", async () => {
    await condition("offline");
    await row().getByTestId("test-page").click();
    await expect.poll(() => chip().getAttribute("data-state"), { timeout: 15_000 }).toBe("offline");
    expect(await chip().innerText()).toMatch(/PRINTER pass OFFLINE/);
    await condition("ready");
    await until("the held test page to print once it is back", async () => (await printed()).length === 3, 20_000);

    await row().getByTestId("printer-edit").click();
    await page.getByTestId("printer-address").fill("lpt1");
    await page.getByTestId("printer-save").click();
    await expect.poll(() => page.getByTestId("printer-message").innerText()).toMatch(/neither tcp:\/\/HOST:PORT nor file:\/\/\/DEVICE/);
    expect((await kds.api("/api/printers")).body.printers[0].address, "a refused change changes nothing").toBe(`tcp://127.0.0.1:${printerPort}`);
    await page.getByTestId("printer-address").fill(`tcp://127.0.0.1:${printerPort}`);
    await page.getByTestId("printer-width").selectOption("58");
    await page.getByTestId("printer-backup-for").selectOption("station");
    await page.getByTestId("printer-backup-station").fill("grill");
    await page.getByTestId("printer-stations").fill("grill");
    await page.getByTestId("printer-save").click();
    await expect.poll(() => page.getByTestId("printer-message").innerText(), "the core refuses stations on a station's backup printer, in its words").toMatch(/leave stations empty/);
    await page.getByTestId("printer-stations").fill("");
    await page.getByTestId("printer-backup-for").selectOption("");
    await page.getByTestId("printer-stations").fill("grill, drinks");
    await page.getByTestId("printer-save").click();
    await expect.poll(() => page.getByTestId("printer-message").innerText()).toMatch(/Saved pass/);
    const saved = (await kds.api("/api/printers")).body.printers[0];
    expect([saved.width_mm, saved.stations, saved.backup_for], "the change is saved as the form says").toEqual([58, ["grill", "drinks"], undefined]);
    await page.getByTestId("printer-edit").click();
    await page.getByTestId("printer-stations").fill("");
    await page.getByTestId("printer-save").click();
    await expect.poll(() => page.getByTestId("printer-message").innerText()).toMatch(/Saved pass/);
  });

  it("prints a new order on arrival, then removes the printer after a second press", async () => {
    const o = order("01-order-created-single.json", { shortId: "PR01" });
    await kds.send(CREATED, o);
    await until("the order to print", async () => (await printed()).some((p) => p.text.includes("#PR01")), 15_000);
    await row().getByTestId("printer-remove").click();
    expect(await row().count(), "one press removes nothing").toBe(1);
    await row().getByTestId("printer-remove-confirm").click();
    await row().waitFor({ state: "detached", timeout: 10_000 });
    await until("the printer to leave the health strip", async () => (await health()).printers.length === 0);
    expect((await kds.api("/api/printers")).body.printers).toEqual([]);
  });
});
