import { describe, expect, it } from "vitest";
import { ageLevel, ago, changeLabel, clock, driverLabel, elapsed, isAllergyNote, type KlikitSync, modifierRows, nextChange, orderTypeLabel, reasonLabel, sourceLabel, syncDetail, syncMark } from "./format";

const placed = "2026-06-25T09:00:00Z";
const at = (s: string) => Date.parse(`2026-06-25T${s}Z`);

describe("timer", () => {
  it("counts minutes and seconds for the first minutes, then minutes, then hours", () => {
    expect(elapsed(placed, at("09:00:47")), "a timer reads in minutes from the start").toBe("0 min");
    expect(elapsed(placed, at("09:00:59"))).toBe("0 min");
    expect(elapsed(placed, at("09:01:00"))).toBe("1 min");
    expect(elapsed(placed, at("09:04:59"))).toBe("4 min");
    expect(elapsed(placed, at("09:12:59"))).toBe("12 min");
    expect(elapsed(placed, at("10:02:33"))).toBe("1 h 2 min");
    expect(elapsed(placed, at("09:00:00"))).toBe("0 min");
    expect(elapsed("2026-06-22T06:00:00Z", at("09:00:00")), "days-old orders read in days, not as 75 hours").toBe("3 d 3 h");
    expect(elapsed("2026-06-25T10:00:00Z", at("09:48:30")), "a scheduled time reads as a countdown").toBe("in 12 min");
    expect(elapsed(null, at("09:00:00"))).toBe("");
    expect(elapsed("not a time", at("09:00:00"))).toBe("");
  });

  it("knows when its text can next change: each second, then each minute, then each hour", () => {
    expect(nextChange(placed, at("09:00:47")), "a new timer changes first at its first minute").toBe(at("09:01:00"));
    expect(nextChange(placed, at("09:00:59.500"))).toBe(at("09:01:00"));
    expect(nextChange(placed, at("09:01:00")), "minutes-only text changes at the next minute").toBe(at("09:02:00"));
    expect(nextChange(placed, at("09:04:07"))).toBe(at("09:05:00"));
    expect(nextChange(placed, at("10:02:33"))).toBe(at("10:03:00"));
    expect(nextChange("2026-06-22T06:00:00Z", at("09:00:01")), "a days-old order changes each hour").toBe(at("10:00:00"));
    expect(nextChange("2026-06-25T10:00:00Z", at("09:48:30")), "a countdown changes at the minute").toBe(at("09:49:00"));
    expect(nextChange(null, at("09:00:00"))).toBe(Infinity);
  });

  it("never changes its text between two changes it announced", () => {
    // Every second for two days, from several offsets: the text at `t` is
    // the text just before the next announced change.
    for (const from of [placed, "2026-06-25T09:00:00.250Z", "2026-06-25T10:30:00.900Z"]) {
      for (let t = at("08:00:00"); t < at("08:00:00") + 2 * 86_400_000; ) {
        const next = nextChange(from, t);
        expect(next, "a change is always ahead").toBeGreaterThan(t);
        expect(elapsed(from, next - 1), `no change between ${new Date(t).toISOString()} and ${new Date(next).toISOString()}`).toBe(elapsed(from, t));
        expect(ageLevel(from, next - 1, 7, 13)).toBe(ageLevel(from, t, 7, 13));
        t = next;
      }
    }
  });

  it("turns amber at the warn threshold and red at the late one", () => {
    expect(ageLevel(placed, at("09:04:59"), 5, 10)).toBe("ok");
    expect(ageLevel(placed, at("09:05:00"), 5, 10)).toBe("warn");
    expect(ageLevel(placed, at("09:10:00"), 5, 10)).toBe("late");
    expect(ageLevel(placed, at("09:03:00"), 2, 3), "thresholds are configurable").toBe("late");
  });
});

