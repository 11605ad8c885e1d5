// The board's state: the open tickets as the server last described them,
// which one is selected, which are freshly arrived (flash + chime), and the
// undo offer after a bump. Pure: no fetch, no DOM, time passed in. The
// Svelte components read `BoardView` snapshots through `subscribe`.

import { BOARD_COLUMNS, COLUMN, NEXT_COLUMN, type Column, type Ticket, type TicketEvent, type TicketList } from "./api";

/// The columns a cook sees, left to right (`BOARD_COLUMNS`, from the
/// server's contract), plus cancelled while any wait to be acknowledged.
export { BOARD_COLUMNS };
export type BoardColumn = Column;

export const COLUMN_TITLES: Record<Column, string> = {
  scheduled: "Scheduled",
  new: "New",
  preparing: "Preparing",
  ready: "Ready",
  done: "Done",
  cancelled: "Cancelled",
};

/// How long a bump can be undone, and how long a new card flashes.
export const UNDO_MS = 6000;
export const FLASH_MS = 8000;

export interface Undo {
  order_id: string;
  short_id: string;
  /// The column the bump moved it from, and the column it went to.
  from: Column;
  to: Column;
  until: number;
}

export interface ColumnView {
  key: BoardColumn;
  title: string;
  tickets: Ticket[];
}

/// The tiles layout: every ticket being cooked, oldest first, a page at a time.
export interface TilesView {
  tickets: Ticket[];
  /// 0-based page shown, and how many there are (at least 1).
  page: number;
  pages: number;
}

export type Layout = "columns" | "tiles";

export interface BoardView {
  seq: number | null;
  columns: ColumnView[];
  /// Set in the tiles layout: the page of tiles shown.
  tiles: TilesView | null;
  /// Ticket ids in reading order (column by column, top to bottom; in the
  /// tiles layout, the tiles on the page): what digits on the keyboard select.
  order: string[];
  /// Open tickets still to be cooked (not cancelled).
  count: number;
  selected: string | null;
  /// Tickets that arrived while the board watched and nobody touched yet.
  fresh: ReadonlySet<string>;
  undo: Undo | null;
}

/// Does this ticket belong on the board? The engine says so in `open`.
export function isOpen(t: Ticket): boolean {
  return t.open;
}

/// The columns a view is built from: the board's, then cancelled.
const SHOWN: readonly Column[] = [...BOARD_COLUMNS, COLUMN.cancelled];

const time = (iso: string | null): number => (iso ? Date.parse(iso) : NaN);

/// Each ticket's sort time, parsed once: a ticket from the server is never
/// changed in place (a change is a new object), so its key never goes stale.
const sortTimes = new WeakMap<Ticket, number>();

function sortTime(t: Ticket): number {
  let at = sortTimes.get(t);
  if (at === undefined) {
    at = t.column === COLUMN.scheduled ? time(t.scheduled_at ?? t.placed_at) : time(t.placed_at ?? t.column_since);
    if (Number.isNaN(at)) at = time(t.column_since);
    sortTimes.set(t, at);
  }
  return at;
}

/// Rush tickets (the expo's mark) first, then oldest first; scheduled
/// tickets by their scheduled time. Ties by order id so the order is stable.
export function compareTickets(a: Ticket, b: Ticket): number {
  if (a.rush !== b.rush) return a.rush ? -1 : 1;
  return sortTime(a) - sortTime(b) || (a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : 0);
}

/// A copy of the sorted `tickets` with `t` in its place.
function inserted(tickets: readonly Ticket[], t: Ticket): Ticket[] {
  let lo = 0;
  let hi = tickets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTickets(tickets[mid], t) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return [...tickets.slice(0, lo), t, ...tickets.slice(lo)];
}

/// Is `incoming` at least as new as `current`? (A bump's answer can arrive
/// after the live stream already told us something newer.)
export function isNewer(incoming: Ticket, current: Ticket | undefined): boolean {
  if (!current) return true;
  const a = time(incoming.updated_at);
  const b = time(current.updated_at);
  return Number.isNaN(a) || Number.isNaN(b) || a >= b;
}

export class Board {
  private tickets = new Map<string, Ticket>();
  private seq: number | null = null;
  private selected: string | null = null;
  private fresh = new Map<string, number>(); // order id -> flash ends at
  private undo: Undo | null = null;
  private listeners = new Set<(v: BoardView) => void>();
  /// Columns to rebuild from every ticket at the next view (all of them
  /// after a snapshot or a brand filter). One ticket's change instead
  /// patches the columns it leaves and joins (a binary-search insert into
  /// a copy), so an update costs no sort, and the components see unchanged
  /// columns as unchanged.
  private dirty = new Set<BoardColumn>(SHOWN);
  private built = new Map<BoardColumn, ColumnView>();
  private layout: Layout = "columns";
  /// Show only this brand's tickets (a screen's brand filter); null: all.
  private brand: number | null = null;
  private pageSize = 1;
  private page = 0;
  private view: BoardView;
  private onNew: (t: Ticket) => void;

