// The first-run setup's words: the steps' names and the email a kitchen
// sends its klikit operator. Pure functions; what the server knows (the
// webhook URL, the ids seen, install help) comes from GET /api/setup.

import type { SeenIds } from "./api";

/// The setup's steps, in order; the last is optional.
export const SETUP_STEPS = [
  { key: "secret", title: "Webhook secret" },
  { key: "reach", title: "Make kds reachable" },
  { key: "test", title: "Test and tell klikit" },
  { key: "partner", title: "klikit partner API (optional)" },
] as const;

export type SetupStep = (typeof SETUP_STEPS)[number]["key"];

/// Ids typed in by a person: digits separated by commas or spaces.
export function parseIds(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/// The distinct brand and branch ids among `seen`, in order.
export function seenIds(seen: readonly SeenIds[]): { brands: string[]; branches: number[] } {
  const brands: string[] = [];
  const branches: number[] = [];
  for (const s of seen) {
    if (s.brand_id !== null) {
      const label = s.brand_title ? `${s.brand_id} (${s.brand_title})` : String(s.brand_id);
      if (!brands.includes(label)) brands.push(label);
    }
    if (s.branch_id !== null && !branches.includes(s.branch_id)) branches.push(s.branch_id);
  }
  return { brands, branches };
}

/// The email for the klikit operator: where to send the webhooks, for
/// which brands and branches. Plain text, ready to copy.
export function operatorEmail(webhookUrl: string | null, brands: readonly string[], branches: readonly number[]): string {
  const list = (xs: readonly (string | number)[]) => (xs.length ? xs.join(", ") : "(please fill in)");
  return [
    "Subject: Order webhooks for our kitchen display",
    "",
    "Hello,",
    "",
    "please send our klikit order webhooks (order created, status updated, cart updated) to:",
    "",
    `  ${webhookUrl ?? "(the webhook URL: set up step 2 first)"}`,
    "",
    `Brand id(s): ${list(brands)}`,
    `Branch id(s): ${list(branches)}`,
    "",
    "The webhook secret is the one klikit gave us; we have set it in our kitchen display.",
    "",
    "Thank you!",
  ].join("\n");
}

/// The window event that opens the setup (Settings' "Run setup again").
export const SETUP_EVENT = "kds:setup";

export function openSetup(): void {
  window.dispatchEvent(new Event(SETUP_EVENT));
}
