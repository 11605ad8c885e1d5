//! The station setup and the brands seen: storing the setup a person saves,
//! moving the open tickets' lines under it a page at a time, and recording
//! each brand the first time a ticket shows it.
//!
//! What it owns: the `station_setup` and `brands_seen` tables. It never
//! decides a route or a colour: `kitchen::station` does, from what this
//! file reads back.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use super::tickets::{json_err, rfc3339};
use super::{Durability, Store, StoreError};
use crate::kitchen::{Event, Record, Setup};
use crate::klikit::order::Brand;

/// A brand some ticket showed, with its place in the first-seen order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandSeen {
    pub id: i64,
    pub title: Option<String>,
    /// 0 for the first brand the kitchen saw, 1 for the next, …
    pub seen: usize,
}

/// Records `brand` if it is new (or its title if it now has one); called
/// with every ticket saved.
pub(super) fn saw_brand(conn: &Connection, brand: &Brand, at: OffsetDateTime) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO brands_seen (brand_id, title, first_seen) VALUES (?1, ?2, ?3)
         ON CONFLICT (brand_id) DO UPDATE SET title = excluded.title WHERE excluded.title IS NOT NULL AND title IS NOT excluded.title",
    )?
    .execute(params![brand.id, brand.title, rfc3339(at)])?;
    Ok(())
}

impl Store {
    /// The saved station setup; `None` before anyone saved one.
    pub async fn station_setup(&self) -> Result<Option<Setup>, StoreError> {
        self.read(|c| {
            let text: Option<String> = c.query_row("SELECT setup FROM station_setup WHERE id = 1", [], |r| r.get(0)).optional()?;
            text.map(|t| serde_json::from_str(&t).map_err(json_err)).transpose()
        })
        .await
    }

    /// Every brand seen, in the order first seen.
    pub async fn brands_seen(&self) -> Result<Vec<BrandSeen>, StoreError> {
        self.read(|c| {
            let rows = c
                .prepare_cached("SELECT brand_id, title FROM brands_seen ORDER BY seen")?
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().enumerate().map(|(seen, (id, title))| BrandSeen { id, title, seen }).collect())
        })
        .await
    }

    /// Saves `setup` and puts it in force in the same write job
    /// (`put_in_force` runs inside it, so every ticket change after it
    /// routes by the new setup). The open tickets follow with
    /// [`Store::reroute_open_tickets`].
    pub async fn save_station_setup<P>(&self, setup: &Setup, now: OffsetDateTime, put_in_force: P) -> Result<(), StoreError>
    where
        P: FnOnce() + Send + 'static,
    {
        let json = serde_json::to_string(setup).map_err(json_err)?;
        self.change_tickets(Durability::Synced, move |tx| {
            tx.conn()
                .prepare_cached(
                    "INSERT INTO station_setup (id, setup, updated_at) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET setup = excluded.setup, updated_at = excluded.updated_at",
                )?
                .execute(params![json, rfc3339(now)])?;
            put_in_force();
            Ok(())
        })
        .await
    }

    /// Whether open tickets stored before stations still wait to be
    /// routed (set by the migration to stations, cleared by
    /// [`Store::stations_routed`]).
    pub async fn stations_to_route(&self) -> Result<bool, StoreError> {
        self.read(|c| Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM stations_to_route)", [], |r| r.get(0))?)).await
    }

    /// Every open ticket stored before stations has been routed.
    pub async fn stations_routed(&self) -> Result<(), StoreError> {
        self.write(|c| {
            c.prepare_cached("DELETE FROM stations_to_route")?.execute([])?;
            Ok(())
        })
        .await
    }

    /// Applies `reroute` to every open ticket, a page at a time: each page
    /// is read on a reader, and only the tickets `reroute` would change are
    /// written, in a short write job that asks `reroute` again on the
    /// record as it is then (so the writer is never held for long, and a
    /// ticket changed meanwhile is judged as it is). Stops early when
    /// `keep_going` says so. Returns how many tickets changed.
    pub async fn reroute_open_tickets<F, K>(&self, reroute: F, keep_going: K) -> Result<usize, StoreError>
    where
        F: Fn(&Record) -> Option<(Record, Event)> + Send + Sync + 'static,
        K: Fn() -> bool,
    {
        let reroute = Arc::new(reroute);
        let mut after = String::new();
        let mut changed = 0;
        while keep_going() {
            let (f, cursor) = (reroute.clone(), after.clone());
            let (last, needed) = self
                .read(move |c| {
                    let rows = c
                        .prepare_cached("SELECT order_id, record FROM tickets WHERE open = 1 AND order_id > ?1 ORDER BY order_id LIMIT ?2")?
                        .query_map(params![cursor, REROUTE_PAGE], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                        .collect::<Result<Vec<_>, _>>()?;
                    let last = rows.last().map(|(id, _)| id.clone());
                    let mut needed = Vec::new();
                    for (id, text) in rows {
                        let record: Record = serde_json::from_str(&text).map_err(json_err)?;
                        if f(&record).is_some() {
                            needed.push(id);
                        }
                    }
                    Ok((last, needed))
                })
                .await?;
            let Some(last) = last else { break };
            after = last;
            if needed.is_empty() {
                continue;
            }
            let f = reroute.clone();
            changed += self
                .change_tickets(Durability::Synced, move |tx| {
                    let mut n = 0;
                    for order_id in needed {
                        let Some(record) = tx.record(&order_id)? else { continue };
                        if let Some((next, event)) = f(&record) {
                            tx.save(&next, &[event])?;
                            n += 1;
                        }
                    }
                    Ok(n)
                })
                .await?;
        }
        Ok(changed)
    }
}

