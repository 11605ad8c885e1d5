//! The answer table: what the intake answers for each outcome of a delivery.
//!
//! It owns the mapping from [`Accepted`] and [`IntakeError`] to a status
//! code, a JSON body and the `Retry-After`/`Connection` headers, and the
//! outcome names the log and counters use. It never reads a request or
//! touches the store; no internal detail reaches the client.
//!
//! | request | answer | stored |
//! |---|---|---|
//! | valid, new event id | `200 {"status":"received"}` after the commit | yes |
//! | valid, event id already stored | `200 {"status":"duplicate-ignored"}` | no second row |
//! | an `x-klikit-*` header missing or empty | `400`, naming the header | no |
//! | signature wrong, not hex, wrong length | `401 {"error":"invalid signature"}` | no, counted |
//! | body over 1 MiB | `413`, without buffering it | no |
//! | `Content-Encoding` other than identity | `415` (the signature covers the bytes klikit sent; we do not guess) | no |
//! | valid, but not JSON / not the envelope / unknown event type | `200`, marked unprocessable with the reason | yes |
//! | the commit fails | `503` with `Retry-After` | no |
//! | no secret configured | `503` with `Retry-After` | no |
//! | body trickled slower than the body timeout | `408`, connection closed | no |
//!

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;

use super::MAX_BODY_BYTES;
use crate::klikit::SignatureError;
use crate::store::StoreError;

/// What became of one delivery, as the diagnostics view lists it: the
/// intake's answer, or (for a stored one) how far the applier took it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "DeliveryOutcome"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored; not yet applied.
    Received,
    /// Stored and applied to the board.
    Applied,
    /// A repeat of a stored event id.
    Duplicate,
    /// Signed, stored, but unusable.
    Unprocessable,
    InvalidSignature,
    BadRequest,
    TooLarge,
    UnsupportedEncoding,
    BodyError,
    NoSecret,
    StoreUnavailable,
}

impl Outcome {
    /// Every outcome, in the order above.
    pub const ALL: [Outcome; 11] = [
        Outcome::Received,
        Outcome::Applied,
        Outcome::Duplicate,
        Outcome::Unprocessable,
        Outcome::InvalidSignature,
        Outcome::BadRequest,
        Outcome::TooLarge,
        Outcome::UnsupportedEncoding,
        Outcome::BodyError,
        Outcome::NoSecret,
        Outcome::StoreUnavailable,
    ];

    /// The JSON name (for logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Received => "received",
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Unprocessable => "unprocessable",
            Outcome::InvalidSignature => "invalid_signature",
            Outcome::BadRequest => "bad_request",
            Outcome::TooLarge => "too_large",
            Outcome::UnsupportedEncoding => "unsupported_encoding",
            Outcome::BodyError => "body_error",
            Outcome::NoSecret => "no_secret",
            Outcome::StoreUnavailable => "store_unavailable",
        }
    }
}

/// A delivery the intake took.
#[derive(Debug)]
pub(super) enum Accepted {
    Received { unprocessable: Option<String> },
    Duplicate,
}

impl Accepted {
    pub(super) fn outcome(&self) -> Outcome {
        match self {
            Accepted::Received { unprocessable: None } => Outcome::Received,
            Accepted::Received { unprocessable: Some(_) } => Outcome::Unprocessable,
            Accepted::Duplicate => Outcome::Duplicate,
        }
    }
}

impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        match self {
            Accepted::Received { unprocessable: None } => Json(json!({"status": "received"})).into_response(),
            Accepted::Received { unprocessable: Some(reason) } => {
                Json(json!({"status": "received", "unprocessable": reason})).into_response()
            }
            Accepted::Duplicate => Json(json!({"status": "duplicate-ignored"})).into_response(),
        }
    }
}

/// Why a delivery was refused. Each maps to one answer; no internal detail
/// reaches the client.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("bad header {0}: {1}")]
    BadHeader(&'static str, &'static str),
    #[error("invalid signature: {0}")]
    InvalidSignature(SignatureError),
    #[error("body too large")]
    TooLarge,
    #[error("content encoding not supported")]
    UnsupportedEncoding,
    #[error("body not received in time")]
    BodyTimeout,
    #[error("body could not be read")]
    BodyRead,
    #[error("no webhook secret configured")]
    NoSecret,
    #[error("store: {0}")]
    Store(StoreError),
}

impl IntakeError {
    pub(super) fn outcome(&self) -> Outcome {
        match self {
            IntakeError::MissingHeader(_) | IntakeError::BadHeader(..) => Outcome::BadRequest,
            IntakeError::InvalidSignature(_) => Outcome::InvalidSignature,
            IntakeError::TooLarge => Outcome::TooLarge,
            IntakeError::UnsupportedEncoding => Outcome::UnsupportedEncoding,
            IntakeError::BodyTimeout | IntakeError::BodyRead => Outcome::BodyError,
            IntakeError::NoSecret => Outcome::NoSecret,
            IntakeError::Store(_) => Outcome::StoreUnavailable,
        }
    }
}

