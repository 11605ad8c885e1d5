//! Signature and header parsing: arbitrary header bytes (as the HTTP layer
//! would hand them over) and an arbitrary body, checked against the
//! reference behaviour. Input layout: `secret \0 header \0 body`.
//!
//! Invariants: `verify` never panics; it accepts exactly when the header,
//! trimmed, is the 64-digit hex (either case) of HMAC-SHA256(secret, body);
//! a freshly signed body always verifies; event types parse only to one of
//! the three known names.
#![no_main]

use kds::klikit::{verify, EventType, WebhookSecret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let (secret, header, body) = (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    let Some(secret) = std::str::from_utf8(secret).ok().and_then(WebhookSecret::new) else { return };
    // The intake only sees header values that are visible ASCII (`to_str`).
    let header_str = std::str::from_utf8(header).ok();
    let expected = secret.sign(body);
    assert_eq!(verify(&[&secret], body, &expected), Ok(()), "a signed body must verify");
    if let Some(h) = header_str {
        let accepted = verify(&[&secret], body, h).is_ok();
        let should = h.trim().eq_ignore_ascii_case(&expected);
        assert_eq!(accepted, should, "verify({h:?}) disagrees with the reference");
        if let Some(t) = EventType::parse(h) {
            assert!(EventType::ALL.contains(&t));
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
    }
});
