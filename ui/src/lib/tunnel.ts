// What a person needs to know about the tunnel: the URL to give klikit, what
// to watch out for, and how to install cloudflared. Pure functions.

import type { Health } from "./api";

export interface InstallStep {
  os: string;
  how: string;
}

export interface TunnelAdvice {
  /// The full webhook URL to register with klikit, when there is one.
  webhookUrl: string | null;
  /// Warnings, most important first.
  warnings: string[];
  /// How to install cloudflared, when it is missing.
  install: InstallStep[] | null;
}

export const INSTALL_STEPS: InstallStep[] = [
  { os: "Debian / Ubuntu", how: "Install the cloudflared .deb from Cloudflare's package repository (pkg.cloudflare.com), or put the cloudflared binary on PATH." },
  { os: "Windows", how: "winget install --id Cloudflare.cloudflared" },
  { os: "macOS", how: "brew install cloudflared" },
];

/// The webhook path klikit posts to, under a public base URL.
export function webhookUrl(base: string): string {
  return `${base.replace(/\/+$/, "")}/webhooks/klikit`;
}

export function tunnelAdvice(tunnel: Health["tunnel"] | undefined): TunnelAdvice {
  if (!tunnel) return { webhookUrl: null, warnings: [], install: null };
  const warnings: string[] = [];
  if (tunnel.state === "failed" || tunnel.state === "reconnecting") {
    warnings.push(`The tunnel is ${tunnel.state === "failed" ? "down" : "reconnecting"}: klikit cannot reach this kitchen until it is back.${tunnel.reason ? ` (${tunnel.reason})` : ""}`);
  }
  if (tunnel.mode === "quick" && tunnel.url) {
    warnings.push("This is a quick tunnel: its URL changes every time kds starts, and klikit registers URLs by hand. Use it for a trial; for service, set up a named tunnel.");
  }
  if (tunnel.state === "off") {
    warnings.push("No tunnel: klikit can only reach this kitchen through your own reverse proxy to the receiver.");
  }
  return {
    webhookUrl: tunnel.url ? webhookUrl(tunnel.url) : null,
    warnings,
    install: tunnel.state === "not_installed" ? INSTALL_STEPS : null,
  };
}
