-- The status outbox: each screen action klikit must learn about, written in
-- the same transaction as the ticket change that caused it, and sent by the
-- partner sender in order, under a key fixed here (DESIGN decision 10).
CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id          TEXT    NOT NULL,
    action            TEXT    NOT NULL CHECK (action IN ('accepted', 'ready', 'picked_up', 'rejected', 'cancelled')),
    reason_code       TEXT,
    idempotency_key   TEXT    NOT NULL UNIQUE,
    occurred_at       TEXT    NOT NULL, -- the moment of the tap (RFC 3339)
    state             TEXT    NOT NULL DEFAULT 'waiting'
                              CHECK (state IN ('waiting', 'sent', 'failed', 'superseded', 'cancelled')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    klikit_updated_at TEXT,
    request_id        TEXT,
    changed_at        TEXT    NOT NULL
);
CREATE INDEX outbox_waiting ON outbox (order_id, id) WHERE state = 'waiting';
CREATE INDEX outbox_order ON outbox (order_id, id);
