import { describe, expect, it, vi } from "vitest";
import type { Health, TicketEvent, TicketList } from "./api";
import { ticket } from "./fixtures.test-helpers";
import { LiveStream, reconnectDelay, STALE_AFTER_MS, type EventSourceLike, type LiveState } from "./transport";

class FakeSource implements EventSourceLike {
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  listeners = new Map<string, (e: MessageEvent) => void>();
  constructor(readonly url: string) {}
  addEventListener(type: string, l: (e: MessageEvent) => void) {
    this.listeners.set(type, l);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown) {
    this.listeners.get(type)?.({ type, data: typeof data === "string" ? data : JSON.stringify(data) } as MessageEvent);
  }
}

function harness() {
  const sources: FakeSource[] = [];
  const got = { snapshots: [] as TicketList[], tickets: [] as TicketEvent[], health: [] as Health[], states: [] as LiveState[] };
  const stream = new LiveStream(
    {
      snapshot: (l) => got.snapshots.push(l),
      ticket: (e) => got.tickets.push(e),
      health: (h) => got.health.push(h),
      state: (s) => got.states.push(s),
    },
    (url) => {
      const s = new FakeSource(url);
      sources.push(s);
      return s;
    },
  );
  return { stream, sources, got };
}

describe("LiveStream", () => {
  it("says it is down at once, and resumes from the last seq it applied", () => {
    vi.useFakeTimers();
    const { stream, sources, got } = harness();
    stream.start();
    expect(sources[0].url, "the first connection asks for a snapshot").toBe("/api/live");
    sources[0].onopen?.(new Event("open"));
    sources[0].emit("snapshot", { seq: 4, tickets: [ticket("1")] });
    sources[0].emit("ticket", { seq: 5, ticket: ticket("2") });
    sources[0].onerror?.(new Event("error"));
    expect(got.states, "the drop is reported before any retry").toEqual(["connecting", "live", "down"]);
    expect(sources[0].closed, "the failed connection is closed so the browser does not retry it on its own").toBe(true);
    vi.advanceTimersByTime(reconnectDelay(0));
    expect(sources[1].url).toBe("/api/live?since=5");
    stream.stop();
    vi.useRealTimers();
  });

  it("drops a connection that has gone silent, though it never closed, and resumes", () => {
    vi.useFakeTimers();
    const { stream, sources, got } = harness();
    stream.start();
    sources[0].onopen?.(new Event("open"));
    sources[0].emit("snapshot", { seq: 7, tickets: [] });
    // A quiet kitchen: only the server's pings, well within the limit.
    for (let i = 0; i < 8; i++) {
      vi.advanceTimersByTime(15_000);
      sources[0].emit("ping", {});
    }
    expect(sources.length, "a connection that pings is alive, however quiet the kitchen").toBe(1);
    expect(got.states.at(-1)).toBe("live");
    // Then nothing at all: no ping, no error, no close.
    vi.advanceTimersByTime(STALE_AFTER_MS + 5_000);
    expect(got.states.at(-1), "a silent connection is reported down, not left showing a stale board").toBe("down");
    expect(sources[0].closed, "the dead connection is closed").toBe(true);
    vi.advanceTimersByTime(reconnectDelay(0));
    expect(sources[1]?.url, "it reconnects from the last seq it applied").toBe("/api/live?since=7");
    stream.stop();
    vi.useRealTimers();
  });

  it("skips events it has already applied and survives an unreadable one", () => {
    const { stream, sources, got } = harness();
    stream.start();
    sources[0].emit("snapshot", { seq: 10, tickets: [] });
    sources[0].emit("ticket", { seq: 9, ticket: ticket("1") });
    sources[0].emit("ticket", "{not json");
    sources[0].emit("ticket", { seq: 11, ticket: ticket("2") });
    sources[0].emit("health", { intake: {}, store: {}, applier: {}, tunnel: { state: "off" } });
    expect(got.tickets.map((e) => e.seq)).toEqual([11]);
    expect(got.health.length).toBe(1);
    stream.stop();
  });

  it("passes the API token to the live stream in the query, since EventSource has no headers", () => {
    const stream = new LiveStream({ snapshot() {}, ticket() {}, health() {}, state() {} }, () => new FakeSource(""), "/api/live", () => "t o+k");
    expect(stream.url()).toBe("/api/live?token=t+o%2Bk");
    stream.lastSeq = 7;
    expect(stream.url()).toBe("/api/live?since=7&token=t+o%2Bk");
  });

  it("names the screen it is (a station or the expo) and what it calls itself, on every connection", () => {
    const stream = new LiveStream({ snapshot() {}, ticket() {}, health() {}, state() {} }, () => new FakeSource(""), "/api/live", () => null);
    stream.screen = "grill";
    stream.name = "Grill tablet";
    stream.lastSeq = 3;
    expect(stream.url()).toBe("/api/live?since=3&screen=grill&name=Grill+tablet");
  });

  it("backs off but retries at least every two seconds", () => {
    expect(reconnectDelay(0)).toBe(200);
    expect(reconnectDelay(1)).toBe(400);
    expect(reconnectDelay(20)).toBe(2000);
  });

  it("stops reconnecting once stopped", () => {
    vi.useFakeTimers();
    const { stream, sources } = harness();
    stream.start();
    sources[0].onerror?.(new Event("error"));
    stream.stop();
    vi.advanceTimersByTime(5000);
    expect(sources.length).toBe(1);
    vi.useRealTimers();
  });
});
