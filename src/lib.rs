//! # kds: a kitchen display system fed by klikit's order webhooks
//!
//! The core of the product, with no desktop dependency. The `kds` binary and
//! the Tauri shell (`src-tauri/`) are thin front doors onto it.
//!
//! | module | owns | never does |
//! |---|---|---|
//! | [`klikit`] | the wire format: envelope, order record, status codes, signature check | I/O |
//! | [`store`] | SQLite: schema, migrations, the writer thread, every SQL statement | business rules |
//! | [`intake`] | the webhook listener: headers, body limit, verify, commit, answer | apply orders |
//! | [`kitchen`] | tickets, columns, bump/recall rules, cart diffs (pure: time is passed in) | I/O |
//! | [`api`] | the app listener: JSON API, live stream, the board | SQL |
//! | [`applier`] | taking stored deliveries in order and applying them through `kitchen`, exactly once | answer HTTP |
//! | [`config`] | file + environment + defaults, validated once at start | read secrets into logs |
//! | [`server`] | starting and stopping all of the above | business rules |
//! | [`shutdown`] | the stop signal every long-lived task waits on | decide when to stop |
//! | [`alert`] | the alert messages (new order, cancelled, receiver/tunnel down) and their channel | decide when to alert |
//! | [`tunnel`] | the supervised `cloudflared` child and its state | touch tickets |
//! | [`printing`] | kitchen printers: ticket layout, ESC/POS, rasterising, the print queue's senders, backup printing | block the pipeline |
//! | [`selftest`] | the first-delivery self-test: one signed test order, hop by hop | touch the store |
//! | [`status`] | `kds status`: the health report as terminal text | fetch anything |
//! | [`simulator`] | playing klikit: signing and posting deliveries, generating load | touch the store |
//!
//! The data flow: klikit → (cloudflared) → [`intake`] verifies the HMAC over
//! the raw bytes → [`store`] commits the delivery (group commit,
//! `synchronous=FULL`) → 2xx. Then the [`applier`] turns deliveries into
//! tickets by the [`kitchen`] rules, and [`api`]'s live stream shows them.

pub mod alert;
pub mod api;
pub mod applier;
pub mod config;
pub mod intake;
pub mod kitchen;
pub mod klikit;
pub mod printing;
pub mod selftest;
pub mod server;
pub mod shutdown;
pub mod simulator;
pub mod status;
pub mod store;
pub mod tunnel;
