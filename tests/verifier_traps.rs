//! The known traps of webhook signature verification, each as an explicit
//! end-to-end test over real HTTP (the unit-level twins are in
//! `src/klikit/mod.rs`): empty signature, wrong length, non-hex, an empty
//! secret, an invalid-UTF-8 body that is correctly signed (bytes, not
//! strings), and `Content-Encoding: gzip` (defined: 415, README).

mod support;

use kds::config::{Config, Overrides};
use kds::klikit::WebhookSecret;
use kds::store::DeliveryState;
use support::TestServer;

const BODY: &[u8] = br#"{"brand_id":1,"branch_id":2,"orders":[{"id":4242,"status":1}]}"#;

async fn post(t: &TestServer, event_id: &str, signature: &str, body: &[u8], extra: &[(&str, &str)]) -> (u16, String) {
    let mut req = t
        .client
        .post(t.intake_url())
        .header("content-type", "application/json")
        .header("x-klikit-signature", signature)
        .header("x-klikit-event-id", event_id)
        .header("x-klikit-event-type", "klikit.order.created.v2");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = req.body(body.to_vec()).send().await.expect("the intake answers");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn not_stored(t: &TestServer, event_id: &str) -> bool {
    t.server.store().delivery(event_id).await.unwrap().is_none()
}

/// Posts BODY under each signature in `cases`: each must be 401 and not stored.
async fn assert_refused_401(t: &TestServer, tag: &str, cases: &[String], why: &str) {
    for (i, sig) in cases.iter().enumerate() {
        let id = format!("evt-{tag}-{i}");
        assert_eq!(post(t, &id, sig, BODY, &[]).await.0, 401, "{why} ({sig:?}, {} chars) is refused", sig.len());
        assert!(not_stored(t, &id).await, "{why}: a refused delivery is never stored");
    }
}

#[tokio::test]
async fn empty_or_blank_signature_is_400_and_not_stored() {
    let t = TestServer::start().await;
    for (i, sig) in ["", " ", "\t"].iter().enumerate() {
        let id = format!("evt-empty-{i}");
        let (status, body) = post(&t, &id, sig, BODY, &[]).await;
        assert_eq!(status, 400, "an empty signature is a missing header, never a pass: {sig:?}");
        assert!(body.contains("x-klikit-signature"), "the answer names the header: {body}");
        assert!(not_stored(&t, &id).await);
    }
    t.stop().await;
}

#[tokio::test]
async fn signatures_of_the_wrong_length_are_401() {
    let t = TestServer::start().await;
    let good = t.secret.sign(BODY);
    let cases = [good[..1].to_string(), good[..32].to_string(), good[..63].to_string(), format!("{good}0"), format!("{good}{good}")];
    assert_refused_401(&t, "len", &cases, "a prefix or extension of the right digest").await;
    t.stop().await;
}

#[tokio::test]
async fn non_hex_signatures_of_the_right_length_are_401() {
    let t = TestServer::start().await;
    let good = t.secret.sign(BODY);
    let cases = [format!("{}g", &good[..63]), format!("0x{}", &good[..62]), "-".repeat(64), format!("{} ", &good[..63])];
    assert_refused_401(&t, "hex", &cases, "a non-hex signature").await;
    // Upper-case hex is the same digest, and surrounding blanks are not part of it.
    assert_eq!(post(&t, "evt-hex-upper", &good.to_uppercase(), BODY, &[]).await.0, 200);
    t.stop().await;
}

#[tokio::test]
async fn an_empty_secret_never_verifies_anything() {
    // A blank secret in the environment means "no secret": the receiver
    // refuses (503) rather than checking HMACs under an empty key, which
    // anyone can compute.
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load_with(Overrides { data_dir: Some(dir.path().to_owned()), ..Default::default() }, |k| {
        (k == "KLIKIT_WEBHOOK_SECRET").then(|| "   ".to_string())
    })
    .unwrap();
    assert!(config.webhook_secret.is_none(), "a blank secret is no secret");
    assert!(WebhookSecret::new("").is_none(), "and cannot be built directly either");
    let t = TestServer::start_in(dir, |c| c.webhook_secret = None).await;
    let empty_key_sig = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"").unwrap();
        mac.update(BODY);
        hex::encode(mac.finalize().into_bytes())
    };
    let (status, _) = post(&t, "evt-empty-key", &empty_key_sig, BODY, &[]).await;
    assert_eq!(status, 503, "with no secret configured a delivery signed under the empty key is refused");
    assert!(not_stored(&t, "evt-empty-key").await);
    t.stop().await;
}

#[tokio::test]
async fn invalid_utf8_body_correctly_signed_verifies_and_is_kept_byte_exact() {
    let t = TestServer::start().await;
    let body: &[u8] = &[b'{', 0xff, 0xfe, b'"', 0xc3, 0x28, b'}', 0x80];
    let (status, answer) = post(&t, "evt-bytes", &t.secret.sign(body), body, &[]).await;
    assert_eq!(status, 200, "the HMAC is over bytes: a correctly signed body verifies even if it is not UTF-8 ({answer})");
    let stored = t.server.store().delivery("evt-bytes").await.unwrap().expect("a verified delivery is stored");
    assert_eq!(stored.body, body, "the bytes are kept exactly, not re-encoded");
    assert_eq!(stored.state, DeliveryState::Unprocessable, "it can never become an order, so it is marked unprocessable");
    // The same bytes with one byte changed do not verify.
    let mut tampered = body.to_vec();
    tampered[1] = 0xfd;
    assert_eq!(post(&t, "evt-bytes-2", &t.secret.sign(body), &tampered, &[]).await.0, 401);
    t.stop().await;
}

#[tokio::test]
async fn gzip_content_encoding_is_415_whichever_bytes_were_signed() {
    let t = TestServer::start().await;
    // A gzip member header and some bytes: the content does not matter, the
    // intake never inflates.
    let gz: &[u8] = &[0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0xab, 0xae, 0x05, 0x00];
    let cases: [(&str, &[u8], String); 4] = [
        ("gzip", gz, t.secret.sign(gz)),
        ("gzip", gz, t.secret.sign(BODY)),
        ("GZIP", BODY, t.secret.sign(BODY)),
        ("deflate, identity", BODY, t.secret.sign(BODY)),
    ];
    for (i, (encoding, body, sig)) in cases.iter().enumerate() {
        let id = format!("evt-gz-{i}");
        let (status, answer) = post(&t, &id, sig, body, &[("content-encoding", encoding)]).await;
        assert_eq!(status, 415, "Content-Encoding {encoding:?} is answered 415 (send it uncompressed), got {answer}");
        assert!(not_stored(&t, &id).await, "an encoded delivery is not stored");
    }
    let (status, _) = post(&t, "evt-identity", &t.secret.sign(BODY), BODY, &[("content-encoding", "identity")]).await;
    assert_eq!(status, 200, "identity is no encoding at all");
    t.stop().await;
}
