-- Every signed delivery, byte for byte, in arrival order.
-- `seq` is the arrival order the applier follows; `event_id` is klikit's
-- de-duplication key; `state` says whether the kitchen has applied it.
CREATE TABLE inbox (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id          TEXT    NOT NULL UNIQUE,
    event_type        TEXT    NOT NULL,
    body              BLOB    NOT NULL,
    body_sha256       TEXT    NOT NULL,
    headers           TEXT    NOT NULL,
    received_at       TEXT    NOT NULL,
    state             TEXT    NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'applied', 'unprocessable')),
    reason            TEXT,
    applied_at        TEXT,
    duplicates        INTEGER NOT NULL DEFAULT 0,
    last_duplicate_at TEXT
);

CREATE INDEX inbox_pending ON inbox (seq) WHERE state = 'pending';
CREATE INDEX inbox_body_sha256 ON inbox (body_sha256);
