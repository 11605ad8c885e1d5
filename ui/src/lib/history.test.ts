import { describe, expect, it } from "vitest";
import type { LogEntry } from "./api";
import { describeEntry } from "./history";

const entry = (kind: string, detail: Record<string, unknown>): LogEntry => ({ id: 1, at: "2026-11-30T12:00:00Z", source: "screen", kind, detail, delivery_seq: null });

describe("a timeline entry in words", () => {
  it("names moves with their columns", () => {
    expect(describeEntry(entry("bump", { from: "new", to: "preparing" }))).toBe("bump: new → preparing");
    expect(describeEntry(entry("status", { code: 2, from: "new", to: "preparing" }))).toBe("klikit status 2: new → preparing");
    expect(describeEntry(entry("status", { code: 1, from: "new", to: "new" })), "a status that moved nothing names only its code").toBe("klikit status 1");
  });

  it("names reasons and plain kinds", () => {
    expect(describeEntry(entry("rejected", { from: "new", reason_code: "out_of_stock" }))).toBe("rejected (out_of_stock)");
    expect(describeEntry(entry("self_test_done", { from: "new", to: "done" }))).toBe("self test done: new → done");
    expect(describeEntry(entry("received", { status: 1 }))).toBe("received");
  });
});
