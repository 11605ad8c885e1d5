//! # kds-sim: playing klikit, to demo and measure kds
//!
//! A tool crate: the `kds` binary (`kds load`), the benchmarks and the tests
//! use it; the core library and the desktop app never do.
//!
//! | module | owns | never does |
//! |---|---|---|
//! | [`feed`] | the order faker: realistic klikit deliveries from a seed | sign or post |
//! | [`load`] | the load generator: many concurrent posters, a rate, a report | know how a post is made |
//! | [`stats`] | quantiles and medians of measured values | measure anything |
//!
//! It does not depend on `kds` (that would be a cycle through the `kds`
//! binary): a delivery here is plain header values and bytes, and the load
//! generator is handed the function that signs and posts one.

pub mod feed;
pub mod load;
pub mod stats;

pub use feed::{Delivery, Feed};
pub use load::{load, Ack, LoadPlan, LoadReport};
pub use stats::{median, quantile};

/// A fresh, unique event id (uuid-v4, as klikit's are).
pub fn new_event_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
