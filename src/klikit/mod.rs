//! klikit's wire format: webhook header names, event types, the signature
//! check and the delivery envelope.
//!
//! This module owns *what klikit sends* and how to recognise a genuine
//! delivery. It is pure: it never does I/O, never touches the database and
//! never decides what a kitchen does with an order (that is `kitchen`).
//!
//! The facts behind it are in `shared/klikit/REFERENCE.md` §2: the signature
//! is the lowercase hex HMAC-SHA256 of the raw body bytes, keyed with the
//! webhook secret, and it carries no timestamp, so replay defence is the
//! event-id dedupe in `store` plus idempotent application in `kitchen`.

pub mod channel;
pub mod envelope;
pub mod order;
pub mod status;

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use envelope::{Envelope, EnvelopeError};
pub use channel::channel_name;
pub use order::{decode_orders, Order, OrderError, OrderType};
pub use status::{OrderStatus, StatusTable, UNKNOWN_STATUS};

/// Header carrying the hex HMAC-SHA256 of the raw body.
pub const SIGNATURE_HEADER: &str = "x-klikit-signature";
/// Header carrying the delivery id used for de-duplication.
pub const EVENT_ID_HEADER: &str = "x-klikit-event-id";
/// Header carrying the event type, e.g. `klikit.order.created.v2`.
pub const EVENT_TYPE_HEADER: &str = "x-klikit-event-type";

/// Longest event id we store. klikit's ids are short (uuid-like); anything
/// longer than this is not a klikit id and is refused with a 400 before the
/// signature check.
pub const MAX_EVENT_ID_LEN: usize = 256;

/// The three event types of the published partner contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EventType {
    /// `klikit.order.created.v2`: a new order; opens a ticket.
    #[serde(rename = "klikit.order.created.v2")]
    OrderCreated,
    /// `klikit.order.status.updated`: the order moved to another status.
    #[serde(rename = "klikit.order.status.updated")]
    StatusUpdated,
    /// `klikit.order.cart.updated`: the basket changed; carries the whole cart.
    #[serde(rename = "klikit.order.cart.updated")]
    CartUpdated,
}

impl EventType {
    /// All known types, for generators and tests.
    pub const ALL: [EventType; 3] = [Self::OrderCreated, Self::StatusUpdated, Self::CartUpdated];

    /// Parses the header value. The `klikit.` prefix is optional, since some
    /// of klikit's pages name the events without it.
    pub fn parse(value: &str) -> Option<EventType> {
        let v = value.trim();
        let v = v.strip_prefix("klikit.").unwrap_or(v);
        match v {
            "order.created.v2" => Some(Self::OrderCreated),
            "order.status.updated" => Some(Self::StatusUpdated),
            "order.cart.updated" => Some(Self::CartUpdated),
            _ => None,
        }
    }

