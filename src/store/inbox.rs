//! The inbox: every signed delivery, stored once, byte for byte.

use rusqlite::{params, Connection, OptionalExtension, Row};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Store, StoreError};

/// A verified delivery, as the intake hands it over.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub event_id: String,
    /// The header value as received (known or not).
    pub event_type: String,
    pub body: Vec<u8>,
    pub body_sha256: String,
    /// The klikit headers and content type, as a JSON object.
    pub headers: serde_json::Value,
    pub received_at: OffsetDateTime,
    /// `None`: waiting for the kitchen. `Some(reason)`: kept, but the kitchen
    /// can never apply it.
    pub unprocessable: Option<String>,
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// A new row, committed; its arrival sequence number.
    Inserted { seq: i64 },
    /// The event id was already stored; nothing new was written except the
    /// duplicate counter.
    Duplicate { seq: i64 },
}

/// Where a stored delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Applied,
    Unprocessable,
}

impl DeliveryState {
    fn from_sql(s: &str) -> DeliveryState {
        match s {
            "applied" => DeliveryState::Applied,
            "unprocessable" => DeliveryState::Unprocessable,
            _ => DeliveryState::Pending,
        }
    }
}

/// A delivery as stored.
#[derive(Debug, Clone)]
pub struct StoredDelivery {
    pub seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub body: Vec<u8>,
    pub body_sha256: String,
    pub headers: String,
    pub received_at: OffsetDateTime,
    pub state: DeliveryState,
    pub reason: Option<String>,
    pub applied_at: Option<OffsetDateTime>,
    pub duplicates: i64,
}

const DELIVERY_COLUMNS: &str =
    "seq, event_id, event_type, body, body_sha256, headers, received_at, state, reason, applied_at, duplicates";

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("an OffsetDateTime always formats as RFC 3339")
}

fn parse_ts(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<StoredDelivery> {
    Ok(StoredDelivery {
        seq: r.get(0)?,
        event_id: r.get(1)?,
        event_type: r.get(2)?,
        body: r.get(3)?,
        body_sha256: r.get(4)?,
        headers: r.get(5)?,
        received_at: parse_ts(&r.get::<_, String>(6)?),
        state: DeliveryState::from_sql(&r.get::<_, String>(7)?),
        reason: r.get(8)?,
        applied_at: r.get::<_, Option<String>>(9)?.map(|s| parse_ts(&s)),
        duplicates: r.get(10)?,
    })
}

/// Inserts a delivery, or counts a duplicate of one already stored. Runs on
/// the writer thread, inside the group transaction.
fn insert(conn: &Connection, d: &NewDelivery) -> Result<InsertOutcome, StoreError> {
    let (state, reason) = match &d.unprocessable {
        None => ("pending", None),
        Some(r) => ("unprocessable", Some(r.as_str())),
    };
    let (seq, duplicates): (i64, i64) = conn
        .prepare_cached(
            "INSERT INTO inbox (event_id, event_type, body, body_sha256, headers, received_at, state, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (event_id) DO UPDATE
                SET duplicates = duplicates + 1, last_duplicate_at = excluded.received_at
             RETURNING seq, duplicates",
        )?
        .query_row(
            params![d.event_id, d.event_type, d.body, d.body_sha256, d.headers.to_string(), ts(d.received_at), state, reason],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    Ok(if duplicates == 0 { InsertOutcome::Inserted { seq } } else { InsertOutcome::Duplicate { seq } })
}

impl Store {
    /// Stores a verified delivery and resolves only once it is durably
    /// committed. A second delivery with the same event id is not stored
    /// again; it is counted, and answered [`InsertOutcome::Duplicate`].
    pub async fn insert_delivery(&self, delivery: NewDelivery) -> Result<InsertOutcome, StoreError> {
        self.write(move |conn| insert(conn, &delivery)).await
    }

    /// Deliveries the kitchen has not applied yet, oldest first, after
    /// `after_seq`.
    pub async fn pending_deliveries(&self, after_seq: i64, limit: usize) -> Result<Vec<StoredDelivery>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {DELIVERY_COLUMNS} FROM inbox WHERE state = 'pending' AND seq > ?1 ORDER BY seq LIMIT ?2");
            let rows = c.prepare_cached(&sql)?.query_map(params![after_seq, limit as i64], delivery_from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// One delivery by klikit event id.
    pub async fn delivery(&self, event_id: &str) -> Result<Option<StoredDelivery>, StoreError> {
        let event_id = event_id.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {DELIVERY_COLUMNS} FROM inbox WHERE event_id = ?1");
            Ok(c.prepare_cached(&sql)?.query_row([event_id], delivery_from_row).optional()?)
        })
        .await
    }

    /// The newest deliveries, newest first.
    pub async fn recent_deliveries(&self, limit: usize) -> Result<Vec<StoredDelivery>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {DELIVERY_COLUMNS} FROM inbox ORDER BY seq DESC LIMIT ?1");
            let rows = c.prepare_cached(&sql)?.query_map([limit as i64], delivery_from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// How many deliveries are stored, and how many wait for the kitchen.
    pub async fn inbox_counts(&self) -> Result<InboxCounts, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT count(*), coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'unprocessable'), 0), max(received_at) FROM inbox",
                [],
                |r| {
                    Ok(InboxCounts {
                        total: r.get(0)?,
                        pending: r.get(1)?,
                        unprocessable: r.get(2)?,
                        last_received_at: r.get::<_, Option<String>>(3)?.map(|s| parse_ts(&s)),
                    })
                },
            )?)
        })
        .await
    }
}

