//! The inbox: every signed delivery, stored once, byte for byte.
//!
//! A delivery is an `inbox` row (event id, type, hash, headers, state) and,
//! since migration 0008, its raw body as a row of `delivery_bodies`,
//! deflate-compressed, both written in one transaction. Rows stored before
//! that keep their body in `inbox.body`, uncompressed; every read here takes
//! whichever holds it, so old and new rows read the same bytes. Pruning the
//! bodies is `retention`'s job.

use std::io::{Read, Write};

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

/// The columns [`delivery_from_row`] reads, from `inbox i` joined with its
/// body row `b` (absent for a row stored before migration 0008, or pruned).
const DELIVERY_COLUMNS: &str =
    "i.seq, i.event_id, i.event_type, i.body, i.body_sha256, i.headers, i.received_at, i.state, i.reason, i.applied_at, i.duplicates, b.deflated";
/// The inbox with each row's body, for [`DELIVERY_COLUMNS`].
const DELIVERIES: &str = "inbox i LEFT JOIN delivery_bodies b ON b.seq = i.seq";

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("an OffsetDateTime always formats as RFC 3339")
}

fn parse_ts(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A body as `delivery_bodies` keeps it.
pub fn deflate(body: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::default());
    z.write_all(body).expect("writing to a Vec cannot fail");
    z.finish().expect("writing to a Vec cannot fail")
}

