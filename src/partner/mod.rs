//! klikit's partner API, outward: the client, the status outbox's sender,
//! and how a screen action becomes an outbox row.
//!
//! | file | owns |
//! |---|---|
//! | [`client`] | credentials, the envelope, error classes, retries |
//! | [`staging`] | a screen action's outbox rows and the card's sync line, in the ticket's transaction |
//! | [`sender`] | sending waiting rows in order per order, and what each answer means |
//! | [`catchup`] | fetching back orders whose webhooks never came, into the inbox |
//!
//! Everything here is opt-in: without partner credentials the server does
//! not create a [`Partner`], no outbox row is written, and kds behaves as
//! it did before. It never decides kitchen rules (`kitchen` does).

pub mod catchup;
pub mod client;
pub mod sender;
pub mod staging;

pub use client::{Client, ErrorKind, PartnerConfig, PartnerError, StatusChange};
pub use sender::{Partner, PartnerHealth};
