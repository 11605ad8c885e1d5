import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/// A stand-in for Web Audio: records what the chime asks of it. `autoplay`
/// says whether the page may start sound without a touch (WebKitGTK: yes;
/// a browser before the first touch: no).
class FakeContext extends EventTarget {
  static autoplay = true;
  static touched = false;
  static made: FakeContext[] = [];
  state: "running" | "suspended" | "closed" = "suspended";
  currentTime = 0;
  destination = {};
  started = 0;
  suspends = 0;
  constructor() {
    super();
    FakeContext.made.push(this);
    if (FakeContext.autoplay) queueMicrotask(() => this.set("running"));
  }
  private set(state: "running" | "suspended") {
    this.state = state;
    this.dispatchEvent(new Event("statechange"));
  }
  async resume() {
    if (!FakeContext.autoplay && !FakeContext.touched) throw new Error("needs a touch");
    this.set("running");
  }
  async suspend() {
    this.suspends++;
    this.set("suspended");
  }
  createOscillator() {
    const osc = { type: "", frequency: { value: 0 }, connect: (g: unknown) => g, start: () => this.started++, stop: () => {} };
    return osc;
  }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (d: unknown) => d };
  }
}

async function load() {
  vi.resetModules();
  return import("./chime");
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeContext.made = [];
  FakeContext.autoplay = true;
  FakeContext.touched = false;
  vi.stubGlobal("AudioContext", FakeContext);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("the chime's audio context", () => {
  it("does not keep running between chimes where sound starts by itself (the desktop app)", async () => {
    const { unlocked, QUIET_AFTER_MS } = await load();
    unlocked();
    await vi.advanceTimersByTimeAsync(0);
    const ctx = FakeContext.made[0];
    expect(ctx.state, "WebKitGTK starts it at once").toBe("running");
    await vi.advanceTimersByTimeAsync(QUIET_AFTER_MS);
    expect(ctx.state, "suspended while there is nothing to play").toBe("suspended");
    expect(unlocked(), "sound is still allowed: the next chime resumes it").toBe(true);
  });

  it("runs while a chime plays and is suspended again once it has rung", async () => {
    const { chime, QUIET_AFTER_MS } = await load();
    chime();
    await vi.advanceTimersByTimeAsync(QUIET_AFTER_MS);
    const ctx = FakeContext.made[0];
    expect(ctx.state).toBe("suspended");
    chime();
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.state, "a chime resumes it").toBe("running");
    expect(ctx.started, "two notes per chime, both times").toBe(4);
    await vi.advanceTimersByTimeAsync(1500);
    expect(ctx.state, "not cut short: the chime lasts 1.2 s").toBe("running");
    chime();
    await vi.advanceTimersByTimeAsync(QUIET_AFTER_MS - 1);
    expect(ctx.state, "another chime keeps it running").toBe("running");
    await vi.advanceTimersByTimeAsync(1);
    expect(ctx.state).toBe("suspended");
    expect(FakeContext.made, "one context for the page").toHaveLength(1);
  });

  it("asks for a touch in a browser, and stays unlocked after suspending", async () => {
    FakeContext.autoplay = false;
    const { unlock, unlocked, QUIET_AFTER_MS } = await load();
    expect(unlocked(), "no sound before the first touch").toBe(false);
    FakeContext.touched = true;
    await unlock();
    expect(unlocked()).toBe(true);
    await vi.advanceTimersByTimeAsync(QUIET_AFTER_MS);
    expect(FakeContext.made[0].state).toBe("suspended");
    expect(unlocked(), "suspending does not ask for another touch").toBe(true);
  });

  it("says when sound starts working by itself after the first check (the desktop app's \"Tap for sound\")", async () => {
    const { onUnlocked, unlocked } = await load();
    expect(unlocked(), "WebKitGTK has not started the context yet at the first check").toBe(false);
    let told = 0;
    onUnlocked(() => told++);
    expect(told, "not before sound works").toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(told, "told once, as soon as the context runs by itself").toBe(1);
    let late = 0;
    onUnlocked(() => late++);
    expect(late, "a listener added after sound works is told at once").toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(told + late, "and never again, whatever the context does later").toBe(2);
  });

  it("says when a touch unlocks sound in a browser, and not before", async () => {
    FakeContext.autoplay = false;
    const { onUnlocked, unlock } = await load();
    let told = 0;
    const stop = onUnlocked(() => told++);
    await unlock();
    expect(told, "a touch the browser refuses unlocks nothing").toBe(0);
    FakeContext.touched = true;
    await unlock();
    expect(told).toBe(1);
    stop();
  });
});