/// Open tickets read (and at most written) per step of a reroute.
const REROUTE_PAGE: i64 = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::{Kitchen, Station};
    use crate::store::StoreOptions;

    #[tokio::test]
    async fn a_saved_setup_reads_back_and_brands_keep_their_first_seen_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        assert_eq!(store.station_setup().await.unwrap(), None, "nothing saved yet");
        let kitchen = Kitchen::default();
        let setup = Setup { stations: vec![Station { name: "grill".into(), ..Station::default() }], ..Setup::default() };
        let (k, s) = (kitchen.clone(), setup.clone());
        let now = OffsetDateTime::now_utc();
        store.save_station_setup(&setup, now, move || k.setup.set(s)).await.unwrap();
        assert_eq!(store.station_setup().await.unwrap(), Some(setup.clone()));
        assert_eq!(*kitchen.setup.get(), setup, "the setup is in force once saved");
        assert!(!store.stations_to_route().await.unwrap(), "a new database has no tickets from before stations");
        for (order, brand) in [(1, 30), (2, 10), (3, 30)] {
            let body = serde_json::json!({"orders": [{"id": order, "status": 1, "brand": {"id": brand, "title": format!("B{brand}")}}]});
            let o = crate::klikit::decode_orders(&serde_json::to_vec(&body).unwrap()).unwrap().remove(0);
            let record = kitchen.apply(None, &o, now).record;
            store.change_tickets(Durability::Synced, move |tx| tx.save(&record, &[])).await.unwrap();
        }
        let seen: Vec<(i64, usize)> = store.brands_seen().await.unwrap().iter().map(|b| (b.id, b.seen)).collect();
        assert_eq!(seen, [(30, 0), (10, 1)], "each brand once, in the order first seen");
    }

    #[tokio::test]
    async fn rerouting_pages_through_every_open_ticket_and_writes_only_what_moves() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kds.sqlite"), StoreOptions::default()).unwrap();
        let kitchen = Kitchen::default();
        let now = OffsetDateTime::now_utc();
        let count = REROUTE_PAGE as usize * 2 + 3;
        for id in 0..count {
            let body = serde_json::json!({"orders": [{"id": id + 1, "status": 1, "cart_v2": [{"name": "Satay", "quantity": 1, "klikit_category_name": "Mains"}]}]});
            let o = crate::klikit::decode_orders(&serde_json::to_vec(&body).unwrap()).unwrap().remove(0);
            let record = kitchen.apply(None, &o, now).record;
            store.change_tickets(Durability::Derived, move |tx| tx.save(&record, &[])).await.unwrap();
        }
        let k = kitchen.clone();
        let reroute = move |r: &Record| k.reroute(r, &k.setup.get(), now);
        assert_eq!(store.reroute_open_tickets(reroute.clone(), || true).await.unwrap(), 0, "every line is where it belongs");
        kitchen.setup.set(Setup { stations: vec![Station { name: "grill".into(), categories: vec!["mains".into()], ..Station::default() }], ..Setup::default() });
        let (seq_before, _) = store.open_tickets().await.unwrap();
        assert_eq!(store.reroute_open_tickets(reroute.clone(), || true).await.unwrap(), count, "every page is visited");
        let (seq_after, open) = store.open_tickets().await.unwrap();
        assert_eq!(seq_after - seq_before, count as i64, "one change per moved ticket on the feed");
        assert!(open.iter().all(|t| t.lines[0].station == "grill"));
        assert_eq!(store.reroute_open_tickets(reroute, || false).await.unwrap(), 0, "told to stop, it stops");
    }
}
