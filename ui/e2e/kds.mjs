// The browser tests' and the benchmark's view of the world: the real
// `target/debug/kds serve` on free loopback ports with a temp data dir,
// deliveries signed and posted by `kds send`, and Debian's Chromium driven
// by playwright-core. Nothing here imitates the server.

import { spawn, execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHmac, randomUUID } from "node:crypto";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const KDS = process.env.KDS_BIN ?? join(ROOT, "target/debug/kds");
export const FIXTURES = join(ROOT, "tests/fixtures");
export const OUTPUT = join(ROOT, "test-output");
export const SECRET = "e2e-webhook-secret";
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** A free loopback port (bound, then released). */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function until(what, check, ms = 10_000, every = 50) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last})`);
}

/** A running `kds serve`. `restart()` stops it and starts it again on the same ports and data dir. */
export class Kds {
  /** `listen`: the app listener's address (beyond loopback it needs `env.KDS_API_TOKEN`); `env`: more environment for `kds serve`. */
  constructor({ listen = "127.0.0.1", env = {} } = {}) {
    this.dataDir = mkdtempSync(join(tmpdir(), "kds-e2e-"));
    this.child = null;
    this.log = "";
    this.listen = listen;
    this.env = env;
  }

  async start() {
    this.intakePort ??= await freePort();
    this.appPort ??= await freePort();
    this.child = spawn(
      KDS,
      ["serve", "--data-dir", this.dataDir, "--webhook-listen", `127.0.0.1:${this.intakePort}`, "--listen", `${this.listen}:${this.appPort}`],
      { env: { ...process.env, KLIKIT_WEBHOOK_SECRET: SECRET, KDS_LOG: process.env.KDS_LOG ?? "warn", ...this.env }, stdio: ["ignore", "ignore", "pipe"] },
    );
    this.child.stderr.on("data", (d) => (this.log += d.toString()));
    const child = this.child;
    await until("kds serve to answer /api/health", async () => {
      if (child.exitCode !== null) throw new Error(`kds serve exited ${child.exitCode}: ${this.log}`);
      const token = this.env.KDS_API_TOKEN;
      const r = await fetch(`${this.url}/api/health`, token ? { headers: { authorization: `Bearer ${token}` } } : undefined);
      return r.ok;
    }, 30_000);
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.appPort}`;
  }

  get intakeUrl() {
    return `http://127.0.0.1:${this.intakePort}/webhooks/klikit`;
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
    this.child = null;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async close() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Signs and posts `body` with `kds send`, as klikit would. Resolves with its output; rejects on a non-2xx. */
  send(eventType, body, eventId) {
    const file = join(this.dataDir, `delivery-${randomUUID()}.json`);
    writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body, null, 2));
    const args = ["send", "--data-dir", this.dataDir, "--event-type", eventType, "--url", this.intakeUrl];
    if (eventId) args.push("--event-id", eventId);
    args.push(file);
    return new Promise((ok, fail) =>
      execFile(KDS, args, { env: { ...process.env, KLIKIT_WEBHOOK_SECRET: SECRET, KDS_LOG: "warn" } }, (err, stdout, stderr) => {
        rmSync(file, { force: true });
        if (err) fail(new Error(`kds send failed: ${stdout} ${stderr}`));
        else ok(stdout.trim());
      }),
    );
  }

  /** Posts `body` signed with `secret` straight from Node (the benchmark's fast path; tests use `send`). */
  async post(eventType, body, secret = SECRET) {
    const raw = typeof body === "string" ? body : JSON.stringify(body);
    const signature = createHmac("sha256", secret).update(raw).digest("hex");
    const r = await fetch(this.intakeUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-klikit-signature": signature, "x-klikit-event-id": randomUUID(), "x-klikit-event-type": eventType },
      body: raw,
    });
    return { status: r.status, body: await r.text() };
  }

  async api(path, init) {
    const r = await fetch(`${this.url}${path}`, init);
    return { status: r.status, headers: r.headers, body: await r.json().catch(() => null) };
  }
}