  constructor(onNew: (t: Ticket) => void = () => {}) {
    this.onNew = onNew;
    this.view = this.build();
  }

  // ---- feeding it ----

  /// Replaces everything with a snapshot (first connect, or too far behind).
  /// Tickets in a snapshot never flash: they were not news to this screen
  /// unless they are new since the last thing it saw.
  snapshot(list: TicketList, now: number) {
    const before = this.seq === null ? null : new Set(this.tickets.keys());
    this.tickets.clear();
    for (const c of SHOWN) this.dirty.add(c);
    for (const t of list.tickets) if (isOpen(t)) this.tickets.set(t.order_id, t);
    this.seq = list.seq;
    if (before) {
      for (const t of this.tickets.values()) if (!before.has(t.order_id) && t.column !== COLUMN.cancelled) this.arrived(t, now);
    }
    if (this.selected && !this.tickets.has(this.selected)) this.selected = null;
    for (const id of this.fresh.keys()) if (!this.tickets.has(id)) this.fresh.delete(id);
    this.changed();
  }

  /// One change from the live stream: the whole ticket after it.
  event(event: TicketEvent, now: number) {
    const known = this.tickets.has(event.ticket.order_id);
    this.seq = event.seq;
    this.put(event.ticket);
    if (!known && this.tickets.has(event.ticket.order_id) && event.ticket.column !== COLUMN.cancelled) this.arrived(event.ticket, now);
    this.changed();
  }

  /// A ticket the API answered with (after a bump, recall or acknowledge).
  answer(ticket: Ticket) {
    if (!isNewer(ticket, this.tickets.get(ticket.order_id))) return;
    this.put(ticket);
    this.changed();
  }

  private put(t: Ticket) {
    const old = this.tickets.get(t.order_id);
    if (old) this.unplace(old);
    if (isOpen(t)) {
      this.tickets.set(t.order_id, t);
      this.place(t);
    } else {
      this.tickets.delete(t.order_id);
      this.fresh.delete(t.order_id);
      if (this.selected === t.order_id) this.selected = null;
    }
  }

  /// Takes `t` out of its built column (a rebuilt column needs nothing).
  private unplace(t: Ticket) {
    const column = this.built.get(t.column);
    if (!column || this.dirty.has(t.column)) return;
    const i = column.tickets.findIndex((x) => x.order_id === t.order_id);
    if (i >= 0) this.built.set(t.column, { ...column, tickets: column.tickets.filter((_, j) => j !== i) });
  }

  /// Puts `t` in its place in its built column, if this screen shows it.
  private place(t: Ticket) {
    const column = this.built.get(t.column);
    if (!SHOWN.includes(t.column) || this.dirty.has(t.column)) return;
    if (!column) {
      this.dirty.add(t.column);
      return;
    }
    if (this.brand === null || t.brand?.id === this.brand) this.built.set(t.column, { ...column, tickets: inserted(column.tickets, t) });
  }

  private arrived(t: Ticket, now: number) {
    this.fresh.set(t.order_id, now + FLASH_MS);
    this.onNew(t);
  }

  // ---- what people do ----

  select(id: string | null) {
    this.selected = id && this.tickets.has(id) ? id : null;
    this.changed();
  }

  /// Shows columns, or tiles `pageSize` to a page (the view measures how
  /// many fit).
  setLayout(layout: Layout, pageSize = this.pageSize) {
    if (layout === this.layout && pageSize === this.pageSize) return;
    this.layout = layout;
    this.pageSize = Math.max(1, Math.floor(pageSize));
    this.changed();
  }

  /// Shows only `brand`'s tickets (null: every brand).
  setBrand(brand: number | null) {
    if (brand === this.brand) return;
    this.brand = brand;
    for (const c of SHOWN) this.dirty.add(c);
    this.changed();
  }

  /// The next page of tiles (after the last, the first again).
  nextPage() {
    if (!this.view.tiles) return;
    this.page = (this.view.tiles.page + 1) % this.view.tiles.pages;
    this.changed();
  }

  /// Moves the selection by arrow key: left/right across columns (keeping
  /// the row where it can), up/down within the column; on tiles, back and
  /// forth along the page.
  move(direction: "left" | "right" | "up" | "down") {
    if (this.view.tiles) {
      const order = this.view.order;
      if (order.length === 0) return;
      const i = this.selected ? order.indexOf(this.selected) : -1;
      const step = direction === "left" || direction === "up" ? -1 : 1;
      this.select(order[i < 0 ? 0 : Math.min(order.length - 1, Math.max(0, i + step))]);
      return;
    }
    const cols = this.view.columns.filter((c) => c.tickets.length > 0);
    if (cols.length === 0) return;
    let ci = cols.findIndex((c) => c.tickets.some((t) => t.order_id === this.selected));
    if (ci < 0) {
      this.select(cols[0].tickets[0].order_id);
      return;
    }
    let ri = cols[ci].tickets.findIndex((t) => t.order_id === this.selected);
    if (direction === "up") ri = Math.max(0, ri - 1);
    if (direction === "down") ri = Math.min(cols[ci].tickets.length - 1, ri + 1);
    if (direction === "left" || direction === "right") {
      ci = Math.min(cols.length - 1, Math.max(0, ci + (direction === "left" ? -1 : 1)));
      ri = Math.min(ri, cols[ci].tickets.length - 1);
    }
    this.select(cols[ci].tickets[ri].order_id);
  }