    /// The canonical header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderCreated => "klikit.order.created.v2",
            Self::StatusUpdated => "klikit.order.status.updated",
            Self::CartUpdated => "klikit.order.cart.updated",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A webhook secret: the one [`Secret`](crate::config::Secret) type, named
/// for where klikit uses it. It never prints.
pub use crate::config::Secret as WebhookSecret;

impl WebhookSecret {
    /// Signs `body` the way klikit does: lowercase hex HMAC-SHA256.
    pub fn sign(&self, body: &[u8]) -> String {
        hex::encode(mac(self, body))
    }
}

fn mac(secret: &WebhookSecret, body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Why a signature was refused. The variants exist for diagnostics; every
/// one of them is answered with the same `401 invalid signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature header is empty")]
    Empty,
    #[error("signature is not hex")]
    NotHex,
    #[error("signature has the wrong length (expected 64 hex digits)")]
    WrongLength,
    #[error("signature does not match the body under any configured secret")]
    Mismatch,
}

/// Checks `header` against the HMAC of `body` under each secret in turn (the
/// current one and, during a rotation, the previous one).
///
/// Upper-case hex is accepted, since it is the same digest. The comparison
/// of digests is constant-time; the length and hex checks reveal nothing
/// about the secret.
pub fn verify(secrets: &[&WebhookSecret], body: &[u8], header: &str) -> Result<(), SignatureError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(SignatureError::Empty);
    }
    if header.len() != 64 {
        return Err(SignatureError::WrongLength);
    }
    let mut given = [0u8; 32];
    hex::decode_to_slice(header, &mut given).map_err(|_| SignatureError::NotHex)?;
    let mut ok = subtle::Choice::from(0);
    for secret in secrets {
        ok |= mac(secret, body).ct_eq(&given);
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Lowercase hex SHA-256 of a body, kept next to each stored delivery so that
/// a re-send under a new event id can be recognised (REFERENCE §8, item 1).
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> WebhookSecret {
        WebhookSecret::new("s3cret").unwrap()
    }

    #[test]
    fn sign_matches_openssl_recipe() {
        // printf '%s' '{"brand_id":1,"branch_id":2,"orders":[{"id":42}]}' | openssl dgst -sha256 -hmac s3cret
        let body = br#"{"brand_id":1,"branch_id":2,"orders":[{"id":42}]}"#;
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(secret().sign(body), expected, "sign must be plain HMAC-SHA256 in lowercase hex");
        assert!(expected.chars().all(|c| !c.is_ascii_uppercase()), "klikit sends lowercase hex");
    }

    #[test]
    fn verify_accepts_lower_and_upper_hex() {
        let body = b"{}";
        let sig = secret().sign(body);
        assert_eq!(verify(&[&secret()], body, &sig), Ok(()));
        assert_eq!(verify(&[&secret()], body, &sig.to_uppercase()), Ok(()), "upper-case hex is the same digest");
    }

    #[test]
    fn verify_refuses_each_trap_with_its_reason() {
        let body = b"{}";
        let s = secret();
        let sig = s.sign(body);
        assert_eq!(verify(&[&s], body, ""), Err(SignatureError::Empty));
        assert_eq!(verify(&[&s], body, &sig[..63]), Err(SignatureError::WrongLength));
        assert_eq!(verify(&[&s], body, &format!("{sig}00")), Err(SignatureError::WrongLength));
        let not_hex = format!("zz{}", &sig[2..]);
        assert_eq!(verify(&[&s], body, &not_hex), Err(SignatureError::NotHex));
        let other = WebhookSecret::new("other").unwrap();
        assert_eq!(verify(&[&s], body, &other.sign(body)), Err(SignatureError::Mismatch));
        assert_eq!(verify(&[&s], b"{ }", &sig), Err(SignatureError::Mismatch), "one changed byte must fail");
        assert_eq!(verify(&[], body, &sig), Err(SignatureError::Mismatch), "no secret verifies nothing");
    }

    #[test]
    fn verify_accepts_previous_secret_during_rotation() {
        let old = WebhookSecret::new("old").unwrap();
        let new = WebhookSecret::new("new").unwrap();
        let body = b"{\"orders\":[]}";
        assert_eq!(verify(&[&new, &old], body, &old.sign(body)), Ok(()));
        assert_eq!(verify(&[&new, &old], body, &new.sign(body)), Ok(()));
    }

    #[test]
    fn verify_works_on_bytes_not_strings() {
        let body: &[u8] = &[0xff, 0xfe, b'{', 0x80];
        let s = secret();
        assert_eq!(verify(&[&s], body, &s.sign(body)), Ok(()), "invalid UTF-8 must still verify: the HMAC is over bytes");
    }

    #[test]
    fn empty_secret_is_refused_and_secrets_never_print() {
        assert_eq!(WebhookSecret::new(""), None);
        assert_eq!(WebhookSecret::new("  \n"), None);
        let printed = format!("{:?}", WebhookSecret::new("hunter2").unwrap());
        assert!(!printed.contains("hunter2"), "Debug must mask the secret, got {printed}");
    }

    #[test]
    fn event_types_parse_with_and_without_prefix() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(EventType::parse(t.as_str().strip_prefix("klikit.").unwrap()), Some(t));
        }
        assert_eq!(EventType::parse("klikit.order.placed.v1"), None, "the DRAFT contract's names are not ours");
    }
}