export const CREATED = "klikit.order.created.v2";
export const STATUS = "klikit.order.status.updated";
export const CART = "klikit.order.cart.updated";

export function fixture(name) {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));
}

let serial = 0;

/**
 * A variant of a fixture's first order: a fresh order id and short id,
 * placed `minutesAgo` minutes ago, with `edit(order)` applied.
 */
export function order(name, { id, shortId, minutesAgo = 1, status, edit } = {}) {
  const body = fixture(name);
  const o = body.orders[0];
  serial += 1;
  o.id = id ?? 9_000_000 + Math.floor(Math.random() * 900_000) + serial;
  o.short_id = shortId ?? `T${String(o.id).slice(-3)}`;
  const placed = new Date(Date.now() - minutesAgo * 60_000);
  o.created_at = placed.toISOString().replace(/\.\d+Z$/, "Z");
  o.updated_at = o.created_at;
  if (o.scheduled_time) o.scheduled_time = new Date(Date.now() + 90 * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  if (status !== undefined) o.status = status;
  body.orders = [o];
  edit?.(o);
  return body;
}

/** A later version of the same order (status or cart update): bumps `updated_at`. */
export function later(body, edit) {
  const copy = structuredClone(body);
  const o = copy.orders[0];
  o.updated_at = new Date(Date.now()).toISOString().replace(/\.\d+Z$/, "Z");
  edit?.(o);
  return copy;
}

/** Edits line `i` in both cart shapes klikit sends (`cart` and `cart_v2`). */
export function editLine(o, i, { name, quantity, comment }) {
  const [a, b] = [o.cart?.[i], o.cart_v2?.[i]];
  if (name !== undefined) {
    if (a) (a.title = name), (a.klikit_name = name), a.title_v2 && (a.title_v2.en = name);
    if (b) (b.name = name), (b.klikit_name = name), b.klikit_name_translation && (b.klikit_name_translation.en = name);
  }
  if (quantity !== undefined) {
    if (a) a.quantity = quantity;
    if (b) b.quantity = quantity;
  }
  if (comment !== undefined) {
    if (a) a.comment = comment;
    if (b) b.comment = comment;
  }
}

/** Removes line `i` from both cart shapes. */
export function dropLine(o, i) {
  o.cart?.splice(i, 1);
  o.cart_v2?.splice(i, 1);
}

/**
 * Starts one of `kds dev`'s fakes (`fake-klikit`, `fake-printer`) with
 * `args` and waits for `ready` on its output. Returns { child, log(), stop() };
 * `log()` is everything it has printed so far.
 */
export async function startFake(args, ready) {
  let log = "";
  const child = spawn(KDS, ["dev", ...args], { env: { ...process.env, KDS_LOG: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => (log += d.toString()));
  child.stderr.on("data", (d) => (log += d.toString()));
  await until(`kds dev ${args[0]} to start`, () => {
    if (child.exitCode !== null) throw new Error(`kds dev ${args[0]} exited ${child.exitCode}: ${log}`);
    return log.includes(ready);
  });
  return { child, log: () => log, stop: () => child.kill("SIGTERM") };
}

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--autoplay-policy=no-user-gesture-required",
];

/** Debian's Chromium, headless, with a fresh profile. Returns { context, close }. */
export async function browser({ width = 1920, height = 1080 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "kds-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width, height },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Collects a page's console errors, CSP violations (reported as console
 * errors), uncaught exceptions and dialogs, so a test can assert none came.
 */
export function watchProblems(page) {
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

/** Opens the board and collects console errors, CSP violations and dialogs. */
export async function openBoard(context, kds) {
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = watchProblems(page);
  await page.goto(kds.url);
  return { page, problems };
}

export function screenshotPath(name) {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, name);
}

/**
 * Opens one more screen in `context` at `query` (like `?screen=grill`),
 * waits until its live stream is up, and collects its problems (console
 * errors, CSP violations, dialogs) like `openBoard`.
 */
export async function openScreen(context, kds, query = "") {
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${kds.url}/${query}`);
  await page.getByTestId("live-state").filter({ hasText: "LIVE" }).waitFor({ timeout: 10_000 });
  return { page, problems };
}