describe("card labels", () => {
  it("names the order type, with the table for dine-in", () => {
    expect(orderTypeLabel({ order_type: "dine_in", table_no: "7" })).toBe("DINE-IN · T7");
    expect(orderTypeLabel({ order_type: "dine_in", table_no: null })).toBe("DINE-IN");
    expect(orderTypeLabel({ order_type: "delivery", table_no: null })).toBe("DELIVERY");
    expect(orderTypeLabel({ order_type: "unknown", table_no: null })).toBe("ORDER");
  });

  it("joins brand and channel, skipping what is missing", () => {
    expect(sourceLabel({ brand: { id: 1, title: "Kopi Senja" }, channel: "GrabFood" })).toBe("Kopi Senja · GrabFood");
    expect(sourceLabel({ brand: null, channel: "GoFood" })).toBe("GoFood");
    expect(sourceLabel({ brand: null, channel: null })).toBe("");
  });

  it("labels drivers and line changes", () => {
    expect(driverLabel({ driver: "arrived" })).toBe("DRIVER HERE");
    expect(driverLabel({ driver: null })).toBeNull();
    expect(changeLabel({ change: "quantity", previous_quantity: 1, quantity: 2 })).toBe("WAS 1");
    expect(changeLabel({ change: "added", previous_quantity: null, quantity: 1 })).toBe("NEW");
    expect(changeLabel({ change: "removed", previous_quantity: null, quantity: 1 })).toBe("REMOVED");
    expect(changeLabel({ change: null, previous_quantity: null, quantity: 1 })).toBeNull();
  });

  it("flattens nested modifiers with their depth for indenting", () => {
    const rows = modifierRows([
      { name: "Set A", quantity: 1, modifiers: [{ name: "Extra Pedas", quantity: 2, modifiers: [{ name: "Sambal", quantity: 1, modifiers: [] }] }] },
      { name: "Less Ice", quantity: 1, modifiers: [] },
    ]);
    expect(rows).toEqual([
      { name: "Set A", quantity: 1, depth: 1 },
      { name: "Extra Pedas", quantity: 2, depth: 2 },
      { name: "Sambal", quantity: 1, depth: 3 },
      { name: "Less Ice", quantity: 1, depth: 1 },
    ]);
  });

  it("spots allergy notes without crying wolf", () => {
    expect(isAllergyNote("No shrimp paste (terasi) - allergy")).toBe(true);
    expect(isAllergyNote("NUT ALLERGY!!")).toBe(true);
    expect(isAllergyNote("alergi kacang")).toBe(true);
    expect(isAllergyNote("Cut into 4 pieces")).toBe(false);
    expect(isAllergyNote("Donut on the side"), "a word containing 'nut' is not an allergy").toBe(false);
    expect(isAllergyNote(null)).toBe(false);
  });

  it("formats the clock and relative times", () => {
    expect(clock(new Date(2026, 5, 25, 7, 5).getTime())).toBe("07:05");
    expect(ago(placed, at("09:00:05"))).toBe("just now");
    expect(ago(placed, at("09:03:00"))).toBe("3 min ago");
    expect(ago(null, at("09:00:00"))).toBe("never");
  });
});

describe("the klikit sync mark", () => {
  const sync = (state: KlikitSync["state"], more: Partial<KlikitSync> = {}): KlikitSync => ({ outbox_id: 7, action: "picked_up", state, reason: null, note: null, ...more });

  it("names the action and where it stands", () => {
    expect(syncMark(sync("waiting")), "a waiting action reads as in progress").toBe("klikit: picked up…");
    expect(syncMark(sync("sent")), "a sent action is ticked").toBe("klikit ✓ picked up");
    expect(syncMark(sync("failed")), "a failed action is crossed").toBe("klikit ✗ picked up");
    expect(syncMark(sync("superseded"))).toBe("klikit: superseded");
    expect(syncMark(sync("cancelled")), "a recalled action says nothing was sent").toBe("klikit: not sent");
  });

  it("shows the server's reason and note as they are, else what the state means", () => {
    expect(syncDetail(sync("superseded", { reason: "klikit has it <b>cancelled</b>" })), "the reason is passed through as text, not HTML").toBe("klikit has it <b>cancelled</b>");
    expect(syncDetail(sync("sent", { note: "klikit keeps its state" }))).toBe("klikit keeps its state");
    expect(syncDetail(sync("failed", { reason: "gave up", note: "n" }))).toBe("gave up — n");
    expect(syncDetail(sync("cancelled"))).toMatch(/nothing reached klikit/);
  });
});

describe("reason codes", () => {
  it("read as words", () => {
    expect(reasonLabel("cannot_complete_request"), "underscores become spaces, first letter capital").toBe("Cannot complete request");
    expect(reasonLabel("other")).toBe("Other");
  });
});
