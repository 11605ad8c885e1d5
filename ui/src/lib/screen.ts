// The screen: the board state wired to the server. Owns the live stream,
// the health and settings it shows, the clock, and the actions a cook
// takes (bump, recall, acknowledge), each sent to the API with the column
// the cook saw (`from`) so a stale tap is refused rather than misapplied.

import { getContext, setContext } from "svelte";
import { writable } from "svelte/store";
import {
  COLUMN,
  DEFAULT_SETTINGS,
  type Action,
  type ActionRequest,
  type AllDay,
  type BrandInfo,
  type ScreenList,
  type StationSettings,
  type StationSetup,
  type TicketList,
  type Column,
  type Delivery,
  type DeliveryList,
  type DoneList,
  type Health,
  type SelftestReport,
  type Settings,
  type SettingsUpdate,
  type Ticket,
} from "./api";
import { Board, dragSteps } from "./board";
import { chime } from "./chime";
import { readDisplay, storageKey, writeDisplay, type Display } from "./display";
import { TimerClock } from "./timer";
import { ApiError, getJson, LiveStream, postJson, putJson, type LiveState } from "./transport";

export { DEFAULT_SETTINGS };
export type { Action };

/// How often the chime repeats while a new order is untouched (when the
/// kitchen turned repeating on).
export const CHIME_REPEAT_MS = 10_000;

/// The screen's views, chosen in the header.
export type View = "board" | "done" | "diagnostics" | "history" | "reports" | "settings";

/// The name of the screen that sees every line and moves tickets to Ready.
export const EXPO = "expo";

/// What this screen shows, as the server last said: a station, the expo, or
/// everything (`name` null); `notice` when the station asked for is gone.
export interface ScreenChoice {
  name: string | null;
  notice: string | null;
}

export class Screen {
  readonly board: Board;
  readonly live = writable<LiveState>("connecting");
  readonly health = writable<Health | null>(null);
  readonly settings = writable<Settings>({ ...DEFAULT_SETTINGS });
  readonly now = writable<number>(Date.now());
  /// The cards' timers: each card hears only of its own timer's changes.
  readonly timers = new TimerClock(Date.now());
  /// How this screen shows the board (scale, layout, keys): from the
  /// address, else what Settings stored in this browser.
  readonly display: ReturnType<typeof writable<Display>>;
  /// The station, expo or everything this screen shows (`?screen=`).
  readonly choice: ReturnType<typeof writable<ScreenChoice>>;
  /// Brands with their colours (`GET /api/stations`), by id.
  readonly brands = writable<Map<number, BrandInfo>>(new Map());
  /// An expo bump waiting for "yes, the stations are not all done".
  readonly confirming = writable<Ticket | null>(null);
  /// The all-day panel: open or not.
  readonly allDayOpen = writable(false);
  /// A short message for the cook (a refused bump, say); null when none.
  readonly notice = writable<string | null>(null);
  private current: Settings = { ...DEFAULT_SETTINGS };
  private stream: LiveStream;
  private intervals: ReturnType<typeof setInterval>[] = [];
  private lastChime = 0;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  /// `screen`: a station, `expo` or null (everything); `name`: what this
  /// screen calls itself in Settings' list of connected screens.
  constructor(display: Display = readDisplay("", null), screen: string | null = null, name: string | null = null) {
    this.display = writable(display);
    this.choice = writable({ name: screen, notice: null });
    this.board = new Board(() => this.ring());
    this.stream = new LiveStream({
      snapshot: (list) => this.snapshot(list),
      ticket: (event) => this.board.event(event, Date.now()),
      health: (h) => this.health.set(h),
      state: (s) => this.live.set(s),
    });
    this.stream.screen = screen;
    this.stream.name = name;
    this.settings.subscribe((s) => (this.current = s));
    this.choice.subscribe((c) => (this.chosen = c));
  }

  private chosen: ScreenChoice = { name: null, notice: null };

  /// A station's name when this is a station screen, else null.
  get station(): string | null {
    const name = this.chosen.name;
    return name && name !== EXPO ? name : null;
  }

  get isExpo(): boolean {
    return this.chosen.name === EXPO;
  }

  /// A snapshot says what the screen now shows: a station deleted while
  /// its screen was open falls back to everything, with the server's notice.
  private snapshot(list: TicketList) {
    if (list.notice) {
      this.stream.screen = null;
      this.choice.set({ name: null, notice: list.notice });
      this.say(list.notice);
    } else if (list.screen !== undefined || this.chosen.name === null) {
      this.choice.set({ name: list.screen ?? null, notice: null });
    }
    this.board.snapshot(list, Date.now());
  }

