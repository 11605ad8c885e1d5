-- Retention (issue 16): what pruning needs to find its work cheaply.

-- How far each pruning pass has got, by inbox `seq`: pruning walks the
-- inbox in arrival order and records here the last row it handled, in the
-- same transaction as the rows themselves, so a pass cut short (a crash, a
-- SIGKILL) resumes where the last committed batch ended.
CREATE TABLE retention_marks (
    name        TEXT    PRIMARY KEY,
    through_seq INTEGER NOT NULL
);

-- Deleting an old delivery first unlinks the log entries that name it; this
-- index makes that (and the foreign-key check on the delete) a lookup
-- rather than a scan of the whole log.
CREATE INDEX ticket_events_delivery ON ticket_events (delivery_seq);

-- Closed tickets by age: the ones past the ticket retention go first.
CREATE INDEX tickets_closed ON tickets (column_since) WHERE open = 0;
