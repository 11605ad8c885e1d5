import { describe, expect, it } from "vitest";
import { tunnelAdvice, webhookUrl } from "./tunnel";

describe("tunnel advice", () => {
  it("gives klikit the webhook path under the public URL", () => {
    expect(webhookUrl("https://a.trycloudflare.com")).toBe("https://a.trycloudflare.com/webhooks/klikit");
    expect(webhookUrl("https://orders.example.com/"), "a trailing slash is not doubled").toBe("https://orders.example.com/webhooks/klikit");
  });

  it("warns that a quick tunnel's URL changes on every start", () => {
    const a = tunnelAdvice({ state: "connected", url: "https://x.trycloudflare.com", mode: "quick", reason: null });
    expect(a.webhookUrl).toBe("https://x.trycloudflare.com/webhooks/klikit");
    expect(a.warnings.join(" ")).toMatch(/changes every time/);
    const named = tunnelAdvice({ state: "connected", url: "https://orders.example.com", mode: "named", reason: null });
    expect(named.warnings, "a named tunnel is the production setup: nothing to warn about").toEqual([]);
  });

  it("explains how to install cloudflared only when it is missing", () => {
    const missing = tunnelAdvice({ state: "not_installed", url: null, reason: "cloudflared not found on PATH", mode: "quick" });
    expect(missing.install?.map((s) => s.os)).toEqual(["Debian / Ubuntu", "Windows", "macOS"]);
    expect(missing.webhookUrl).toBeNull();
    expect(tunnelAdvice({ state: "connected", url: "https://u", mode: "named", reason: null }).install).toBeNull();
  });

  it("says plainly when klikit cannot reach the kitchen", () => {
    const down = tunnelAdvice({ state: "failed", url: null, reason: "exited with status 1", mode: "named" });
    expect(down.warnings[0]).toMatch(/down.*cannot reach.*exited with status 1/);
    expect(tunnelAdvice({ state: "off", url: null, mode: "off", reason: null }).warnings[0]).toMatch(/reverse proxy/);
  });
});