/// The raw body back from `delivery_bodies`.
pub fn inflate(deflated: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(deflated.len() * 4);
    flate2::read::DeflateDecoder::new(deflated).read_to_end(&mut body)?;
    Ok(body)
}

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<StoredDelivery> {
    // The body's own row when it has one, else what the inbox row holds.
    let body = match r.get::<_, Option<Vec<u8>>>(11)? {
        Some(deflated) => inflate(&deflated).map_err(|e| rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Blob, Box::new(e)))?,
        None => r.get(3)?,
    };
    Ok(StoredDelivery {
        seq: r.get(0)?,
        event_id: r.get(1)?,
        event_type: r.get(2)?,
        body,
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
/// `deflated` is `d.body` compressed ([`deflate`]), done before the job so
/// the writer, which every delivery waits for, does not.
fn insert(conn: &Connection, d: &NewDelivery, deflated: &[u8]) -> Result<InsertOutcome, StoreError> {
    let (state, reason) = match &d.unprocessable {
        None => ("pending", None),
        Some(r) => ("unprocessable", Some(r.as_str())),
    };
    let (seq, duplicates): (i64, i64) = conn
        .prepare_cached(
            "INSERT INTO inbox (event_id, event_type, body, body_sha256, headers, received_at, state, reason)
             VALUES (?1, ?2, X'', ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (event_id) DO UPDATE
                SET duplicates = duplicates + 1, last_duplicate_at = excluded.received_at
             RETURNING seq, duplicates",
        )?
        .query_row(
            params![d.event_id, d.event_type, d.body_sha256, d.headers.to_string(), ts(d.received_at), state, reason],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    if duplicates > 0 {
        return Ok(InsertOutcome::Duplicate { seq });
    }
    // The body, in the same transaction as its row: both commit or neither.
    conn.prepare_cached("INSERT INTO delivery_bodies (seq, deflated) VALUES (?1, ?2)")?.execute(params![seq, deflated])?;
    Ok(InsertOutcome::Inserted { seq })
}

impl Store {
    /// Stores a verified delivery and resolves only once it is durably
    /// committed. A second delivery with the same event id is not stored
    /// again; it is counted, and answered [`InsertOutcome::Duplicate`].
    pub async fn insert_delivery(&self, delivery: NewDelivery) -> Result<InsertOutcome, StoreError> {
        let deflated = deflate(&delivery.body);
        self.write(move |conn| insert(conn, &delivery, &deflated)).await
    }

    /// Deliveries the kitchen has not applied yet, oldest first, after
    /// `after_seq`.
    pub async fn pending_deliveries(&self, after_seq: i64, limit: usize) -> Result<Vec<StoredDelivery>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {DELIVERY_COLUMNS} FROM {DELIVERIES} WHERE i.state = 'pending' AND i.seq > ?1 ORDER BY i.seq LIMIT ?2");
            let rows = c.prepare_cached(&sql)?.query_map(params![after_seq, limit as i64], delivery_from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// One delivery by klikit event id.
    pub async fn delivery(&self, event_id: &str) -> Result<Option<StoredDelivery>, StoreError> {
        let event_id = event_id.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {DELIVERY_COLUMNS} FROM {DELIVERIES} WHERE i.event_id = ?1");
            Ok(c.prepare_cached(&sql)?.query_row([event_id], delivery_from_row).optional()?)
        })
        .await
    }

    /// The newest deliveries, newest first.
    pub async fn recent_deliveries(&self, limit: usize) -> Result<Vec<StoredDelivery>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {DELIVERY_COLUMNS} FROM {DELIVERIES} ORDER BY i.seq DESC LIMIT ?1");
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

    /// A database as kds left it at migration 0007 (before bodies had a
    /// table of their own), with one applied and one pending delivery whose
    /// bodies are in their inbox rows, written as that kds wrote them.
    fn old_layout_database(path: &std::path::Path, old_body: &[u8], received_at: OffsetDateTime) {
        let mut c = Connection::open(path).unwrap();
        c.execute_batch("PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON").unwrap();
        let tx = c.transaction().unwrap();
        for sql in &crate::store::open::MIGRATIONS[..7] {
            tx.execute_batch(sql).unwrap();
        }
        tx.execute_batch("PRAGMA user_version = 7").unwrap();
        for (id, state) in [("old-applied", "applied"), ("old-pending", "pending")] {
            tx.execute(
                "INSERT INTO inbox (event_id, event_type, body, body_sha256, headers, received_at, state) VALUES (?1, 't', ?2, ?3, '{}', ?4, ?5)",
                params![id, old_body, crate::klikit::body_sha256(old_body), ts(received_at), state],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    fn sized(id: &str, len: usize, received_at: OffsetDateTime) -> NewDelivery {
        // xorshift bytes: they do not compress, so the stored size is `len`.
        let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ id.len() as u64;
        let body: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        NewDelivery { body_sha256: crate::klikit::body_sha256(&body), body, received_at, ..delivery(id) }
    }

    /// Bodies stored before migration 0008 stay where they are and read as
    /// before; new ones go to `delivery_bodies`; every reader (re-apply,
    /// diagnostics, lookup, backup) and pruning handle both.
    #[tokio::test]
    async fn old_and_new_rows_read_alike_and_are_pruned_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kds.sqlite");
        let long_ago = OffsetDateTime::now_utc() - time::Duration::days(40);
        let old_body = vec![0x5au8; 9000];
        old_layout_database(&path, &old_body, long_ago);
        let store = Store::open(&path, StoreOptions::default()).expect("a 0007 database migrates");
        let new = sized("new-applied", 9000, long_ago);
        let new_body = new.body.clone();
        assert!(matches!(store.insert_delivery(new).await.unwrap(), InsertOutcome::Inserted { .. }));
        let in_table: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM delivery_bodies", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(in_table, 1, "the migration copies nothing; only the new delivery's body is in the new table");

        assert_eq!(store.delivery("old-applied").await.unwrap().unwrap().body, old_body, "an old row's body reads from its inbox row");
        assert_eq!(store.delivery("new-applied").await.unwrap().unwrap().body, new_body, "a new row's body reads from its own table");
        let recent: Vec<Vec<u8>> = store.recent_deliveries(10).await.unwrap().into_iter().map(|d| d.body).collect();
        assert_eq!(recent, [new_body.clone(), old_body.clone(), old_body.clone()], "diagnostics see every body, newest first");
        let pending = store.pending_deliveries(0, 10).await.unwrap();
        assert_eq!(pending.iter().map(|d| (d.event_id.as_str(), d.body.len())).collect::<Vec<_>>(), [("old-pending", 9000), ("new-applied", 9000)], "re-apply reads both layouts");
        let replay = |id: &str| NewDelivery { body: vec![1], ..delivery(id) };
        assert!(matches!(store.insert_delivery(replay("old-applied")).await.unwrap(), InsertOutcome::Duplicate { .. }), "an old event id is still a duplicate");
        assert!(matches!(store.insert_delivery(replay("new-applied")).await.unwrap(), InsertOutcome::Duplicate { .. }));
        assert_eq!(store.delivery("new-applied").await.unwrap().unwrap().body, new_body, "a duplicate never replaces the stored body");

        let copy = dir.path().join("copy.sqlite");
        store.backup_to(&copy).await.unwrap();
        let restored = Store::open(&copy, StoreOptions::default()).unwrap();
        assert_eq!(restored.delivery("old-applied").await.unwrap().unwrap().body, old_body, "a backup keeps old bodies");
        assert_eq!(restored.delivery("new-applied").await.unwrap().unwrap().body, new_body, "and new ones");
        restored.close();

        store.apply_deliveries(pending, OffsetDateTime::now_utc(), |_, _| Ok(())).await.unwrap();
        let mut pruned = crate::store::Pruned::default();
        loop {
            let p = store.prune_batch(crate::store::RetentionPolicy::default(), OffsetDateTime::now_utc(), 1).await.unwrap();
            if p.is_empty() {
                break;
            }
            pruned.add(p);
        }
        assert_eq!(pruned.bodies, 3, "the 40-day-old bodies go, old layout or new");
        for id in ["old-applied", "old-pending", "new-applied"] {
            let d = store.delivery(id).await.unwrap().unwrap_or_else(|| panic!("{id}: the row stays for dedupe"));
            assert!(d.body.is_empty(), "{id}: its body is pruned");
        }
        store.close();
    }

    /// A klikit record is stored compressed and read back byte for byte.
    #[tokio::test]
    async fn a_body_is_stored_compressed_and_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let record = include_bytes!("../../tests/fixtures/01-order-created-single.json");
        store.insert_delivery(NewDelivery { body: record.to_vec(), ..delivery("evt-record") }).await.unwrap();
        let stored: i64 = store.read(|c| Ok(c.query_row("SELECT length(deflated) FROM delivery_bodies", [], |r| r.get(0))?)).await.unwrap();
        assert!(stored * 3 < record.len() as i64, "a JSON record shrinks at least three times: {} B stored as {stored}", record.len());
        assert_eq!(store.delivery("evt-record").await.unwrap().unwrap().body, record.to_vec(), "and reads back exactly");
        store.close();
    }

    /// (free pages, page size)
    async fn free_pages(store: &Store) -> (i64, i64) {
        store
            .read(|c| Ok(c.query_row("SELECT (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)", [], |r| Ok((r.get(0)?, r.get(1)?)))?))
            .await
            .unwrap()
    }

    /// The reason bodies have a table of their own: pruning one frees whole
    /// pages. (In the inbox row, up to 4 KB of each stayed in the row's
    /// leaf page until the row went, 150 days later.)
    #[tokio::test]
    async fn pruning_new_bodies_frees_their_pages_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let long_ago = OffsetDateTime::now_utc() - time::Duration::days(40);
        const N: usize = 200;
        const LEN: usize = 12_000;
        for i in 0..N {
            store.insert_delivery(sized(&format!("evt-{i}"), LEN, long_ago)).await.unwrap();
        }
        let pending = store.pending_deliveries(0, N).await.unwrap();
        store.apply_deliveries(pending, OffsetDateTime::now_utc(), |_, _| Ok(())).await.unwrap();
        let stored: i64 = store.read(|c| Ok(c.query_row("SELECT sum(length(deflated)) FROM delivery_bodies", [], |r| r.get(0))?)).await.unwrap();
        assert!(stored >= (N * LEN) as i64, "the bodies do not compress: {stored} B stored");
        let (before, page) = free_pages(&store).await;
        while !store.prune_batch(crate::store::RetentionPolicy::default(), OffsetDateTime::now_utc(), 50).await.unwrap().is_empty() {}
        let (after, _) = free_pages(&store).await;
        let freed = ((after - before) * page) as f64;
        assert!(freed >= 0.95 * stored as f64, "pruning {N} bodies of {LEN} B frees about their stored size ({stored} B) in whole pages: {freed} B freed");
        store.close();
    }
}