impl IntoResponse for IntakeError {
    fn into_response(self) -> Response {
        let (status, message, retry_after) = match &self {
            IntakeError::MissingHeader(name) => (StatusCode::BAD_REQUEST, format!("missing header {name}"), None),
            IntakeError::BadHeader(name, why) => (StatusCode::BAD_REQUEST, format!("bad header {name}: {why}"), None),
            IntakeError::InvalidSignature(_) => (StatusCode::UNAUTHORIZED, "invalid signature".into(), None),
            IntakeError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, format!("body too large (limit {MAX_BODY_BYTES} bytes)"), None),
            IntakeError::UnsupportedEncoding => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "content-encoding not supported; send the body uncompressed".into(), None)
            }
            IntakeError::BodyTimeout => (StatusCode::REQUEST_TIMEOUT, "body not received in time".into(), None),
            IntakeError::BodyRead => (StatusCode::BAD_REQUEST, "body could not be read".into(), None),
            IntakeError::NoSecret => (StatusCode::SERVICE_UNAVAILABLE, "receiver not configured".into(), Some("60")),
            IntakeError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable, retry later".into(), Some("5")),
        };
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(secs));
        }
        if matches!(self, IntakeError::BodyTimeout | IntakeError::TooLarge) {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn answer(r: impl IntoResponse) -> (StatusCode, Option<String>, Option<String>, serde_json::Value) {
        let res = r.into_response();
        let h = |n: header::HeaderName| res.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        let (retry, conn) = (h(header::RETRY_AFTER), h(header::CONNECTION));
        let status = res.status();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, retry, conn, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn every_refusal_has_its_status_and_only_retryable_ones_say_retry_after() {
        let cases: Vec<(IntakeError, StatusCode, Option<&str>, Option<&str>)> = vec![
            (IntakeError::MissingHeader("x-klikit-signature"), StatusCode::BAD_REQUEST, None, None),
            (IntakeError::BadHeader("x-klikit-event-id", "too long"), StatusCode::BAD_REQUEST, None, None),
            (IntakeError::InvalidSignature(SignatureError::Mismatch), StatusCode::UNAUTHORIZED, None, None),
            (IntakeError::TooLarge, StatusCode::PAYLOAD_TOO_LARGE, None, Some("close")),
            (IntakeError::UnsupportedEncoding, StatusCode::UNSUPPORTED_MEDIA_TYPE, None, None),
            (IntakeError::BodyTimeout, StatusCode::REQUEST_TIMEOUT, None, Some("close")),
            (IntakeError::BodyRead, StatusCode::BAD_REQUEST, None, None),
            (IntakeError::NoSecret, StatusCode::SERVICE_UNAVAILABLE, Some("60"), None),
            (IntakeError::Store(StoreError::Full), StatusCode::SERVICE_UNAVAILABLE, Some("5"), None),
        ];
        for (error, status, retry, conn) in cases {
            let name = format!("{error:?}");
            let (s, r, c, body) = answer(error).await;
            assert_eq!(s, status, "{name}: wrong status");
            assert_eq!(r.as_deref(), retry, "{name}: Retry-After only where klikit should retry");
            assert_eq!(c.as_deref(), conn, "{name}: connection closed only when the body was not read");
            assert!(body["error"].is_string(), "{name}: every refusal names its error in JSON: {body}");
        }
    }

    #[tokio::test]
    async fn store_errors_never_reach_the_client() {
        let (_, _, _, body) = answer(IntakeError::Store(StoreError::Sqlite("disk I/O error at page 7".into()))).await;
        assert!(!body.to_string().contains("page 7"), "internal detail must not leak: {body}");
    }

    #[tokio::test]
    async fn accepted_deliveries_are_200_with_their_status() {
        let (s, _, _, b) = answer(Accepted::Received { unprocessable: None }).await;
        assert_eq!((s, b), (StatusCode::OK, json!({"status": "received"})));
        let (s, _, _, b) = answer(Accepted::Received { unprocessable: Some("not JSON".into()) }).await;
        assert_eq!((s, b), (StatusCode::OK, json!({"status": "received", "unprocessable": "not JSON"})), "unprocessable is still acknowledged: retries cannot fix it");
        let (s, _, _, b) = answer(Accepted::Duplicate).await;
        assert_eq!((s, b), (StatusCode::OK, json!({"status": "duplicate-ignored"})));
    }
}
