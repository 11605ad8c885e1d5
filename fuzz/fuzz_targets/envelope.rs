//! The envelope decoder (`kds::klikit::Envelope::parse`) on arbitrary bytes.
//!
//! Invariants: it never panics; when it accepts a body, the body is JSON
//! with a non-empty `orders` array and one decimal id per order.
#![no_main]

use kds::klikit::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::parse(data) {
        let value: serde_json::Value = serde_json::from_slice(data).expect("an accepted envelope is JSON");
        let orders = value["orders"].as_array().expect("an accepted envelope has an orders array");
        assert!(!envelope.order_ids.is_empty(), "an accepted envelope has at least one order");
        assert_eq!(envelope.order_ids.len(), orders.len(), "one id per order");
        for id in &envelope.order_ids {
            assert!(!id.is_empty(), "order ids are never empty: {id:?}");
        }
    }
});
