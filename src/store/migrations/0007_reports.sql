-- Reports and history (issue 16): tickets by the moment the kitchen first
-- saw them. Reports read a day (and the same weekday of four earlier weeks)
-- at a time; without this index each one scans every ticket of the year
-- and parses its JSON record. The expression is the one `store::history`
-- and `store::reports` query with, so SQLite can use it.
CREATE INDEX tickets_first_seen ON tickets (unixepoch(json_extract(record, '$.first_seen_at')));
