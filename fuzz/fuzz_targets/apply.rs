//! "Apply a delivery to the kitchen": decode arbitrary bytes as a delivery
//! and apply each order to the kitchen's records, the way the applier does
//! (without the database).
//!
//! Invariants: nothing panics; applying the same snapshot a second time
//! changes nothing (a duplicate under a new event id is harmless); a record
//! survives the JSON round trip the store puts it through; the ticket
//! serializes.
#![no_main]

use std::collections::HashMap;

use kds::kitchen::{Kitchen, Record};
use kds::klikit::decode_orders;
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let Ok(orders) = decode_orders(data) else { return };
    let kitchen = Kitchen::default();
    let now = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
    let mut records: HashMap<String, Record> = HashMap::new();
    for order in &orders {
        let applied = kitchen.apply(records.get(&order.id), order, now);
        let again = kitchen.apply(Some(&applied.record), order, now);
        assert!(!again.changed, "applying the same snapshot twice changed the ticket of order {}", order.id);
        let json = serde_json::to_string(&applied.record).expect("a record serializes");
        let back: Record = serde_json::from_str(&json).expect("a stored record reads back");
        assert_eq!(back, applied.record, "a record survives the store's JSON round trip");
        serde_json::to_value(&applied.record.ticket).expect("a ticket serializes");
        records.insert(order.id.clone(), applied.record);
    }
});
