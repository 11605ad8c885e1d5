// A screen on the kitchen network: kds bound beyond loopback with an API
// token that has the characters base64 makes (+ / =). The board is given
// the token in its address, sends it percent-encoded in `?token=` on the
// live stream, and must connect and show orders (issue 13, item 1). Then
// pairing a tablet: Settings shows a QR code of a network address with the
// token, from a network page and from a loopback one (the desktop window),
// and a kds on loopback only says how to listen on the network.

import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browser, CREATED, Kds, openBoard, order } from "./kds.mjs";

const TOKEN = "q+Zx/9k=Ab+/cD==";

let kds: Kds;
let chrome: Awaited<ReturnType<typeof browser>>;
let page: Page;
let problems: string[];

beforeAll(async () => {
  kds = await new Kds({ listen: "0.0.0.0", env: { KDS_API_TOKEN: TOKEN } }).start();
  chrome = await browser();
});

afterAll(async () => {
  await chrome?.close();
  await kds?.close();
});

it("connects with a token holding + / = and shows a new order", async () => {
  const unauthorized = await kds.api("/api/tickets");
  expect(unauthorized.status, "beyond loopback the API needs the token").toBe(401);
  ({ page, problems } = await openBoard(chrome.context, { url: `${kds.url}/#token=${encodeURIComponent(TOKEN)}` }));
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
  await kds.send(CREATED, order("01-order-created-single.json", { id: 7101, shortId: "TOK1" }));
  await page.locator('[data-testid=ticket][data-order-id="7101"]').waitFor({ state: "visible", timeout: 10_000 });
  expect(problems.filter((p) => !/Failed to load resource/.test(p)), "no script errors").toEqual([]);
});

/// This machine's first address on a network (not loopback), if it has one.
const LAN = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

it.skipIf(!LAN)("pairs a tablet: Settings shows a QR code and the address with the token, from a screen on the network", async () => {
  const address = `http://${LAN}:${kds.appPort}`;
  const { page, problems } = await openBoard(chrome.context, { url: `${address}/#token=${encodeURIComponent(TOKEN)}` });
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
  await page.getByTestId("tab-settings").click();
  const url = `${address}/#token=${encodeURIComponent(TOKEN)}`;
  expect(await page.getByTestId("pairing-url").innerText(), "the address a tablet opens, token in the fragment").toBe(url);
  const qr = page.getByTestId("pairing-qr");
  await qr.waitFor();
  expect(await qr.getAttribute("src"), "the code is an image, not markup").toMatch(/^data:image\/png;base64,/);
  expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth), "the image decoded").toBeGreaterThan(100);
  expect(problems.filter((p) => !/Failed to load resource|Cross-Origin-Opener-Policy header has been ignored/.test(p)), "no script errors (Chromium warns that COOP needs https off localhost)").toEqual([]);
});

it.skipIf(!LAN)("pairs a tablet from a page on loopback (the desktop window): the code carries a network address, not loopback", async () => {
  const { page, problems } = await openBoard(chrome.context, { url: `${kds.url}/#token=${encodeURIComponent(TOKEN)}` });
  expect(new URL(page.url()).hostname, "the page itself is on loopback").toBe("127.0.0.1");
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
  await page.getByTestId("tab-settings").click();
  const qr = page.getByTestId("pairing-qr");
  await qr.waitFor();
  const shown = new URL(await page.getByTestId("pairing-url").innerText());
  expect(shown.hostname, "a tablet cannot reach loopback: the code names this machine's network address").not.toMatch(/^(127\.|localhost$|\[::1\]$)/);
  expect(shown.hostname, "the machine's own address, from its interfaces").toBe(LAN);
  expect(shown.port, "the app listener's port").toBe(String(kds.appPort));
  expect(shown.hash, "the token in the fragment").toBe(`#token=${encodeURIComponent(TOKEN)}`);
  expect(await qr.getAttribute("src"), "the code is an image, not markup").toMatch(/^data:image\/png;base64,/);
  expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth), "the image decoded").toBeGreaterThan(100);
  expect(problems.filter((p) => !/Failed to load resource/.test(p)), "no script errors").toEqual([]);
});

it("a kds listening on loopback only says so in Settings, and names the setting that opens it", async () => {
  const local = await new Kds().start();
  try {
    const { page, problems } = await openBoard(chrome.context, local);
    await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
    await page.getByTestId("tab-settings").click();
    const none = page.getByTestId("pairing-none");
    await none.waitFor();
    expect(await none.innerText(), "why there is no code, and what to set").toContain("KDS_LISTEN=0.0.0.0");
    expect(await page.getByTestId("pairing-qr").count(), "no code to scan").toBe(0);
    expect(problems.filter((p) => !/Failed to load resource/.test(p)), "no script errors").toEqual([]);
  } finally {
    await local.close();
  }
});