/// A summary of the inbox, for health and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCounts {
    pub total: i64,
    pub pending: i64,
    pub unprocessable: i64,
    pub last_received_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;

    fn delivery(id: &str) -> NewDelivery {
        NewDelivery {
            event_id: id.into(),
            event_type: "klikit.order.created.v2".into(),
            body: b"{\"orders\":[{\"id\":1}]}".to_vec(),
            body_sha256: crate::klikit::body_sha256(b"{\"orders\":[{\"id\":1}]}"),
            headers: serde_json::json!({}),
            received_at: OffsetDateTime::UNIX_EPOCH,
            unprocessable: None,
        }
    }

    #[tokio::test]
    async fn concurrent_copies_store_one_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let answers = futures_util::future::join_all((0..64).map(|_| store.insert_delivery(delivery("evt-1")))).await;
        let inserted = answers.iter().filter(|a| matches!(a, Ok(InsertOutcome::Inserted { .. }))).count();
        let dups = answers.iter().filter(|a| matches!(a, Ok(InsertOutcome::Duplicate { .. }))).count();
        assert_eq!((inserted, dups), (1, 63), "exactly one of 64 concurrent copies may be stored");
        let stored = store.delivery("evt-1").await.unwrap().expect("the delivery is stored");
        assert_eq!(stored.duplicates, 63, "every duplicate is counted for diagnostics");
        assert_eq!(stored.state, DeliveryState::Pending);
        assert_eq!(store.inbox_counts().await.unwrap().total, 1);
    }

    #[tokio::test]
    async fn body_is_kept_byte_exact_and_unprocessable_reason_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let mut d = delivery("evt-2");
        d.body = vec![0xff, 0x00, b' ', b'{'];
        d.unprocessable = Some("body is not JSON".into());
        store.insert_delivery(d).await.unwrap();
        let stored = store.delivery("evt-2").await.unwrap().unwrap();
        assert_eq!(stored.body, vec![0xff, 0x00, b' ', b'{'], "bodies are bytes, kept exactly");
        assert_eq!(stored.state, DeliveryState::Unprocessable);
        assert_eq!(stored.reason.as_deref(), Some("body is not JSON"));
        assert!(store.pending_deliveries(0, 10).await.unwrap().is_empty(), "unprocessable deliveries never reach the kitchen");
    }
}
