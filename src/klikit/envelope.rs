//! The delivery envelope: `{"brand_id": .., "branch_id": .., "orders": [..]}`.
//!
//! The intake only needs to know whether a signed body is something the
//! kitchen could ever apply, so that a body which cannot be is stored and
//! marked unprocessable (with the reason) instead of being retried forever.
//! It checks the shape loosely: `orders` must be a non-empty array of
//! objects, each with an `id` (integer or string). Everything else is left to
//! the order decoder, and unknown fields are ignored (REFERENCE §8, item 8).

use serde_json::Value;

/// What the intake learns from a well-formed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub brand_id: Option<i64>,
    pub branch_id: Option<i64>,
    /// klikit order ids, as decimal strings, in body order.
    pub order_ids: Vec<String>,
}

/// Why a signed body cannot be applied. The text is stored as the delivery's
/// reason and shown in diagnostics, so it is written for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("body is not a JSON object")]
    NotObject,
    #[error("body has no \"orders\" array")]
    NoOrders,
    #[error("\"orders\" is empty")]
    EmptyOrders,
    #[error("order #{0} in \"orders\" is not an object")]
    OrderNotObject(usize),
    #[error("order #{0} in \"orders\" has no usable \"id\"")]
    OrderWithoutId(usize),
}

impl Envelope {
    /// Checks the envelope's shape and collects the order ids.
    pub fn parse(body: &[u8]) -> Result<Envelope, EnvelopeError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
        let obj = value.as_object().ok_or(EnvelopeError::NotObject)?;
        let orders = obj.get("orders").and_then(Value::as_array).ok_or(EnvelopeError::NoOrders)?;
        if orders.is_empty() {
            return Err(EnvelopeError::EmptyOrders);
        }
        let mut order_ids = Vec::with_capacity(orders.len());
        for (i, order) in orders.iter().enumerate() {
            let order = order.as_object().ok_or(EnvelopeError::OrderNotObject(i))?;
            let id = order.get("id").and_then(order_id).ok_or(EnvelopeError::OrderWithoutId(i))?;
            order_ids.push(id);
        }
        Ok(Envelope {
            brand_id: obj.get("brand_id").and_then(Value::as_i64),
            branch_id: obj.get("branch_id").and_then(Value::as_i64),
            order_ids,
        })
    }
}

/// klikit order ids are integers in payloads but strings in the PATCH path
/// (REFERENCE §4.1); we keep them as decimal strings.
pub fn order_id(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()).or_else(|| n.as_i64().map(|n| n.to_string())),
        Value::String(s) if !s.trim().is_empty() && s.len() <= 64 => Some(s.trim().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_example_fixture() {
        for (name, body) in [
            ("01", include_str!("../../tests/fixtures/01-order-created-single.json")),
            ("02", include_str!("../../tests/fixtures/02-order-status-ready.json")),
            ("03", include_str!("../../tests/fixtures/03-order-cart-updated.json")),
            ("04", include_str!("../../tests/fixtures/04-order-created-batched.json")),
            ("05", include_str!("../../tests/fixtures/05-order-status-cancelled.json")),
        ] {
            let env = Envelope::parse(body.as_bytes()).unwrap_or_else(|e| panic!("fixture {name} should parse: {e}"));
            assert!(matches!(env.brand_id, Some(2041 | 2042)), "fixture {name} carries its brand id, got {:?}", env.brand_id);
            assert!(!env.order_ids.is_empty());
        }
        let batched = Envelope::parse(include_bytes!("../../tests/fixtures/04-order-created-batched.json")).unwrap();
        assert_eq!(batched.order_ids.len(), 2, "the batched example holds two orders");
    }

    #[test]
    fn refuses_bodies_the_kitchen_could_never_apply() {
        assert!(matches!(Envelope::parse(b"not json"), Err(EnvelopeError::NotJson(_))));
        assert_eq!(Envelope::parse(b"[1,2]"), Err(EnvelopeError::NotObject));
        assert_eq!(Envelope::parse(b"{}"), Err(EnvelopeError::NoOrders));
        assert_eq!(Envelope::parse(br#"{"orders":{}}"#), Err(EnvelopeError::NoOrders));
        assert_eq!(Envelope::parse(br#"{"orders":[]}"#), Err(EnvelopeError::EmptyOrders));
        assert_eq!(Envelope::parse(br#"{"orders":[{"id":1},7]}"#), Err(EnvelopeError::OrderNotObject(1)));
        assert_eq!(Envelope::parse(br#"{"orders":[{"id":null}]}"#), Err(EnvelopeError::OrderWithoutId(0)));
        assert_eq!(Envelope::parse(br#"{"orders":[{"id":""}]}"#), Err(EnvelopeError::OrderWithoutId(0)));
    }

    #[test]
    fn accepts_string_ids_and_missing_brand() {
        let env = Envelope::parse(br#"{"orders":[{"id":"8120610"},{"id":42}]}"#).unwrap();
        assert_eq!(env.order_ids, vec!["8120610".to_string(), "42".to_string()]);
        assert_eq!(env.brand_id, None, "brand is optional: a KDS can live without it");
    }
}
