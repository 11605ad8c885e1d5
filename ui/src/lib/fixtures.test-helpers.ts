// Ticket and printer builders for the unit tests.
import type { PrinterHealth, Ticket } from "./api";

export function ticket(id: string, over: Partial<Ticket> = {}): Ticket {
  return {
    order_id: id,
    short_id: `S${id}`,
    brand: { id: 1, title: "Warung" },
    branch_id: 1,
    provider_id: 6,
    channel: "GrabFood",
    order_type: "pickup",
    table_no: null,
    status_code: 1,
    status: "PLACED",
    column: "new",
    placed_at: "2026-06-25T09:00:00Z",
    scheduled_at: null,
    column_since: "2026-06-25T09:00:00Z",
    updated_at: "2026-06-25T09:00:00Z",
    lines: [{ name: "Nasi Goreng", quantity: 2, comment: null, modifiers: [], change: null, previous_quantity: null, station: "kitchen", done_at: null, category: null, category_id: null }],
    order_comment: null,
    changed: false,
    cancelled: false,
    cancellation_reason: null,
    driver: null,
    test: false,
    item_count: 2,
    open: !["done"].includes(over.column ?? "new") && !over.cancellation_acknowledged,
    cancellation_acknowledged: false,
    klikit_updated_at: null,
    rush: false,
    fire_at: null,
    stations: [{ station: "kitchen", lines: 1, done: 0, done_at: null }],
    complete: false,
    ...over,
  };
}

/// A printer's health: ready, nothing waiting, unless `over` says otherwise.
export function printerHealth(over: Partial<PrinterHealth> = {}): PrinterHealth {
  return {
    name: "pass",
    state: "ready",
    last_error: null,
    last_printed_at: null,
    backup: false,
    backup_on: false,
    waiting: 0,
    dropped: 0,
    last_dropped: null,
    dropped_total: 0,
    ...over,
  };
}
