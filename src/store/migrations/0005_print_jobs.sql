-- The print queue: one row per thing a printer must print, written in the
-- same transaction as the ticket change that causes it (or by a person's
-- reprint or test page). A sender per printer takes its rows in `id` order.
--
-- `state`: `queued` (not sent yet), `sending` (bytes may have reached the
-- printer: sent again marked REPRINT), `printed`, `dropped` (too old to be
-- worth printing; the board says so).
CREATE TABLE print_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    printer     TEXT    NOT NULL,
    order_id    TEXT,             -- NULL for a test page
    kind        TEXT    NOT NULL CHECK (kind IN ('ticket', 'changed', 'cancelled', 'test')),
    backup      INTEGER NOT NULL DEFAULT 0,
    reprint     INTEGER NOT NULL DEFAULT 0,
    ticket      TEXT,             -- the ticket (JSON) as it was when the job was written
    created_at  INTEGER NOT NULL, -- unix milliseconds
    state       TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'printed', 'dropped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER,          -- unix milliseconds: printed or dropped
    error       TEXT
);
CREATE INDEX print_jobs_waiting ON print_jobs (printer, id) WHERE state IN ('queued', 'sending');
CREATE INDEX print_jobs_order ON print_jobs (order_id, printer);
