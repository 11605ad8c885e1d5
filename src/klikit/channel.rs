//! klikit's provider ids (REFERENCE §6): which sales channel an order came
//! from.
//!
//! It owns the id → channel name table. It never reads an order.

/// The channel name of a klikit `provider_id` (REFERENCE §6).
pub fn channel_name(provider_id: i64) -> Option<&'static str> {
    Some(match provider_id {
        1 => "klikit",
        2 => "Uber Eats",
        3 => "Deliveroo",
        5 => "DoorDash",
        6 => "GrabFood",
        7 => "foodpanda",
        9 => "GoFood",
        11 => "ShopeeFood",
        12 => "Demaecan",
        13 => "Pickaroo",
        14 => "Wolt",
        15 => "Square",
        16 => "TikTok",
        17 => "Maxim",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_providers() {
        assert_eq!(channel_name(6), Some("GrabFood"));
        assert_eq!(channel_name(99), None);
    }
}