  /// Selects the ticket at 1-based position `n` in reading order.
  selectNumber(n: number): boolean {
    const id = this.view.order[n - 1];
    if (!id) return false;
    this.select(id);
    return true;
  }

  /// Somebody touched the screen or pressed a key: stop flashing.
  touched() {
    if (this.fresh.size === 0) return;
    this.fresh.clear();
    this.changed();
  }

  offerUndo(t: Ticket, from: Column, now: number) {
    this.undo = { order_id: t.order_id, short_id: t.short_id, from, to: t.column, until: now + UNDO_MS };
    this.changed();
  }

  clearUndo() {
    if (!this.undo) return;
    this.undo = null;
    this.changed();
  }

  /// Drops flashes and the undo offer whose time is up.
  tick(now: number) {
    let dirty = false;
    for (const [id, until] of this.fresh) {
      if (until <= now) {
        this.fresh.delete(id);
        dirty = true;
      }
    }
    if (this.undo && this.undo.until <= now) {
      this.undo = null;
      dirty = true;
    }
    if (dirty) this.changed();
  }

  get(id: string): Ticket | undefined {
    return this.tickets.get(id);
  }

  hasFresh(): boolean {
    return this.fresh.size > 0;
  }

  current(): BoardView {
    return this.view;
  }

  // ---- reading it ----

  subscribe(fn: (v: BoardView) => void): () => void {
    this.listeners.add(fn);
    fn(this.view);
    return () => this.listeners.delete(fn);
  }

  private changed() {
    this.view = this.build();
    for (const fn of this.listeners) fn(this.view);
  }

  private build(): BoardView {
    if (this.dirty.size > 0) {
      const by = new Map<BoardColumn, Ticket[]>();
      for (const key of this.dirty) by.set(key, []);
      for (const t of this.tickets.values()) if (this.brand === null || t.brand?.id === this.brand) by.get(t.column)?.push(t);
      for (const [key, tickets] of by) this.built.set(key, { key, title: COLUMN_TITLES[key], tickets: tickets.sort(compareTickets) });
      this.dirty.clear();
    }
    const cancelled = this.built.get(COLUMN.cancelled)?.tickets.length ?? 0;
    const keys: BoardColumn[] = [...BOARD_COLUMNS];
    if (cancelled) keys.push(COLUMN.cancelled);
    const columns = keys.map((key) => this.built.get(key) ?? { key, title: COLUMN_TITLES[key], tickets: [] });
    const tiles = this.layout === "tiles" ? this.tilesPage(columns) : null;
    const order = (tiles ? tiles.tickets : columns.flatMap((c) => c.tickets)).map((t) => t.order_id);
    return {
      seq: this.seq,
      columns,
      tiles,
      order,
      count: columns.reduce((n, c) => n + c.tickets.length, 0) - cancelled,
      selected: this.selected,
      fresh: new Set(this.fresh.keys()),
      undo: this.undo,
    };
  }

  /// Every ticket being cooked or waiting to be removed (not the scheduled
  /// ones), oldest first, cut to the page shown.
  private tilesPage(columns: ColumnView[]): TilesView {
    const all = columns.filter((c) => c.key !== COLUMN.scheduled).flatMap((c) => c.tickets).sort(compareTickets);
    const pages = Math.max(1, Math.ceil(all.length / this.pageSize));
    this.page = Math.min(this.page, pages - 1);
    return { tickets: all.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize), page: this.page, pages };
  }
}

/// Where a bump takes a ticket (for the undo message and drag targets);
/// null when a bump does nothing from there.
export function nextColumn(c: Column): Column | null {
  return NEXT_COLUMN[c];
}

/// The columns a ticket passes through, first to last, following the
/// server's next-column table from the first column.
function flow(): Column[] {
  const order: Column[] = [];
  for (let c: Column | null = BOARD_COLUMNS[0]; c !== null && !order.includes(c); c = NEXT_COLUMN[c]) order.push(c);
  return order;
}
const FLOW = flow();

/// The steps a drag from `from` to `to` takes: bumps forward, recalls back.
export function dragSteps(from: Column, to: Column): { action: "bump" | "recall"; count: number } | null {
  const a = FLOW.indexOf(from);
  const b = FLOW.indexOf(to);
  if (a < 0 || b < 0 || a === b) return null;
  return b > a ? { action: "bump", count: b - a } : { action: "recall", count: a - b };
}
