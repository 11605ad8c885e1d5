// The one way the board talks to the kds server: JSON over fetch, and the
// live stream (Server-Sent Events) that reconnects by itself with the last
// sequence number it saw. Nothing else in the board calls fetch or
// EventSource.

import type { ErrorBody, Health, LiveEventName, TicketEvent, TicketList } from "./api";

/// A refused API call. `body` is the parsed JSON error (it may carry the
/// current ticket on a 409).
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Partial<ErrorBody> | null,
  ) {
    super(body?.error ?? `HTTP ${status}`);
  }
}

/// The API token, needed when kds listens beyond loopback (KDS_API_TOKEN).
/// A screen is given it once in the address (`http://host:8787/#token=...`);
/// it is kept in this browser's local storage and removed from the address.
let token: string | null | undefined;

export function apiToken(): string | null {
  if (token !== undefined) return token;
  token = null;
  if (typeof location === "undefined" || typeof localStorage === "undefined") return token;
  const given = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (given) {
    localStorage.setItem("kds.token", decodeURIComponent(given[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  token = localStorage.getItem("kds.token");
  return token;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { Accept: "application/json" }, cache: "no-store" };
  const bearer = apiToken();
  if (bearer) init.headers = { ...init.headers, Authorization: `Bearer ${bearer}` };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, "Content-Type": "application/json" };
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed as ApiError["body"]);
  return parsed as T;
}

export const getJson = <T>(path: string) => call<T>("GET", path);

/// A file from the API (the CSV export, the diagnostics zip), with the token like every call.
export async function getBlob(path: string): Promise<Blob> {
  const bearer = apiToken();
  const response = await fetch(path, { cache: "no-store", headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
  if (!response.ok) {
    let body: ApiError["body"] = null;
    try {
      body = (await response.json()) as ApiError["body"];
    } catch {
      body = null;
    }
    throw new ApiError(response.status, body);
  }
  return response.blob();
}
export const postJson = <T>(path: string, body?: unknown) => call<T>("POST", path, body);
export const putJson = <T>(path: string, body: unknown) => call<T>("PUT", path, body);
export const deleteJson = <T>(path: string) => call<T>("DELETE", path);

export type LiveState = "connecting" | "live" | "down";

export interface LiveHandlers {
  snapshot(list: TicketList): void;
  ticket(event: TicketEvent): void;
  health(health: Health): void;
  state(state: LiveState): void;
}

/// The smallest part of `EventSource` the stream uses, so tests can feed it.
export interface EventSourceLike {
  onopen: ((e: Event) => void) | null;
  onerror: ((e: Event) => void) | null;
  addEventListener(type: string, listener: (e: MessageEvent) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/// Reconnect delays: quick first, then at most every 2 s.
export function reconnectDelay(attempt: number): number {
  return Math.min(2000, 200 * 2 ** Math.max(0, attempt));
}

/// The server sends an event at least every 15 s (a `ping` when nothing
/// else happened). A connection silent for longer than this is dead even if
/// it never closed (a tablet that roamed, a proxy that hung): drop it and
/// reconnect, rather than show a board that quietly stopped updating.
export const STALE_AFTER_MS = 40_000;
/// How often the watchdog looks.
const WATCHDOG_EVERY_MS = 5_000;

/// The live stream. It keeps the last `seq` it applied and resumes from it
/// after any drop (`?since=SEQ`); the server answers with what was missed,
/// or a fresh snapshot when the gap is too old.
export class LiveStream {
  private source: EventSourceLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private heardAt = 0;
  private attempt = 0;
  private stopped = false;
  lastSeq: number | null = null;
  /// What this screen shows (`?screen=`): a station, `expo`, or null for everything.
  screen: string | null = null;
  /// The name this screen gives itself (`?name=`), for Settings' screens list.
  name: string | null = null;

  constructor(
    private readonly handlers: LiveHandlers,
    private readonly open: EventSourceFactory = (url) => new EventSource(url),
    private readonly base = "/api/live",
    private readonly token: () => string | null = apiToken,
  ) {}

  start() {
    this.stopped = false;
    this.connect();
    this.watchdog ??= setInterval(() => {
      if (this.source && Date.now() - this.heardAt > STALE_AFTER_MS) this.drop(this.source);
    }, WATCHDOG_EVERY_MS);
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.source?.close();
    this.source = null;
  }

  /// The URL of the next connection: resume from the last seq when known.
  url(): string {
    const query = new URLSearchParams();
    if (this.lastSeq !== null) query.set("since", String(this.lastSeq));
    if (this.screen) query.set("screen", this.screen);
    if (this.name) query.set("name", this.name);
    const bearer = this.token();
    // EventSource cannot send headers; the live stream takes the token here.
    if (bearer) query.set("token", bearer);
    const q = query.toString();
    return q ? `${this.base}?${q}` : this.base;
  }

  /// Any error (server gone, stream ended, bad answer, silence): say so at
  /// once, drop this connection and open a new one ourselves, so the resume
  /// point is always our own last seq.
  private drop(source: EventSourceLike) {
    if (this.source !== source) return;
    source.close();
    this.source = null;
    this.handlers.state("down");
    if (!this.stopped) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.stopped) this.connect();
      }, reconnectDelay(this.attempt++));
    }
  }

  private connect() {
    this.handlers.state("connecting");
    const source = this.open(this.url());
    this.source = source;
    this.heardAt = Date.now();
    const heard = () => {
      if (this.source === source) this.heardAt = Date.now();
    };
    source.onopen = () => {
      heard();
      this.attempt = 0;
      this.handlers.state("live");
    };
    source.onerror = () => this.drop(source);
    on(source, "ping", heard);
    on(source, "snapshot", (e) => {
      heard();
      const list = parse<TicketList>(e);
      if (!list) return;
      this.lastSeq = list.seq;
      this.handlers.snapshot(list);
    });
    on(source, "ticket", (e) => {
      heard();
      const event = parse<TicketEvent>(e);
      if (!event) return;
      if (this.lastSeq !== null && event.seq <= this.lastSeq) return; // already applied
      this.lastSeq = event.seq;
      this.handlers.ticket(event);
    });
    on(source, "health", (e) => {
      heard();
      const health = parse<Health>(e);
      if (health) this.handlers.health(health);
    });
  }
}

/// Listens for one of the live stream's named events.
function on(source: EventSourceLike, name: LiveEventName, listener: (e: MessageEvent) => void) {
  source.addEventListener(name, listener);
}

function parse<T>(e: MessageEvent): T | null {
  try {
    return JSON.parse(e.data as string) as T;
  } catch {
    console.error("live stream: unreadable event", e.type);
    return null;
  }
}
