// Time to first order: the real `kds serve` from an empty data dir (no
// secret, no tunnel), a fake `cloudflared` (a shell script that logs a
// registered connection the way a named tunnel does), and Chromium walking
// the first-run setup: paste the secret (with stray spaces, which the
// server removes and warns about), choose a named tunnel and paste its
// token, run the self-test. It counts the steps, measures the time from
// opening the board until the self-test's ticket is on it, and saves a
// screenshot of each step in test-output/.
//
// The fake tunnel has no HTTPS hostname that this machine could reach, so
// the self-test posts to the local intake (the one the tunnel points at)
// and its public hops (dns, tls, tunnel) are skipped, not passed.

import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { browser, Kds, openBoard, screenshotPath } from "./kds.mjs";

const TOKEN = "eyJmaXJzdC1ydW4iOiJ0b2tlbiJ9";

let kds: Kds;
let chrome: Awaited<ReturnType<typeof browser>>;

beforeAll(async () => {
  kds = new Kds({ env: { KLIKIT_WEBHOOK_SECRET: "", KDS_LOG: "info" } });
  const fake = join(kds.dataDir, "cloudflared");
  writeFileSync(
    fake,
    [
      "#!/bin/sh",
      `env > "${kds.dataDir}/cloudflared.env"`,
      'echo "2026-11-30T10:00:00Z INF Starting tunnel tunnelID=first-run" >&2',
      'echo "2026-11-30T10:00:01Z INF Registered tunnel connection connIndex=0 connection=f1f1 event=0 ip=198.41.200.13 location=sin02 protocol=quic" >&2',
      "exec sleep 600",
      "",
    ].join("\n"),
  );
  chmodSync(fake, 0o755);
  kds.env.KDS_CLOUDFLARED = fake;
  await kds.start();
  chrome = await browser({ width: 1280, height: 900 });
});

afterAll(async () => {
  await chrome?.close();
  await kds?.close();
});

it("walks the first-run setup in 3 steps to a self-test ticket on the board", async () => {
  const started = performance.now();
  const { page, problems } = await openBoard(chrome.context, kds);
  const setup = page.getByTestId("setup");
  await setup.waitFor({ state: "visible", timeout: 10_000 });
  const visited = new Set<string>();
  const shot = async (n: number) => {
    visited.add((await setup.getAttribute("data-step")) ?? "?");
    await page.screenshot({ path: screenshotPath(`first-run-step-${n}.png`) });
  };

  // Step 1: the secret, pasted with spaces around it (an input drops line breaks itself).
  expect(await setup.getAttribute("data-step")).toBe("secret");
  await page.getByTestId("setup-secret").fill("  first-run-secret ");
  await page.getByTestId("setup-save-secret").click();
  await page.getByTestId("setup-warning").filter({ hasText: "removed" }).waitFor({ timeout: 10_000 });
  await shot(1);
  const health = await kds.api("/api/health");
  expect(health.body.intake.secret_configured, "the secret is in force at once").toBe(true);

  // Step 2: a named tunnel with its token; cloudflared starts without a restart.
  await page.getByTestId("setup-go-reach").click();
  await page.getByTestId("setup-named").check();
  await page.getByTestId("setup-token").fill(TOKEN);
  await page.getByTestId("setup-apply").click();
  await page.locator('[data-testid=setup-tunnel][data-state="connected"]').waitFor({ timeout: 15_000 });
  await shot(2);

  // Step 3: the self-test, each hop passed or (without a public URL) skipped.
  await page.getByTestId("setup-next").click();
  await page.getByTestId("setup-selftest").click();
  const result = page.getByTestId("setup-selftest-result");
  await result.waitFor({ timeout: 30_000 });
  const hops = await page.getByTestId("setup-hop").evaluateAll((els) => els.map((e) => `${e.textContent?.trim().split(" ")[0]}:${e.getAttribute("data-outcome")}`));
  expect(await result.getAttribute("data-passed"), `every hop passed or was skipped: ${hops.join(", ")}`).toBe("true");
  for (const hop of ["intake", "signature", "stored", "shown"]) expect(hops, `the ${hop} hop passed`).toContain(`${hop}:passed`);
  await page.getByTestId("setup-branches").fill("3307");
  await page.getByTestId("setup-brands").fill("23");
  const email = await page.getByTestId("setup-email").inputValue();
  expect(email).toContain("Branch id(s): 3307");
  expect(email).toContain("Brand id(s): 23");
  await shot(3);

  // Done: the self-test's ticket is on the board.
  await page.getByTestId("setup-done").click();
  await page.locator('[data-testid=ticket]').filter({ hasText: "TEST" }).first().waitFor({ state: "visible", timeout: 15_000 });
  const seconds = (performance.now() - started) / 1000;

  expect(visited.size, `steps walked: ${[...visited].join(", ")}`).toBeLessThanOrEqual(3);
  const env = (await import("node:fs")).readFileSync(join(kds.dataDir, "cloudflared.env"), "utf8");
  expect(env, "the pasted token reaches cloudflared").toContain(`TUNNEL_TOKEN=${TOKEN}`);
  expect(kds.log, "the token is never logged").not.toContain(TOKEN);
  expect(problems.filter((p) => !/Failed to load resource/.test(p)), "no script errors").toEqual([]);
  writeFileSync(screenshotPath("first-run.json"), JSON.stringify({ steps: visited.size, seconds_to_first_ticket: Number(seconds.toFixed(2)) }, null, 2));
  console.log(`first run: ${visited.size} steps, ${seconds.toFixed(1)} s from opening the board to the self-test's ticket on it`);
});
