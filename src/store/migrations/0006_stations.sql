-- Stations: the kitchen's station setup (stations in order with their
-- routing rules, the default station, brand colours and prep times) as one
-- JSON document a person edits in Settings, and the brands the kitchen has
-- seen, in the order it first saw them (a brand's palette colour).
CREATE TABLE station_setup (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    setup      TEXT    NOT NULL,  -- kitchen::Setup as JSON
    updated_at TEXT    NOT NULL   -- RFC 3339
);
CREATE TABLE brands_seen (
    seen       INTEGER PRIMARY KEY AUTOINCREMENT, -- first-seen order
    brand_id   INTEGER NOT NULL UNIQUE,
    title      TEXT,
    first_seen TEXT    NOT NULL   -- RFC 3339
);
-- Open tickets stored before stations have lines without a station: the
-- first start with stations routes them (in the background, a page at a
-- time) and then deletes this row. A new database never has it.
CREATE TABLE stations_to_route (id INTEGER PRIMARY KEY CHECK (id = 1));
INSERT INTO stations_to_route (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM tickets WHERE open = 1);
