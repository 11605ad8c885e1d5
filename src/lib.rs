//! # kds: a kitchen display system fed by klikit's order webhooks
//!
//! The core of the product, with no desktop dependency. The `kds` binary and
//! the Tauri shell (`src-tauri/`) are thin front doors onto it.
//!
//! ## The map
//!
//! **The order pipeline**: a delivery in, a ticket on the board.
//!
//! | module | owns | never does |
//! |---|---|---|
//! | [`klikit`] | the wire format: envelope, order record, status codes, signature check | I/O |
//! | [`intake`] | the webhook listener: headers, body limit, verify, commit, answer | apply orders |
//! | [`store`] | SQLite: schema, migrations, the writer thread, every SQL statement, and the change feed (committed ticket changes, in order) | business rules |
//! | [`applier`] | taking stored deliveries in order and applying them through `kitchen`, exactly once | answer HTTP |
//! | [`kitchen`] | tickets, columns, bump/recall rules, cart diffs (pure: time is passed in) | I/O |
//! | [`api`] | the app listener: JSON API, live stream, the board | SQL |
//! | [`reports`] | a local day's figures (orders per hour, column times, late share, summary) from the store's facts, time passed in | SQL |
//!
//! **Going outward**: what leaves the machine. Each is a consumer of the
//! store's change feed ([`store::Store::subscribe_changes`], the same feed `api`'s live stream
//! follows) with its own durable queue in the store, written in the same
//! transaction as the change that causes it.
//!
//! | module | owns | never does |
//! |---|---|---|
//! | [`partner`] | klikit's partner API: the client, the status outbox's sender, catch-up | decide kitchen rules |
//! | [`printing`] | kitchen printers: ticket layout, ESC/POS, rasterising, the print queue's senders, backup printing | block the pipeline |
//!
//! **Supervision**: starting, watching and stopping the parts.
//!
//! | module | owns | never does |
//! |---|---|---|
//! | [`server`] | starting and stopping all of the above | business rules |
//! | [`maintenance`] | the night work: pruning to the retention policy, shrinking, the nightly backup | SQL |
//! | [`restore`] | replacing the database with a checked backup while no kds runs | open the live database |
//! | [`instance`] | the data dir's lock: one running kds per data dir, and `kds restore` only when none | touch the database |
//! | [`shutdown`] | the stop signal every long-lived task waits on | decide when to stop |
//! | [`tunnel`] | the supervised `cloudflared` child and its state | touch tickets |
//! | [`alert`] | the alert messages (new order, cancelled, receiver/tunnel down) and their channel | decide when to alert |
//! | [`config`] | file + environment + defaults, validated once at start | read secrets into logs |
//! | [`logs`] | the log subscriber: terminal and the rotating file in the data dir | decide what is logged |
//! | [`diagnostics`] | the diagnostics zip (reports, configuration, logs), every secret masked | read the database |
//!
//! **Clients**: kds talking to a running kds as klikit or a person would.
//!
//! | module | owns | never does |
//! |---|---|---|
//! | [`client`] | the signed post: one delivery sent the way klikit does (`kds send`) | touch the store |
//! | [`selftest`] | the first-delivery self-test: one signed test order, hop by hop | touch the store |
//! | [`fake_klikit`] | a fake partner API for tests and demos (`kds dev fake-klikit`) | run in a kitchen |
//! | [`fake_printer`] | a fake ESC/POS network printer and its decoder, for tests and demos (`kds dev fake-printer`) | run in a kitchen |
//!
//! The status report as terminal text (`kds status`) lives with the CLI
//! (`src/bin/kds/`); the order faker and the load generator (`kds load`,
//! benchmarks) are the `kds-sim` tool crate (`sim/`), which neither this
//! library nor the desktop app links.
//!
//! The data flow: klikit → (cloudflared) → [`intake`] verifies the HMAC over
//! the raw bytes → [`store`] commits the delivery (group commit,
//! `synchronous=FULL`) → 2xx. Then the [`applier`] turns deliveries into
//! tickets by the [`kitchen`] rules, the store publishes each committed
//! change on its change feed, and [`api`]'s live stream shows them.

pub mod alert;
pub mod api;
pub mod applier;
pub mod client;
pub mod config;
pub mod diagnostics;
pub mod fake_klikit;
pub mod fake_printer;
pub mod instance;
pub mod intake;
pub mod kitchen;
pub mod restore;
pub mod maintenance;
pub mod klikit;
pub mod logs;
pub mod partner;
pub mod printing;
pub mod privacy;
pub mod reports;
pub mod selftest;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod tunnel;
