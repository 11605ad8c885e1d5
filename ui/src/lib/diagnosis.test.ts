import { describe, expect, it } from "vitest";
import type { Health, KlikitHealth } from "./api";
import { printerHealth } from "./fixtures.test-helpers";
import { diagnose, intakeSummary, klikitSummary, printerSummary, tunnelSummary } from "./diagnosis";

const health = (over: { [K in keyof Health]?: Partial<Health[K]> } = {}): Health => {
  const base: Health = {
  intake: {
    secret_configured: true,
    listen: "127.0.0.1:8080",
    received: 1,
    duplicates: 0,
    invalid_signature: 0,
    unprocessable: 0,
    store_unavailable: 0,
    last_received_at: null,
  },
  store: { status: "ok", deliveries: 1, unprocessable: 0 },
  applier: { pending: 0, lag_ms: 0 },
  tunnel: { state: "off", url: null, reason: null, mode: "off" },
  printers: [],
  };
  return {
    intake: { ...base.intake, ...over.intake },
    store: { ...base.store, ...over.store },
    applier: { ...base.applier, ...over.applier },
    tunnel: { ...base.tunnel, ...over.tunnel },
    printers: base.printers,
  };
};

describe("diagnose", () => {
  it("pairs a signature mismatch with the secret and proxy advice", () => {
    const d = diagnose({ outcome: "invalid_signature", reason: null });
    expect(d.severity).toBe("bad");
    expect(d.fix).toMatch(/webhook secret/);
    expect(d.fix).toMatch(/proxy/);
  });

  it("explains missing headers as a proxy stripping them", () => {
    expect(diagnose({ outcome: "bad_request", reason: "missing header x-klikit-signature" }).fix).toMatch(/strips unknown headers/);
  });

  it("says why an order was unprocessable", () => {
    const d = diagnose({ outcome: "unprocessable", reason: "orders is empty" });
    expect(d.words).toContain("orders is empty");
    expect(d.fix).toMatch(/klikit partner support/);
  });

  it("has nothing to fix for a good delivery, and shows unknown outcomes raw", () => {
    expect(diagnose({ outcome: "applied", reason: null })).toMatchObject({ severity: "good", fix: null });
    expect(diagnose({ outcome: "something_new", reason: "x" }).words).toBe("something_new (x)");
  });

  it("covers every outcome the intake can refuse with", () => {
    for (const outcome of ["bad_request", "invalid_signature", "too_large", "unsupported_encoding", "body_error", "no_secret", "store_unavailable"]) {
      expect(diagnose({ outcome, reason: null }).fix, `${outcome} needs advice`).not.toBeNull();
    }
  });
});

describe("header summaries", () => {
  it("shouts when there is no secret, the store is down or the tunnel failed", () => {
    expect(intakeSummary(health()).severity).toBe("good");
    expect(intakeSummary(health({ intake: { secret_configured: false, received: 0, invalid_signature: 0, last_received_at: null } })).words).toMatch(/NO SECRET/);
    expect(intakeSummary(health({ store: { status: "unavailable" } })).severity).toBe("bad");
    expect(tunnelSummary(health({ tunnel: { state: "connected", url: "https://a.trycloudflare.com" } })).words).toContain("https://a.trycloudflare.com");
    expect(tunnelSummary(health({ tunnel: { state: "failed", reason: "x" } })).severity).toBe("bad");
    expect(tunnelSummary(null).severity).toBe("info");
  });
});

describe("the klikit chip", () => {
  const health = (klikit: Partial<KlikitHealth> | undefined) =>
    ({ klikit: klikit && { state: "ok", waiting: 0, failed: 0, sent: 0, failing_since: null, reason: null, last_ok_at: null, last_catchup: null, ...klikit } }) as Health;
  const clock = (iso: string) => iso.slice(11, 16);

  it("is absent without partner keys or from an older server", () => {
    expect(klikitSummary(health({ state: "off" }), clock), "off means no chip").toBeNull();
    expect(klikitSummary(health(undefined), clock), "an older kds without the field reads as off").toBeNull();
  });

  it("words each state the server reports", () => {
    expect(klikitSummary(health({ state: "ok" }), clock)).toEqual({ words: "klikit ok", severity: "good" });
    expect(klikitSummary(health({ state: "waiting", waiting: 3 }), clock)?.words).toBe("klikit: 3 waiting");
    expect(klikitSummary(health({ state: "failing", failed: 1, failing_since: "2026-11-30T20:15:00Z" }), clock)).toEqual({ words: "klikit failing since 20:15", severity: "bad" });
    expect(klikitSummary(health({ state: "rejected" }), clock)).toEqual({ words: "klikit rejected our credentials", severity: "bad" });
  });
});

describe("printerSummary", () => {
  const printer = printerHealth;

  it("is quiet when the printer is ready", () => {
    expect(printerSummary(printer())).toEqual({ words: "Printer pass", severity: "good" });
  });

  it("shouts what stops the printer, with the jobs waiting", () => {
    expect(printerSummary(printer({ state: "offline", waiting: 3 }))).toEqual({ words: "PRINTER pass OFFLINE (3 waiting)", severity: "bad" });
    expect(printerSummary(printer({ state: "paper_out" })).words).toBe("PRINTER pass OUT OF PAPER");
    expect(printerSummary(printer({ state: "cover_open" })).words).toBe("PRINTER pass COVER OPEN");
  });

  it("names a stale ticket that was not printed", () => {
    const s = printerSummary(printer({ dropped: 1, last_dropped: { order_id: "1", short_id: "K7X2", kind: "ticket", queued_at: "2026-01-01T00:00:00Z" } }));
    expect(s).toEqual({ words: "Printer pass: #K7X2 too old, not printed", severity: "bad" });
  });

  it("says when a backup printer is printing", () => {
    expect(printerSummary(printer({ backup: true })).words).toBe("Printer pass (backup)");
    expect(printerSummary(printer({ backup: true, backup_on: true })).severity).toBe("bad");
  });
});
