//! The order decoder (`kds::klikit::decode_orders`) on arbitrary bytes.
//!
//! Invariants: it never panics, and it agrees with the intake's envelope
//! check (`Envelope::parse`) on which bodies hold orders and on their ids:
//! a body the intake stores as "waiting for the kitchen" must be one the
//! applier can decode, and the other way round.
#![no_main]

use kds::klikit::{decode_orders, Envelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = decode_orders(data).map(|orders| orders.into_iter().map(|o| o.id).collect::<Vec<_>>());
    let envelope = Envelope::parse(data).map(|e| e.order_ids);
    assert_eq!(decoded.ok(), envelope.ok(), "the decoder and the envelope check disagree");
});
