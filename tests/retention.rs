//! Retention end to end: pruning through the real server keeps dedupe
//! working for old event ids, and a pruning pass killed with SIGKILL in the
//! real `kds` binary leaves a consistent database that the next start
//! finishes pruning.

mod support;

use std::time::Duration;

use kds::klikit::EventType;
use kds::maintenance::prune_pass;
use kds::store::{NewDelivery, RetentionPolicy, Store, StoreOptions};
use rusqlite::{Connection, OpenFlags};
use support::process::serve;
use support::{eventually, fixture, TestServer, DEADLINE};
use time::OffsetDateTime;

#[tokio::test]
async fn a_replayed_old_delivery_is_still_a_duplicate_after_its_body_is_pruned() {
    let kds = TestServer::start().await;
    let body = fixture("01-order-created-single.json");
    let first = kds.send("evt-old", EventType::OrderCreated, &body).await;
    assert_eq!(first.status, 200, "the delivery is accepted: {}", first.body);
    let store = kds.server.store().clone();
    eventually("the delivery is applied", DEADLINE, || {
        let store = store.clone();
        async move { store.pending_deliveries(0, 10).await.unwrap().is_empty().then_some(()) }
    })
    .await;
    let ticket_before = store.ticket("8120457").await.unwrap().expect("the order became a ticket");

    // Sixty days later (time is passed in): the body goes, the event id stays.
    let (_trigger, stop) = kds::shutdown::channel();
    let later = OffsetDateTime::now_utc() + time::Duration::days(60);
    let pruned = prune_pass(&store, RetentionPolicy::default(), later, Duration::ZERO, &stop).await;
    assert_eq!(pruned.bodies, 1, "the applied body older than 30 days is emptied");
    let stored = store.delivery("evt-old").await.unwrap().expect("the row stays for dedupe");
    assert!(stored.body.is_empty(), "the raw body is gone");

    let replay = kds.send("evt-old", EventType::OrderCreated, &body).await;
    assert_eq!(replay.status, 200, "a replay is acknowledged: {}", replay.body);
    assert!(replay.body.contains("duplicate"), "and recognised as the duplicate of a delivery whose body was pruned: {}", replay.body);
    assert_eq!(store.delivery("evt-old").await.unwrap().unwrap().duplicates, 1, "the duplicate is counted, not stored again");
    assert_eq!(store.ticket("8120457").await.unwrap().unwrap().updated_at, ticket_before.updated_at, "the ticket is unchanged");
    let timeline = store.ticket_events("8120457").await.unwrap();
    assert!(!timeline.is_empty(), "the ticket's log outlives the raw body");
    kds.stop().await;
}

/// 200-day-old applied deliveries, enough that a pass takes a few seconds.
async fn seed_old_deliveries(path: &std::path::Path, count: usize) {
    let store = Store::open(path, StoreOptions::default()).unwrap();
    let old = OffsetDateTime::now_utc() - time::Duration::days(200);
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let inserts = chunk.iter().map(|i| {
            store.insert_delivery(NewDelivery {
                event_id: format!("old-{i}"),
                event_type: "klikit.order.created.v2".into(),
                body: vec![b'x'; 1024],
                body_sha256: format!("{i:064}"),
                headers: serde_json::json!({}),
                received_at: old,
                unprocessable: None,
            })
        });
        for r in futures_util::future::join_all(inserts).await {
            r.unwrap();
        }
    }
    // Applied as the kitchen would mark them (nothing to change on a ticket).
    loop {
        let pending = store.pending_deliveries(0, 2000).await.unwrap();
        if pending.is_empty() {
            break;
        }
        store.apply_deliveries(pending, OffsetDateTime::now_utc(), |_, _| Ok(())).await.unwrap();
    }
    store.close();
}

/// (rows, rows with a body, the bodies mark) read from the file itself.
fn inbox_state(path: &std::path::Path) -> (i64, i64, i64) {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    c.query_row(
        "SELECT count(*), (SELECT count(*) FROM delivery_bodies), coalesce((SELECT through_seq FROM retention_marks WHERE name = 'bodies'), 0) FROM inbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_killed_midway_leaves_a_consistent_database_and_resumes() {
    const COUNT: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kds.sqlite");
    seed_old_deliveries(&path, COUNT).await;
    assert_eq!(inbox_state(&path).0, COUNT as i64);

    // No delivery for 200 days is idle enough: pruning starts at once.
    let kds = serve(dir.path(), "retention-secret", &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, with_body, mark) = inbox_state(&path);
        if mark > 0 && with_body > 0 {
            break; // midway through the bodies
        }
        assert!(std::time::Instant::now() < deadline, "pruning should have started (mark {mark}, bodies left {with_body})");
        std::thread::sleep(Duration::from_millis(5));
    }
    kds.kill9();

    let c = Connection::open(&path).unwrap();
    let verdict: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(verdict, "ok", "a SIGKILL midway leaves a sound file");
    let (rows, with_body, mark): (i64, i64, i64) = {
        drop(c);
        inbox_state(&path)
    };
    let c = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let bodies_before_mark: i64 = c.query_row("SELECT count(*) FROM delivery_bodies WHERE seq <= ?1", [mark], |r| r.get(0)).unwrap();
    let empty_after_mark: i64 = c.query_row("SELECT count(*) FROM inbox WHERE seq > ?1 AND seq NOT IN (SELECT seq FROM delivery_bodies)", [mark], |r| r.get(0)).unwrap();
    drop(c);
    assert_eq!(
        (bodies_before_mark, empty_after_mark),
        (0, 0),
        "the mark and the rows were committed together: every body up to the mark is gone and every one after it is whole \
         (rows {rows}, bodies left {with_body}, mark {mark})"
    );
    assert!(with_body > 0 && rows == COUNT as i64, "the kill came midway, before the rows themselves went");

    // The next start finishes the pass: every 200-day-old row is gone.
    let kds = serve(dir.path(), "retention-secret", &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while inbox_state(&path).0 > 0 {
        assert!(std::time::Instant::now() < deadline, "the resumed pass should delete every row past 180 days: {:?}", inbox_state(&path));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(kds.terminate().code(), Some(0), "kds stops cleanly after pruning");
    let c = Connection::open(&path).unwrap();
    assert_eq!(c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
}
