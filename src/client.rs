//! The signed-post client: sends one delivery to a receiver the way klikit does, signed with the webhook secret.
//!
//! `kds send` posts a file's exact bytes with a fresh event id and a valid
//! signature (it replaces the curl + openssl recipe of klikit's docs), and
//! the self-test posts its test order through it.
//!
//! It only talks HTTP; it never touches the store, and generates no orders
//! (the order faker and the load generator are the `kds-sim` tool crate).

use std::time::{Duration, Instant};

use crate::klikit::{self, EventType, WebhookSecret};

/// Why a post got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("request to {url} failed: {reason}")]
    Http { url: String, reason: String },
}

/// One delivery as klikit would post it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: EventType,
    pub body: Vec<u8>,
}

impl Delivery {
    /// A delivery from its header values (a generator's, a file's);
    /// `None` when kds does not know `event_type`.
    pub fn from_headers(event_id: String, event_type: &str, body: Vec<u8>) -> Option<Delivery> {
        Some(Delivery { event_id, event_type: EventType::parse(event_type)?, body })
    }
}

/// The answer to one post.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub latency: Duration,
    /// The `Retry-After` header, when the receiver sent one (503s).
    pub retry_after: Option<String>,
}

/// A fresh, unique event id (uuid-v4, as klikit's are).
pub fn new_event_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An HTTP client suited to posting deliveries.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1024)
        .build()
        .expect("the HTTP client builds with static settings")
}

/// Signs and posts one delivery, returning the status, body and latency.
pub async fn post(client: &reqwest::Client, url: &str, secret: &WebhookSecret, d: &Delivery) -> Result<Answer, ClientError> {
    let started = Instant::now();
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header(klikit::SIGNATURE_HEADER, secret.sign(&d.body))
        .header(klikit::EVENT_ID_HEADER, &d.event_id)
        .header(klikit::EVENT_TYPE_HEADER, d.event_type.as_str())
        .body(d.body.clone())
        .send()
        .await
        .map_err(|e| ClientError::Http { url: url.to_owned(), reason: e.to_string() })?;
    let status = res.status().as_u16();
    let retry_after = res.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = res.text().await.unwrap_or_default();
    Ok(Answer { status, body, latency: started.elapsed(), retry_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_unique_and_uuid_shaped() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_event_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 36 && id.matches('-').count() == 4));
    }

    #[test]
    fn a_delivery_from_headers_needs_a_known_event_type() {
        let d = Delivery::from_headers("e1".into(), "klikit.order.created.v2", b"{}".to_vec()).expect("a known type");
        assert_eq!(d.event_type, EventType::OrderCreated);
        assert!(Delivery::from_headers("e2".into(), "klikit.order.refunded", vec![]).is_none(), "an unknown type has no delivery");
    }
}
