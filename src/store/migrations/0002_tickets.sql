-- Tickets: the kitchen's record of each klikit order (one row per order),
-- the append-only log of what happened to them, and the change feed that
-- screens follow by `seq`.

-- `record` is the kitchen's JSON record (the ticket plus what the rules
-- remember). The other columns are copies, for the queries.
CREATE TABLE tickets (
    order_id     TEXT    PRIMARY KEY,
    record       TEXT    NOT NULL,
    "column"     TEXT    NOT NULL,
    open         INTEGER NOT NULL,
    column_since INTEGER NOT NULL, -- unix milliseconds
    due_at       INTEGER,          -- unix milliseconds: a clock rule applies then
    seq          INTEGER NOT NULL
);
CREATE INDEX tickets_open ON tickets (seq) WHERE open = 1;
CREATE INDEX tickets_done ON tickets (column_since) WHERE "column" = 'done';
CREATE INDEX tickets_due ON tickets (due_at) WHERE due_at IS NOT NULL;

-- Every event, in order, never updated or deleted: what klikit sent (with
-- the delivery it came in) and what screens and clock rules did.
CREATE TABLE ticket_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT    NOT NULL,
    at           TEXT    NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('klikit', 'screen', 'kitchen')),
    kind         TEXT    NOT NULL,
    detail       TEXT    NOT NULL,
    delivery_seq INTEGER REFERENCES inbox (seq)
);
CREATE INDEX ticket_events_order ON ticket_events (order_id, id);

-- The change feed: one row per ticket change, holding the ticket as it was
-- after the change. `seq` only grows (AUTOINCREMENT never reuses a committed
-- number).
-- Old rows are pruned; a screen further behind gets a snapshot instead.
CREATE TABLE ticket_changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    ticket   TEXT    NOT NULL
);
