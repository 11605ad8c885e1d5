//! The order faker: a deterministic, realistic stream of klikit deliveries from a seed.
//!
//! Mostly new orders (varied carts, nested modifiers, notes, several brands,
//! every order type, sometimes two to a delivery), then status moves and cart
//! edits for orders it already sent. Each delivery is the header values and
//! the JSON bytes klikit would send (REFERENCE §2).
//!
//! It never signs or posts: the caller does (`kds::client::post`).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The `x-klikit-event-type` of a new order.
pub const ORDER_CREATED: &str = "klikit.order.created.v2";
/// The `x-klikit-event-type` of a status move.
pub const STATUS_UPDATED: &str = "klikit.order.status.updated";
/// The `x-klikit-event-type` of a cart edit.
pub const CART_UPDATED: &str = "klikit.order.cart.updated";

/// One generated delivery, unsigned: what klikit would put in the
/// `x-klikit-event-id` and `x-klikit-event-type` headers, and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: &'static str,
    pub body: Vec<u8>,
}

/// A realistic stream of klikit deliveries: mostly new orders (sometimes
/// batched), then status moves and cart edits for orders already sent.
pub struct Feed {
    rng: StdRng,
    next_order: u64,
    open: Vec<(u64, Value)>,
}

struct Brand {
    id: i64,
    title: &'static str,
    menu: &'static [(&'static str, &'static [(&'static str, &'static [&'static str])])],
}

const BRANDS: &[Brand] = &[
    Brand {
        id: 2041,
        title: "Warung Sambal Ijo",
        menu: &[
            ("Nasi Goreng Kampung", &[("Spice Level", &["Tidak Pedas", "Pedas", "Extra Pedas"]), ("Add-ons", &["Telur Mata Sapi", "Kerupuk"])]),
            ("Ayam Bakar Madu", &[("Side", &["Nasi Uduk", "Nasi Putih"]), ("Sambal", &["Sambal Ijo", "Sambal Matah"])]),
            ("Mie Ayam Bakso", &[("Noodle Type", &["Mie Lebar", "Mie Kecil"])]),
            ("Es Teh Manis", &[("Sugar Level", &["Less Sugar", "Normal", "No Sugar"])]),
            ("Es Jeruk", &[]),
        ],
    },
    Brand {
        id: 2077,
        title: "Kopi Pagi",
        menu: &[
            ("Kopi Susu Gula Aren", &[("Size", &["Regular", "Large"]), ("Milk", &["Oat Milk", "Full Cream"])]),
            ("Roti Bakar", &[("Topping", &["Srikaya", "Coklat Keju", "Kacang"])]),
            ("Pisang Goreng", &[]),
            ("Americano", &[("Shots", &["Single", "Double"])]),
        ],
    },
    Brand {
        id: 2102,
        title: "Bowl & Co",
        menu: &[
            ("Teriyaki Chicken Bowl", &[("Base", &["Brown Rice", "Quinoa"]), ("Extras", &["Avocado", "Onsen Egg", "Edamame"])]),
            ("Salmon Poke", &[("Sauce", &["Shoyu", "Spicy Mayo"])]),
            ("Miso Soup", &[]),
        ],
    },
];

const NOTES: &[&str] = &["", "", "", "No onions", "Allergy: peanuts", "Sauce on the side", "Extra hot please", "Cut into 4 pieces", "No ice"];
const ORDER_NOTES: &[&str] = &["", "", "", "Please include cutlery", "Ring the bell twice", "Birthday - write HBD on the box"];
const PROVIDERS: &[i64] = &[1, 2, 6, 7, 9, 11, 14];

impl Feed {
    /// A deterministic feed for `seed`; order ids start high enough not to
    /// collide with the example fixtures.
    pub fn new(seed: u64) -> Feed {
        let mut rng = StdRng::seed_from_u64(seed);
        let next_order = 90_000_000 + rng.random_range(0..1_000_000u64) * 1000;
        Feed { rng, next_order, open: Vec::new() }
    }

    /// The next delivery.
    pub fn next(&mut self, now: OffsetDateTime) -> Delivery {
        let roll: f64 = self.rng.random();
        if self.open.len() > 4 && roll < 0.25 {
            self.status_update(now)
        } else if self.open.len() > 4 && roll < 0.32 {
            self.cart_update(now)
        } else {
            let n = if self.rng.random_bool(0.1) { 2 } else { 1 };
            let orders: Vec<Value> = (0..n).map(|_| self.new_order(now)).collect();
            self.delivery(ORDER_CREATED, orders)
        }
    }

    fn delivery(&mut self, event_type: &'static str, orders: Vec<Value>) -> Delivery {
        let brand_id = orders[0]["brands"][0]["id"].clone();
        let body = json!({ "brand_id": brand_id, "branch_id": 3307, "orders": orders });
        Delivery { event_id: crate::new_event_id(), event_type, body: serde_json::to_vec(&body).expect("JSON values serialize") }
    }

