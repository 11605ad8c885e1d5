-- Drops the index on `inbox.body_sha256` (created in 0001).
--
-- No query has ever looked a delivery up by its body's hash: deliveries are
-- found by `seq` and deduplicated by `event_id` (its own unique index). The
-- hash stays in each row (a record of what was received that outlives the
-- pruned body); only the index goes, which at a year's scale was 38 MB of
-- the file and a B-tree insert on every delivery's write.
DROP INDEX IF EXISTS inbox_body_sha256;
