import { describe, expect, it, vi } from "vitest";
import { TimerClock, type TimerSpec } from "./timer";

const at = (s: string) => Date.parse(`2026-06-25T${s}Z`);
const spec = (start: string, extra: Partial<TimerSpec> = {}): TimerSpec => ({ start: `2026-06-25T${start}Z`, warn: 10, late: 15, countdown: false, ...extra });

/// Ticks `clock` once a second from `from` for `seconds` seconds.
function run(clock: TimerClock, from: number, seconds: number) {
  for (let i = 1; i <= seconds; i++) clock.tick(from + i * 1000);
}

describe("the shared timer clock", () => {
  it("notifies a new card at each of its minutes, with the text it now shows", () => {
    const clock = new TimerClock(at("09:00:30"));
    const seen: string[] = [];
    const { face } = clock.watch(spec("09:00:00"), (f) => seen.push(f.text));
    expect(face.text, "the face at once, without waiting for a tick").toBe("0 min");
    run(clock, at("09:00:30"), 140); // to 09:02:50
    expect(seen).toEqual(["1 min", "2 min"]);
  });

  it("neither recomputes nor notifies a card whose text did not change", () => {
    const clock = new TimerClock(at("09:12:00.500"));
    const notify = vi.fn();
    clock.watch(spec("09:00:00"), notify);
    const before = clock.computed;
    run(clock, at("09:12:00.500"), 59);
    expect(clock.computed - before, "a 12-minute timer reads '12 min' until 09:13: nothing to compute in 59 seconds").toBe(0);
    expect(notify, "and nothing to re-render").not.toHaveBeenCalled();
    clock.tick(at("09:13:00.500"));
    expect(clock.computed - before, "computed once at the minute").toBe(1);
    expect(notify).toHaveBeenCalledExactlyOnceWith({ text: "13 min", level: "warn" });
  });

  it("over ten minutes, touches fifty old cards only at their minutes and a new one at its minutes too", () => {
    const start = at("10:00:00.300");
    const clock = new TimerClock(start);
    const old = vi.fn();
    for (let i = 0; i < 50; i++) clock.watch(spec(`09:${String(10 + (i % 40)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}`), old);
    const young = vi.fn();
    clock.watch(spec("10:00:00"), young);
    run(clock, start, 600);
    expect(old.mock.calls.length, "each old card changes once a minute: 10 times each").toBe(50 * 10);
    expect(young.mock.calls.length, "the new card too changes once a minute").toBe(10); // 1 … 10 min
  });

  it("notifies a colour change at the warn and late minutes; a countdown never turns red", () => {
    const clock = new TimerClock(at("09:09:59"));
    const levels: string[] = [];
    clock.watch(spec("09:00:00"), (f) => levels.push(f.level));
    const countdown = vi.fn();
    clock.watch(spec("09:30:00", { countdown: true }), (f) => countdown(f.level));
    run(clock, at("09:09:59"), 6 * 60);
    expect(levels.filter((l, i) => l !== levels[i - 1])).toEqual(["warn", "late"]);
    expect(countdown.mock.calls.every(([l]) => l === "ok"), "a scheduled order's countdown stays neutral").toBe(true);
  });

  it("stops notifying a card once it stops watching", () => {
    const clock = new TimerClock(at("09:01:00"));
    const notify = vi.fn();
    const { stop } = clock.watch(spec("09:00:00"), notify);
    stop();
    run(clock, at("09:01:00"), 5);
    expect(notify).not.toHaveBeenCalled();
    expect(clock.size).toBe(0);
  });
});