    /// A new order record in klikit's shape.
    pub fn new_order(&mut self, now: OffsetDateTime) -> Value {
        let id = self.next_order;
        self.next_order += 1;
        let brand = &BRANDS[self.rng.random_range(0..BRANDS.len())];
        let lines = self.rng.random_range(1..=4);
        let cart: Vec<Value> = (0..lines).map(|_| self.line(brand)).collect();
        let order_type = self.rng.random_range(1..=3);
        let status = if self.rng.random_bool(0.5) { 1 } else { 2 };
        let ts = now.format(&Rfc3339).expect("now formats");
        let order = json!({
            "id": id,
            "short_id": format!("K{:03X}", id % 4096),
            "external_id": format!("EXT-{id}"),
            "branch_id": 3307,
            "business_id": 512,
            "brands": [{ "id": brand.id, "title": brand.title, "logo": "" }],
            "status": status,
            "type": order_type,
            "provider_id": PROVIDERS[self.rng.random_range(0..PROVIDERS.len())],
            "table_no": if order_type == 3 { format!("{}", self.rng.random_range(1..30)) } else { String::new() },
            "order_comment": ORDER_NOTES[self.rng.random_range(0..ORDER_NOTES.len())],
            "created_at": ts,
            "updated_at": ts,
            "scheduled_time": Value::Null,
            "auto_accept": status == 2,
            "cart_v2": cart,
            "item_count": lines,
            "currency": "IDR",
            "user_first_name": "Guest",
        });
        self.open.push((id, order.clone()));
        order
    }

    fn line(&mut self, brand: &Brand) -> Value {
        let (name, groups) = brand.menu[self.rng.random_range(0..brand.menu.len())];
        let mut modifier_groups: Vec<Value> = Vec::new();
        for (group, options) in groups.iter() {
            if !self.rng.random_bool(0.8) {
                continue;
            }
            let pick = options[self.rng.random_range(0..options.len())];
            modifier_groups.push(json!({ "id": group.len().to_string(), "name": group, "modifiers": [
                { "id": pick.len().to_string(), "name": pick, "quantity": 1, "price": "0.00", "modifier_groups": [] }
            ]}));
        }
        json!({
            "id": format!("{}", 450_000 + name.len()),
            "name": name,
            "quantity": self.rng.random_range(1..=3),
            "comment": NOTES[self.rng.random_range(0..NOTES.len())],
            "brand": { "id": brand.id, "title": brand.title },
            "modifier_groups": modifier_groups,
        })
    }

    fn status_update(&mut self, now: OffsetDateTime) -> Delivery {
        let i = self.rng.random_range(0..self.open.len());
        let (_, order) = &mut self.open[i];
        let next = match order["status"].as_i64() {
            Some(1) => 2,
            Some(2) => 4,
            Some(4) => 5,
            _ => 3,
        };
        order["status"] = json!(next);
        order["updated_at"] = json!(now.format(&Rfc3339).expect("now formats"));
        let order = order.clone();
        if matches!(next, 3 | 5) {
            self.open.swap_remove(i);
        }
        self.delivery(STATUS_UPDATED, vec![order])
    }

    fn cart_update(&mut self, now: OffsetDateTime) -> Delivery {
        let i = self.rng.random_range(0..self.open.len());
        let brand_id = self.open[i].1["brands"][0]["id"].as_i64().unwrap_or(0);
        let brand = BRANDS.iter().find(|b| b.id == brand_id).unwrap_or(&BRANDS[0]);
        let extra = self.line(brand);
        let (_, order) = &mut self.open[i];
        if let Some(cart) = order["cart_v2"].as_array_mut() {
            if let Some(first) = cart.first_mut() {
                let q = first["quantity"].as_i64().unwrap_or(1);
                first["quantity"] = json!(q + 1);
            }
            cart.push(extra);
        }
        order["updated_at"] = json!(now.format(&Rfc3339).expect("now formats"));
        let order = order.clone();
        self.delivery(CART_UPDATED, vec![order])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_mixes_every_event_type_in_json_envelopes() {
        let mut feed = Feed::new(7);
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..300 {
            let d = feed.next(now);
            let v: Value = serde_json::from_slice(&d.body).expect("generated bodies are JSON");
            assert!(v["orders"].as_array().is_some_and(|o| !o.is_empty()), "every envelope carries at least one order");
            seen.insert(d.event_type);
        }
        assert_eq!(seen.len(), 3, "a realistic feed mixes creates, status updates and cart updates");
    }

    #[test]
    fn one_seed_gives_one_feed() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let (mut a, mut b) = (Feed::new(3), Feed::new(3));
        for _ in 0..50 {
            assert_eq!(a.next(now).body, b.next(now).body, "a seed must replay the same orders (benchmarks compare runs)");
        }
    }

    #[test]
    fn event_ids_are_unique_and_uuid_shaped() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| crate::new_event_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 36 && id.matches('-').count() == 4));
    }
}
