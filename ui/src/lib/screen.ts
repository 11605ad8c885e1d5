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
import { ApiError, getJson, LiveStream, postJson, putJson, type LiveState } from "./transport";

export { DEFAULT_SETTINGS };
export type { Action };

/// How often the chime repeats while a new order is untouched (when the
/// kitchen turned repeating on).
export const CHIME_REPEAT_MS = 10_000;

/// The screen's views, chosen in the header.
export type View = "board" | "done" | "diagnostics" | "history" | "reports" | "settings";

export class Screen {
  readonly board: Board;
  readonly live = writable<LiveState>("connecting");
  readonly health = writable<Health | null>(null);
  readonly settings = writable<Settings>({ ...DEFAULT_SETTINGS });
  readonly now = writable<number>(Date.now());
  /// A short message for the cook (a refused bump, say); null when none.
  readonly notice = writable<string | null>(null);
  private current: Settings = { ...DEFAULT_SETTINGS };
  private stream: LiveStream;
  private timers: ReturnType<typeof setInterval>[] = [];
  private lastChime = 0;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    this.board = new Board(() => this.ring());
    this.stream = new LiveStream({
      snapshot: (list) => this.board.snapshot(list, Date.now()),
      ticket: (event) => this.board.event(event, Date.now()),
      health: (h) => this.health.set(h),
      state: (s) => this.live.set(s),
    });
    this.settings.subscribe((s) => (this.current = s));
  }

  start() {
    this.stream.start();
    void this.loadSettings();
    void getJson<Health>("/api/health").then((h) => this.health.set(h), () => {});
    this.timers.push(
      setInterval(() => {
        const t = Date.now();
        this.now.set(t);
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
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
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
  async act(action: Action, ticket: Ticket): Promise<Ticket | null> {
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
      this.board.answer(updated);
      return updated;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        if (e.body?.ticket) this.board.answer(e.body.ticket);
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
    const updated = await this.act("bump", t);
    if (updated) this.board.offerUndo(updated, t.column, Date.now());
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

  doneTickets(limit = 30): Promise<Ticket[]> {
    return getJson<DoneList>(`/api/done?limit=${limit}`).then((r) => r.tickets);
  }

  /// Runs the first-delivery self-test on the server (a test order that
  /// leaves the board by itself).
  selftest(): Promise<SelftestReport> {
    return postJson<SelftestReport>("/api/selftest");
  }

  deliveries(limit = 100): Promise<Delivery[]> {
    return getJson<DeliveryList>(`/api/deliveries?limit=${limit}`).then((r) => r.deliveries);
  }

  async loadSettings() {
    try {
      this.settings.set({ ...DEFAULT_SETTINGS, ...(await getJson<Settings>("/api/settings")) });
    } catch {
      // Defaults stand until the server answers.
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
