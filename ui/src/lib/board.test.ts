import { describe, expect, it } from "vitest";
import { ticketProblems } from "./api";
import { Board, dragSteps, FLASH_MS, nextColumn, UNDO_MS } from "./board";
import { ticket } from "./fixtures.test-helpers";

const NOW = Date.parse("2026-06-25T09:05:00Z");

describe("Board", () => {
  it("sorts each column oldest first and numbers tickets in reading order", () => {
    const b = new Board();
    b.snapshot(
      {
        seq: 3,
        tickets: [
          ticket("2", { placed_at: "2026-06-25T09:02:00Z" }),
          ticket("1", { placed_at: "2026-06-25T09:01:00Z" }),
          ticket("3", { column: "preparing" }),
          ticket("4", { column: "scheduled", scheduled_at: "2026-06-25T12:00:00Z" }),
        ],
      },
      NOW,
    );
    const v = b.current();
    expect(v.columns.map((c) => c.key), "four columns, no cancelled column while none are cancelled").toEqual(["scheduled", "new", "preparing", "ready"]);
    expect(v.columns[1].tickets.map((t) => t.order_id), "older orders first").toEqual(["1", "2"]);
    expect(v.order, "digits count scheduled, then new, then preparing").toEqual(["4", "1", "2", "3"]);
    expect(v.count).toBe(4);
    expect(v.seq).toBe(3);
  });

  it("keeps each column sorted through one change at a time exactly as a snapshot of the same tickets sorts it", () => {
    // The live stream patches the columns a change leaves and joins; a
    // snapshot rebuilds them. A seeded walk of arrivals, moves, rush marks,
    // brand changes and removals must leave both the same, with a brand
    // filter on and off.
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const columns = ["scheduled", "new", "preparing", "ready", "done", "cancelled"] as const;
    for (const brand of [null, 2]) {
      const live = new Board();
      live.setBrand(brand);
      live.snapshot({ seq: 0, tickets: [] }, NOW);
      const tickets = new Map<string, ReturnType<typeof ticket>>();
      for (let i = 1; i <= 400; i++) {
        const id = String(random(40));
        const t = ticket(id, {
          column: columns[random(columns.length)],
          open: random(8) !== 0,
          rush: random(5) === 0,
          brand: { id: 1 + random(2), title: "Warung" },
          placed_at: `2026-06-25T09:${String(random(3)).padStart(2, "0")}:00Z`,
          scheduled_at: "2026-06-25T12:00:00Z",
        } as Partial<ReturnType<typeof ticket>>);
        tickets.set(id, t);
        live.event({ seq: i, ticket: t }, NOW);
        const rebuilt = new Board();
        rebuilt.setBrand(brand);
        rebuilt.snapshot({ seq: i, tickets: [...tickets.values()] }, NOW);
        const ids = (b: Board) => b.current().columns.map((c) => `${c.key}: ${c.tickets.map((t) => t.order_id).join(" ")}`);
        expect(ids(live), `after change ${i} (brand ${brand}), the patched columns are the rebuilt ones`).toEqual(ids(rebuilt));
      }
    }
  });

  it("lays tickets out as tiles, oldest first, a page at a time, numbered within the page", () => {
    const b = new Board();
    const at = (m: number) => `2026-06-25T09:0${m}:00Z`;
    b.snapshot(
      {
        seq: 1,
        tickets: [
          ticket("c", { column: "preparing", placed_at: at(3) }),
          ticket("a", { placed_at: at(1) }),
          ticket("s", { column: "scheduled", scheduled_at: "2026-06-25T12:00:00Z" }),
          ticket("b", { column: "ready", placed_at: at(2) }),
          ticket("e", { placed_at: at(5) }),
          ticket("d", { placed_at: at(4) }),
        ],
      },
      NOW,
    );
    b.setLayout("tiles", 2);
    const first = b.current();
    expect(first.tiles?.tickets.map((t) => t.order_id), "oldest first whatever the column; scheduled tickets are not tiles").toEqual(["a", "b"]);
    expect(first.tiles?.pages).toBe(3);
    expect(first.order, "digits select within the page shown").toEqual(["a", "b"]);
    b.nextPage();
    expect(b.current().order).toEqual(["c", "d"]);
    b.selectNumber(2);
    expect(b.current().selected).toBe("d");
    b.move("left");
    expect(b.current().selected, "arrows walk the page").toBe("c");
    b.nextPage();
    b.nextPage();
    expect(b.current().tiles?.page, "after the last page comes the first").toBe(0);
    b.setLayout("columns");
    expect(b.current().tiles).toBeNull();
    expect(b.current().order).toEqual(["s", "a", "d", "e", "c", "b"]);
  });

  it("puts rush tickets first in their column and on the tiles", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("old", { placed_at: "2026-06-25T09:01:00Z" }), ticket("late", { placed_at: "2026-06-25T09:04:00Z", rush: true })] }, NOW);
    expect(b.current().columns[1].tickets.map((t) => t.order_id), "the expo's rush mark beats age").toEqual(["late", "old"]);
    b.setLayout("tiles", 5);
    expect(b.current().order).toEqual(["late", "old"]);
  });

  it("filters by brand, and shows every brand again after", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("a", { brand: { id: 1, title: "Kopi" } }), ticket("b", { brand: { id: 2, title: "Warung" } })] }, NOW);
    b.setBrand(2);
    expect(b.current().order).toEqual(["b"]);
    expect(b.current().count, "the count is of what the screen shows").toBe(1);
    b.event({ seq: 2, ticket: ticket("c", { brand: { id: 1, title: "Kopi" } }) }, NOW);
    expect(b.current().order, "a new ticket of another brand stays hidden").toEqual(["b"]);
    b.setBrand(null);
    expect(b.current().order).toEqual(["a", "b", "c"]);
  });

  it("shows a cancelled column only while cancelled tickets are on the board, and does not count them as open", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("1"), ticket("2", { column: "cancelled", cancelled: true })] }, NOW);
    expect(b.current().columns.map((c) => c.key)).toContain("cancelled");
    expect(b.current().count, "a cancelled ticket is not work to do").toBe(1);
    b.event({ seq: 2, ticket: ticket("2", { column: "done", cancelled: true }) }, NOW);
    expect(b.current().columns.map((c) => c.key)).not.toContain("cancelled");
  });

  it("flashes and announces tickets that arrive live, but not those in the first snapshot", () => {
    const announced: string[] = [];
    const b = new Board((t) => announced.push(t.order_id));
    b.snapshot({ seq: 1, tickets: [ticket("1")] }, NOW);
    expect(b.current().fresh.size, "what was there at connect is not news").toBe(0);
    b.event({ seq: 2, ticket: ticket("2") }, NOW);
    expect([...b.current().fresh]).toEqual(["2"]);
    b.event({ seq: 3, ticket: ticket("2", { column: "preparing" }) }, NOW);
    expect(announced, "a change to a known ticket is not a new order").toEqual(["2"]);
    b.tick(NOW + FLASH_MS + 1);
    expect(b.current().fresh.size, "the flash ends by itself").toBe(0);
  });

  it("treats tickets that appear in a resync snapshot as new, and a touch stops every flash", () => {
    const announced: string[] = [];
    const b = new Board((t) => announced.push(t.order_id));
    b.snapshot({ seq: 1, tickets: [ticket("1")] }, NOW);
    b.snapshot({ seq: 9, tickets: [ticket("1"), ticket("5"), ticket("6", { column: "cancelled", cancelled: true })] }, NOW);
    expect(announced, "orders missed while disconnected still chime; a cancel does not").toEqual(["5"]);
    b.touched();
    expect(b.current().fresh.size).toBe(0);
  });

  it("drops an acknowledged cancellation even though its column stays cancelled", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("1", { column: "cancelled", cancelled: true })] }, NOW);
    b.event({ seq: 2, ticket: ticket("1", { column: "cancelled", cancelled: true, cancellation_acknowledged: true, open: false }) }, NOW);
    expect(b.current().order, "the engine says it left the board").toEqual([]);
  });

  it("drops tickets that leave the open set and the selection with them", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("1"), ticket("2")] }, NOW);
    b.select("1");
    b.event({ seq: 2, ticket: ticket("1", { column: "done" }) }, NOW);
    expect(b.current().order).toEqual(["2"]);
    expect(b.current().selected, "a done ticket cannot stay selected").toBeNull();
  });

  it("ignores an API answer older than what the live stream already delivered", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("1", { column: "ready", updated_at: "2026-06-25T09:03:00Z" })] }, NOW);
    b.answer(ticket("1", { column: "preparing", updated_at: "2026-06-25T09:02:00Z" }));
    expect(b.get("1")?.column, "a late answer must not move the card backwards").toBe("ready");
    b.answer(ticket("1", { column: "done", updated_at: "2026-06-25T09:04:00Z" }));
    expect(b.get("1")).toBeUndefined();
  });

  it("moves the selection with arrows across and within columns, and selects by number", () => {
    const b = new Board();
    b.snapshot(
      {
        seq: 1,
        tickets: [
          ticket("1", { placed_at: "2026-06-25T09:01:00Z" }),
          ticket("2", { placed_at: "2026-06-25T09:02:00Z" }),
          ticket("3", { column: "preparing" }),
        ],
      },
      NOW,
    );
    b.move("down");
    expect(b.current().selected, "the first arrow selects the first ticket").toBe("1");
    b.move("down");
    expect(b.current().selected).toBe("2");
    b.move("right");
    expect(b.current().selected, "right keeps the row where it can").toBe("3");
    b.move("right");
    expect(b.current().selected, "no column past the last").toBe("3");
    expect(b.selectNumber(2)).toBe(true);
    expect(b.current().selected).toBe("2");
    expect(b.selectNumber(9), "no ticket 9").toBe(false);
  });

  it("offers an undo for a short time", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("1")] }, NOW);
    b.offerUndo(ticket("1", { column: "preparing" }), "new", NOW);
    expect(b.current().undo).toMatchObject({ order_id: "1", from: "new", to: "preparing" });
    b.tick(NOW + UNDO_MS - 1);
    expect(b.current().undo).not.toBeNull();
    b.tick(NOW + UNDO_MS);
    expect(b.current().undo).toBeNull();
  });

  it("keeps the arrays of columns that did not change, and re-sorts those that did", () => {
    const b = new Board();
    b.snapshot({ seq: 1, tickets: [ticket("1"), ticket("2", { column: "ready" })] }, NOW);
    const before = b.current().columns;
    b.event({ seq: 2, ticket: ticket("3", { column: "new", placed_at: "2026-06-25T08:00:00Z" }) }, NOW);
    const after = b.current().columns;
    expect(after[3], "Ready did not change, so it is the same object").toBe(before[3]);
    expect(after[1].tickets.map((t) => t.order_id), "New was re-sorted with the older order first").toEqual(["3", "1"]);
    b.event({ seq: 3, ticket: ticket("3", { column: "ready", placed_at: "2026-06-25T08:00:00Z" }) }, NOW);
    expect(b.current().columns[1].tickets.map((t) => t.order_id), "a ticket leaves its old column").toEqual(["1"]);
    expect(b.current().columns[3].tickets.map((t) => t.order_id)).toEqual(["3", "2"]);
  });

  it("notifies subscribers with a new view object on every change", () => {
    const b = new Board();
    const seen: unknown[] = [];
    const stop = b.subscribe((v) => seen.push(v));
    b.event({ seq: 1, ticket: ticket("1") }, NOW);
    stop();
    b.event({ seq: 2, ticket: ticket("2") }, NOW);
    expect(seen.length, "the current view at subscribe, then one per change until unsubscribed").toBe(2);
    expect(seen[0]).not.toBe(seen[1]);
  });
});

describe("columns", () => {
  it("bumps forward one column at a time, and drags become bumps or recalls", () => {
    expect(nextColumn("new")).toBe("preparing");
    expect(nextColumn("ready")).toBe("done");
    expect(nextColumn("cancelled")).toBeNull();
    expect(dragSteps("new", "ready")).toEqual({ action: "bump", count: 2 });
    expect(dragSteps("ready", "new")).toEqual({ action: "recall", count: 2 });
    expect(dragSteps("new", "new")).toBeNull();
    expect(dragSteps("cancelled", "new"), "a cancelled ticket cannot be dragged into work").toBeNull();
  });
});

describe("ticket shape check", () => {
  it("accepts a contract ticket and names what is wrong with a broken one", () => {
    expect(ticketProblems(ticket("1"))).toEqual([]);
    const broken = { ...ticket("1"), column: "kitchen", lines: [{ name: 3 }] } as unknown;
    const problems = ticketProblems(broken);
    expect(problems.some((p) => p.includes("ticket.column"))).toBe(true);
    expect(problems.some((p) => p.includes("lines[0].name"))).toBe(true);
  });
});
