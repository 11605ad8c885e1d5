//! The station setup and the brands seen: storing the setup a person saves
//! (and moving the open tickets' lines under it in the same transaction),
//! and recording each brand the first time a ticket shows it.
//!
//! What it owns: the `station_setup` and `brands_seen` tables. It never
//! decides a route or a colour: `kitchen::station` does, from what this
//! file reads back.

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

    /// Saves `setup` and, in the same transaction, puts it in force
    /// (`put_in_force`, called inside the writer's job, so every ticket
    /// change after it routes by the new setup) and applies `reroute` to
    /// every open ticket. Returns how many tickets changed.
    pub async fn replace_station_setup<P, F>(&self, setup: &Setup, now: OffsetDateTime, put_in_force: P, reroute: F) -> Result<usize, StoreError>
    where
        P: FnOnce() + Send + 'static,
        F: FnMut(&Record) -> Option<(Record, Event)> + Send + 'static,
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
            reroute_open(tx, reroute)
        })
        .await
    }

    /// Applies `reroute` to every open ticket (at start: tickets stored
    /// before stations, or under a setup since replaced). Returns how many
    /// changed.
    pub async fn reroute_open_tickets<F>(&self, reroute: F) -> Result<usize, StoreError>
    where
        F: FnMut(&Record) -> Option<(Record, Event)> + Send + 'static,
    {
        self.change_tickets(Durability::Synced, move |tx| reroute_open(tx, reroute)).await
    }
}

fn reroute_open<F>(tx: &mut super::TicketTx<'_>, mut reroute: F) -> Result<usize, StoreError>
where
    F: FnMut(&Record) -> Option<(Record, Event)>,
{
    let open: Vec<String> =
        tx.conn().prepare_cached("SELECT order_id FROM tickets WHERE open = 1 ORDER BY seq")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut changed = 0;
    for order_id in open {
        let Some(record) = tx.record(&order_id)? else { continue };
        if let Some((next, event)) = reroute(&record) {
            tx.save(&next, &[event])?;
            changed += 1;
        }
    }
    Ok(changed)
}

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
        let changed = store.replace_station_setup(&setup, now, move || k.setup.set(s.clone()), |_| None).await.unwrap();
        assert_eq!(changed, 0, "no open tickets to move");
        assert_eq!(store.station_setup().await.unwrap(), Some(setup.clone()));
        assert_eq!(*kitchen.setup.get(), setup, "the setup is in force once saved");
        for (order, brand) in [(1, 30), (2, 10), (3, 30)] {
            let body = serde_json::json!({"orders": [{"id": order, "status": 1, "brand": {"id": brand, "title": format!("B{brand}")}}]});
            let o = crate::klikit::decode_orders(&serde_json::to_vec(&body).unwrap()).unwrap().remove(0);
            let record = kitchen.apply(None, &o, now).record;
            store.change_tickets(Durability::Synced, move |tx| tx.save(&record, &[])).await.unwrap();
        }
        let seen: Vec<(i64, usize)> = store.brands_seen().await.unwrap().iter().map(|b| (b.id, b.seen)).collect();
        assert_eq!(seen, [(30, 0), (10, 1)], "each brand once, in the order first seen");
    }
}
