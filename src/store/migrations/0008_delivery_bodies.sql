-- Raw delivery bodies in a table of their own (issue 16, bounded storage).
--
-- A body kept in its inbox row leaves that row's leaf page behind when it is
-- emptied (SQLite keeps up to 4 KB of a large value in the leaf), so a
-- pruned body held most of a page until the row itself went at 180 days.
-- Here a body is one row of its own, deleted whole when its retention ends:
-- its pages come free together and the incremental vacuum can return them.
-- It is kept deflate-compressed (`store::inbox`): klikit's JSON records
-- shrink about four times, and the 30 days of bodies are most of the file.
--
-- New deliveries write their body here (and an empty one in `inbox.body`),
-- in the same transaction as the inbox row. Rows stored before this
-- migration keep their body in `inbox.body` until pruning empties it as
-- before: nothing is copied here, so the migration is instant on a big
-- database. Readers take this table's body when there is one, else the
-- inbox's.
CREATE TABLE delivery_bodies (
    seq      INTEGER PRIMARY KEY REFERENCES inbox (seq) ON DELETE CASCADE,
    -- The raw body as received, compressed with deflate (RFC 1951).
    deflated BLOB    NOT NULL
);