  start() {
    this.stream.start();
    void this.loadSettings();
    void this.loadBrands();
    void getJson<Health>("/api/health").then((h) => this.health.set(h), () => {});
    this.intervals.push(
      setInterval(() => {
        const t = Date.now();
        this.now.set(t);
        this.timers.tick(t);
        this.board.tick(t);
        if (this.current.chime && this.current.chime_repeat && this.board.hasFresh() && t - this.lastChime >= CHIME_REPEAT_MS) {
          this.lastChime = t;
          chime();
        }
      }, 1000),
    );
  }

  stop() {
    this.stream.stop();
    for (const t of this.intervals) clearInterval(t);
    this.intervals = [];
  }

  private ring() {
    if (!this.current.chime) return;
    const t = Date.now();
    if (t - this.lastChime < 1500) return; // a burst of orders rings once
    this.lastChime = t;
    chime();
  }

  say(message: string) {
    this.notice.set(message);
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => this.notice.set(null), 5000);
  }

  // ---- actions ----

  /// Sends one action for a ticket as the cook saw it. Returns the updated
  /// ticket, or null when it was refused (the reason is shown).
  /// On a station screen, bump and recall act on that station's lines.
  async act(action: Action, ticket: Ticket): Promise<Ticket | null> {
    const station = this.station;
    if (station && (action === "bump" || action === "recall")) return this.post(action, ticket, { station });
    return this.post(action, ticket, { from: ticket.column });
  }

  /// A confirmed reject or cancel with its reason code: the server decides
  /// which one klikit gets (reject before it accepted, cancel after).
  async withdraw(ticket: Ticket, reasonCode: string): Promise<Ticket | null> {
    return this.post("cancel", ticket, { from: ticket.column, reason_code: reasonCode, confirm: true });
  }

  private async post(action: Action | "cancel", ticket: Ticket, body: ActionRequest): Promise<Ticket | null> {
    try {
      const updated = await postJson<Ticket>(`/api/tickets/${encodeURIComponent(ticket.order_id)}/${action}`, body);
      this.answered(updated);
      return updated;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        if (e.body?.ticket) this.answered(e.body.ticket);
        this.say(`#${ticket.short_id} changed meanwhile: ${e.body?.error ?? "not moved"}`);
      } else if (e instanceof ApiError && e.status === 400) {
        this.say(`Could not ${action} #${ticket.short_id}: ${e.body?.error ?? "refused"}`);
      } else if (e instanceof ApiError && e.status === 404) {
        this.say(`#${ticket.short_id} is no longer on the server`);
      } else {
        this.say(`Could not ${action} #${ticket.short_id}: the server did not answer`);
      }
      return null;
    }
  }

  /// An answer is the whole ticket; a station screen shows only its lines,
  /// so it waits for the live stream's view of the change instead.
  private answered(ticket: Ticket) {
    if (!this.station) this.board.answer(ticket);
  }

  /// A person's retry of a klikit action that failed (the outbox sends it again).
  async retrySync(ticket: Ticket) {
    const sync = ticket.klikit_sync;
    if (!sync) return;
    try {
      await postJson(`/api/klikit/outbox/${sync.outbox_id}/retry`);
      this.say(`#${ticket.short_id}: sending to klikit again`);
    } catch (e) {
      this.say(e instanceof ApiError && e.status === 400 ? `#${ticket.short_id}: ${e.body?.error ?? "not retried"}` : `Could not retry #${ticket.short_id}: the server did not answer`);
    }
  }

  /// A tap or Enter: acknowledge a cancelled ticket, else bump it (with undo).
  async primary(id: string) {
    const t = this.board.get(id);
    if (!t) return;
    if (t.cancelled || t.column === COLUMN.cancelled) {
      await this.act("acknowledge", t);
      return;
    }
    if (this.isExpo && !t.complete && (t.column === COLUMN.new || t.column === COLUMN.preparing)) {
      this.confirming.set(t);
      return;
    }
    await this.bump(t);
  }

  /// Bumps `t`; a whole-ticket bump can be undone for a moment, a
  /// station's bump recalled with the recall key.
  async bump(t: Ticket) {
    this.confirming.set(null);
    const updated = await this.act("bump", t);
    if (updated && this.station) this.lastStationBump = t;
    else if (updated) this.board.offerUndo(updated, t.column, Date.now());
  }

  private lastStationBump: Ticket | null = null;

  /// Recall with nothing selected: this station's last bump (its lines back
  /// on this screen), else the top of the recall list.
  async recallLast() {
    const t = this.station ? this.lastStationBump : null;
    this.lastStationBump = null;
    const [last] = t ? [t] : await this.doneTickets(1).catch(() => []);
    if (last) await this.act("recall", last);
  }

  /// The expo's rush mark: on, or off again.
  async rush(id: string) {
    const t = this.board.get(id);
    if (!t) return;
    try {
      this.answered(await postJson<Ticket>(`/api/tickets/${encodeURIComponent(id)}/rush`, { rush: !t.rush }));
    } catch (e) {
      this.say(e instanceof ApiError ? `#${t.short_id}: ${e.body?.error ?? "not changed"}` : `Could not mark #${t.short_id}: the server did not answer`);
    }
  }

  async undo() {
    const u = this.board.current().undo;
    if (!u) return;
    this.board.clearUndo();
    const t = this.board.get(u.order_id) ?? (await getJson<Ticket>(`/api/tickets/${encodeURIComponent(u.order_id)}`).catch(() => null));
    if (t) await this.act("recall", t);
  }

  async recall(id: string) {
    const t = this.board.get(id);
    if (t) await this.act("recall", t);
  }

  async acknowledge(id: string) {
    const t = this.board.get(id);
    if (t) await this.act("acknowledge", t);
  }

  /// Prints the ticket again (marked REPRINT) on the kitchen printers.
  async reprint(id: string) {
    await postJson(`/api/tickets/${encodeURIComponent(id)}/reprint`).catch(() => {});
  }

  /// Prints a test page on one printer.
  printTestPage(name: string): Promise<unknown> {
    return postJson(`/api/printers/${encodeURIComponent(name)}/test`);
  }

  /// Dropping a card on another column: as many bumps or recalls as it takes.
  async drop(id: string, to: Column) {
    let t: Ticket | null = this.board.get(id) ?? null;
    if (!t) return;
    const steps = dragSteps(t.column, to);
    if (!steps) return;
    const from = t.column;
    for (let i = 0; i < steps.count && t; i++) t = await this.act(steps.action, t);
    if (t && steps.action === "bump") this.board.offerUndo(t, from, Date.now());
  }

  // ---- other views ----

  /// The recall list: done tickets, or on a station screen the tickets it
  /// bumped all its lines of, most recent first.
  doneTickets(limit = 30): Promise<Ticket[]> {
    const station = this.station ? `&screen=${encodeURIComponent(this.station)}` : "";
    return getJson<DoneList>(`/api/done?limit=${limit}${station}`).then((r) => r.tickets);
  }

  /// Runs the first-delivery self-test on the server (a test order that
  /// leaves the board by itself).
  selftest(): Promise<SelftestReport> {
    return postJson<SelftestReport>("/api/selftest");
  }

  deliveries(limit = 100): Promise<Delivery[]> {
    return getJson<DeliveryList>(`/api/deliveries?limit=${limit}`).then((r) => r.deliveries);
  }

  /// The brands' colours, for the cards' brand marks and the brand filter.
  async loadBrands() {
    try {
      const s = await getJson<StationSettings>("/api/stations");
      this.brands.set(new Map(s.brands.map((b) => [b.id, b])));
    } catch {
      // No colours until the server answers.
    }
  }

  stations(): Promise<StationSettings> {
    return getJson<StationSettings>("/api/stations");
  }

  async saveStations(setup: StationSetup): Promise<StationSettings> {
    const saved = await putJson<StationSettings>("/api/stations", setup);
    this.brands.set(new Map(saved.brands.map((b) => [b.id, b])));
    return saved;
  }

  screens(): Promise<ScreenList> {
    return getJson<ScreenList>("/api/screens");
  }

  /// The all-day counts for this screen (its station's lines, or everything).
  allDay(): Promise<AllDay> {
    const name = this.chosen.name;
    return getJson<AllDay>(name ? `/api/allday?screen=${encodeURIComponent(name)}` : "/api/allday");
  }

  async loadSettings() {
    try {
      this.settings.set({ ...DEFAULT_SETTINGS, ...(await getJson<Settings>("/api/settings")) });
    } catch {
      // Defaults stand until the server answers.
    }
  }

  /// Changes how this screen shows the board, and remembers it in this
  /// browser (the address still wins at the next load).
  setDisplay(display: Display) {
    this.display.set(display);
    try {
      localStorage.setItem(storageKey(null), writeDisplay(display));
    } catch {
      // No storage (private mode): the choice lasts until the page reloads.
    }
  }

  async saveSettings(update: SettingsUpdate): Promise<Settings> {
    const saved = { ...DEFAULT_SETTINGS, ...(await putJson<Settings>("/api/settings", update)) };
    this.settings.set(saved);
    return saved;
  }
}

const SCREEN = Symbol("kds.screen");

/// Makes `screen` what every component below reads with `useScreen()`
/// (call it while the root component initialises).
export function provideScreen(screen: Screen): Screen {
  return setContext(SCREEN, screen);
}

/// The screen a component is part of (provided by the root component).
export function useScreen(): Screen {
  const screen = getContext<Screen | undefined>(SCREEN);
  if (!screen) throw new Error("useScreen() outside the board: the root component provides the screen");
  return screen;
}
