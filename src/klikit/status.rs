//! klikit's status codes (REFERENCE §5): what each number means to a
//! kitchen and what it is called, with the config file's overrides.
//!
//! It owns the code → name → meaning table. It never decides what a kitchen
//! does with a status (that is `kitchen`).

use std::collections::BTreeMap;

/// What a klikit status code means to a kitchen (REFERENCE §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Placed,
    Accepted,
    Cancelled,
    Ready,
    Delivered,
    Scheduled,
    DriverAssigned,
    DriverArrived,
    PickedUp,
}

impl OrderStatus {
    /// REFERENCE §5: klikit's code, its meaning, its name. Written out:
    /// a code is klikit's number, not a position in a list.
    const ALL: [(i64, OrderStatus, &'static str); 9] = [
        (1, OrderStatus::Placed, "PLACED"),
        (2, OrderStatus::Accepted, "ACCEPTED"),
        (3, OrderStatus::Cancelled, "CANCELLED"),
        (4, OrderStatus::Ready, "READY"),
        (5, OrderStatus::Delivered, "DELIVERED"),
        (6, OrderStatus::Scheduled, "SCHEDULED"),
        (7, OrderStatus::DriverAssigned, "DRIVER_ASSIGNED"),
        (8, OrderStatus::DriverArrived, "DRIVER_ARRIVED"),
        (9, OrderStatus::PickedUp, "PICKED_UP"),
    ];

    /// The meaning of a status name (case-insensitive), if it is one we know.
    pub fn from_name(name: &str) -> Option<OrderStatus> {
        let n = name.trim().to_ascii_uppercase().replace([' ', '-'], "_");
        Self::ALL.iter().find(|(_, _, s)| *s == n).map(|(_, st, _)| *st)
    }
}

/// klikit's numeric status → name, from REFERENCE §5, with the config file's
/// `[status_names]` overrides applied on top. An override may rename a code
/// to another known state (e.g. `5 = "READY"` if klikit confirms the site's
/// reading) or to a name of its own, which the kitchen treats as unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTable {
    names: BTreeMap<i64, String>,
}

/// The name shown for a code no table knows.
pub const UNKNOWN_STATUS: &str = "UNKNOWN";

impl Default for StatusTable {
    fn default() -> Self {
        StatusTable { names: OrderStatus::ALL.iter().map(|(code, _, name)| (*code, name.to_string())).collect() }
    }
}

impl StatusTable {
    /// The default table with `overrides` applied.
    pub fn with_overrides(overrides: &BTreeMap<i64, String>) -> StatusTable {
        let mut table = StatusTable::default();
        for (code, name) in overrides {
            table.names.insert(*code, name.trim().to_ascii_uppercase());
        }
        table
    }

    /// The name of `code`, or [`UNKNOWN_STATUS`].
    pub fn name(&self, code: i64) -> &str {
        self.names.get(&code).map(String::as_str).unwrap_or(UNKNOWN_STATUS)
    }

    /// What `code` means, or `None` when it means nothing we know.
    pub fn meaning(&self, code: i64) -> Option<OrderStatus> {
        self.names.get(&code).and_then(|n| OrderStatus::from_name(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_defaults_and_overrides() {
        let t = StatusTable::default();
        assert_eq!(t.name(4), "READY");
        assert_eq!(t.name(9), "PICKED_UP");
        assert_eq!(t.name(42), UNKNOWN_STATUS);
        assert_eq!(t.meaning(3), Some(OrderStatus::Cancelled));
        let t = StatusTable::with_overrides(&BTreeMap::from([(5, "ready".to_string()), (10, "Refunded".to_string())]));
        assert_eq!(t.meaning(5), Some(OrderStatus::Ready), "an override can give a code another known meaning");
        assert_eq!((t.name(10), t.meaning(10)), ("REFUNDED", None), "an override can name a code the kitchen does not act on");
    }

    #[test]
    fn codes_are_klikits_numbers() {
        let t = StatusTable::default();
        let named: Vec<(i64, &str)> = (0..=10).map(|c| (c, t.name(c))).collect();
        assert_eq!(named, vec![(0, UNKNOWN_STATUS), (1, "PLACED"), (2, "ACCEPTED"), (3, "CANCELLED"), (4, "READY"), (5, "DELIVERED"), (6, "SCHEDULED"), (7, "DRIVER_ASSIGNED"), (8, "DRIVER_ARRIVED"), (9, "PICKED_UP"), (10, UNKNOWN_STATUS)], "REFERENCE §5, code by code");
    }
}
