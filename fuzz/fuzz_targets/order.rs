//! The order decoder (`kds::klikit::decode_orders`) on arbitrary bytes.
//!
//! Invariants: it never panics; every order it returns has believable
//! numbers (`Order::check_bounds`); and it agrees with the intake's envelope
//! check (`Envelope::parse`) on which bodies hold orders and on their ids:
//! a body the intake stores as "waiting for the kitchen" must be one the
//! applier can decode, and the other way round. The one exception is an
//! order with absurd numbers, which only the decoder judges: the applier
//! marks that delivery unprocessable with the reason.
#![no_main]

use kds::klikit::{decode_orders, Envelope, OrderError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = match decode_orders(data) {
        Err(OrderError::Absurd(..)) => return,
        other => other,
    };
    if let Ok(orders) = &decoded {
        for o in orders {
            assert_eq!(o.check_bounds(), Ok(()), "a decoded order has believable numbers");
        }
    }
    let decoded = decoded.map(|orders| orders.into_iter().map(|o| o.id).collect::<Vec<_>>());
    let envelope = Envelope::parse(data).map(|e| e.order_ids);
    assert_eq!(decoded.ok(), envelope.ok(), "the decoder and the envelope check disagree");
});
