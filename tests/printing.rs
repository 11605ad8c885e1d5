//! End to end: kitchen printers. A real kds (in process, or the real binary
//! for the crash test) with fake ESC/POS printers, real TCP servers on
//! 127.0.0.1:0, that record and decode what they are sent.
//!
//! `KDS_PRINTER_DOWN_SECS` sets how long a printer stays switched off in the
//! outage test (default the 60 s, in real time; the other printer
//! is checked meanwhile, and the rest of the file runs alongside).

mod support;

use std::time::{Duration, Instant};

use kds::klikit::EventType::{CartUpdated, OrderCreated, StatusUpdated};
use kds::printing::{Address, PrintMode, PrintOn, Printer};
use serde_json::{json, Value};
use kds::fake_printer::{self, Condition, FakePrinter, Page};
use support::sse::SseStream;
use support::{eventually, fixture_json, with, TestServer};

/// Polls the fake printers for this long before failing.
const PRINT_DEADLINE: Duration = Duration::from_secs(20);

fn printer(name: &str, fake: &FakePrinter, print_on: PrintOn) -> Printer {
    let mut p = Printer::new(name, Address::parse(&fake.address()).unwrap());
    p.print_on = print_on;
    p
}

/// A kds with these printers; returns it and a client for the app API.
async fn kds_with(printers: Vec<Printer>) -> TestServer {
    TestServer::start_with(move |c| c.printers = printers).await
}

/// Posts a signed delivery on a fresh connection: the outage test waits
/// ten seconds between orders, longer than the intake keeps an idle
/// connection, and a pooled one could be closed just as it is reused.
async fn send(kds: &TestServer, event_type: kds::klikit::EventType, body: &Value) {
    let d = kds::client::Delivery { event_id: kds::client::new_event_id(), event_type, body: serde_json::to_vec(body).unwrap() };
    let answer = kds::client::post(&kds::client::client(), &kds.intake_url(), &kds.secret, &d).await.expect("the intake answers");
    assert_eq!(answer.status, 200, "a signed delivery is acknowledged: {}", answer.body);
}

async fn post(kds: &TestServer, path: &str) -> (u16, Value) {
    let res = kds.client.post(kds.app_url(path)).send().await.expect("the app listener answers");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn health(kds: &TestServer) -> Value {
    kds.client.get(kds.app_url("/api/health")).send().await.unwrap().json().await.unwrap()
}

/// Waits until `fake` has at least `n` complete pages and returns them.
async fn pages(fake: &FakePrinter, n: usize, what: &str) -> Vec<Page> {
    eventually(what, PRINT_DEADLINE, || async {
        let pages = fake.pages();
        (pages.len() >= n).then_some(pages)
    })
    .await
}

/// An order from fixture 01 under a new order id and short id.
fn order(id: u64, short_id: &str) -> Value {
    let mut body = fixture_json("01-order-created-single.json");
    body["orders"][0]["id"] = id.into();
    body["orders"][0]["short_id"] = short_id.into();
    body
}

#[tokio::test]
async fn a_new_order_prints_on_arrival_and_on_acceptance_and_changes_print_chits() {
    let pass = FakePrinter::start().await;
    let hot = FakePrinter::start().await;
    let kds = kds_with(vec![printer("pass", &pass, PrintOn::Arrival), printer("hot", &hot, PrintOn::Accepted)]).await;

    send(&kds, OrderCreated, &fixture_json("01-order-created-single.json")).await;
    let page = pages(&pass, 1, "the arrival printer prints a new order").await.remove(0);
    assert!(page.has_line("#K7X2"), "the ticket number is on the ticket:\n{}", page.text());
    let number = page.lines.iter().find(|l| l.text.contains("#K7X2")).unwrap();
    assert_eq!(number.size, 0x11, "the ticket number prints large");
    assert!(page.has_line("2 x Nasi Goreng Kampung"), "lines print as qty x name:\n{}", page.text());
    assert!(page.has_line("Extra Pedas"), "modifiers print under their line:\n{}", page.text());
    assert!(page.lines.iter().any(|l| l.inverse && l.text.contains("allergy")), "the allergy note is set apart in inverse:\n{}", page.text());
    assert!(!page.text().contains("Rp") && !page.text().contains("159.000"), "no prices on a kitchen ticket:\n{}", page.text());
    assert_eq!(page.cuts, 1, "one ticket, one cut");
    assert!(page.unknown.is_empty(), "every byte sent is a command the printer knows: {:?}", page.unknown);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(hot.received().is_empty(), "the acceptance printer waits for the order to be accepted");

    send(&kds, StatusUpdated, &with(fixture_json("01-order-created-single.json"), Some(2), "2026-06-25T09:20:00Z")).await;
    let page = pages(&hot, 1, "the acceptance printer prints when the order is accepted").await.remove(0);
    assert!(page.has_line("#K7X2") && !page.has_line("REPRINT"), "{}", page.text());

    let mut changed = with(fixture_json("01-order-created-single.json"), Some(2), "2026-06-25T09:25:00Z");
    changed["orders"][0]["cart_v2"][0]["quantity"] = 3.into();
    send(&kds, CartUpdated, &changed).await;
    for (fake, name) in [(&pass, "pass"), (&hot, "hot")] {
        let chit = pages(fake, 2, "a cart change prints a CHANGED chit where the ticket went").await.remove(1);
        assert!(chit.has_line("CHANGED") && chit.has_line("3 x Nasi Goreng Kampung") && chit.has_line("(was 2)"), "{name}:\n{}", chit.text());
    }

    send(&kds, StatusUpdated, &with(fixture_json("01-order-created-single.json"), Some(3), "2026-06-25T09:30:00Z")).await;
    for (fake, name) in [(&pass, "pass"), (&hot, "hot")] {
        let chit = pages(fake, 3, "a cancellation prints a CANCELLED chit where the ticket went").await.remove(2);
        assert!(chit.has_line("CANCELLED") && chit.has_line("#K7X2"), "{name}:\n{}", chit.text());
    }
    kds.stop().await;
}

#[tokio::test]
async fn a_cancellation_prints_cancelled_with_the_reason() {
    let pass = FakePrinter::start().await;
    let kds = kds_with(vec![printer("pass", &pass, PrintOn::Arrival)]).await;
    send(&kds, OrderCreated, &order(9100001, "C4N1")).await;
    pages(&pass, 1, "the order prints").await;
    let mut cancel = with(order(9100001, "C4N1"), Some(3), "2026-06-25T09:30:00Z");
    cancel["orders"][0]["cancellation_reason"] = "Customer changed their mind".into();
    send(&kds, StatusUpdated, &cancel).await;
    let chit = pages(&pass, 2, "a cancellation prints a chit").await.remove(1);
    assert!(chit.has_line("CANCELLED"), "{}", chit.text());
    assert!(chit.has_line("Reason: Customer changed their mind"), "the chit says why:\n{}", chit.text());
    assert!(chit.has_line("#C4N1"));
    kds.stop().await;
}

#[tokio::test]
async fn a_printer_down_for_a_minute_gets_every_job_in_order_once_it_is_back_while_the_other_prints_on() {
    let down = Duration::from_secs(std::env::var("KDS_PRINTER_DOWN_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60));
    let pass = FakePrinter::start().await;
    let hot = FakePrinter::start().await;
    pass.stop();
    let kds = kds_with(vec![printer("pass", &pass, PrintOn::Arrival), printer("hot", &hot, PrintOn::Arrival)]).await;
    let switched_off = Instant::now();
    // Orders keep coming through the outage; the other printer prints each
    // one as it arrives, whatever the first one's state.
    let n = 6usize;
    for i in 0..n {
        tokio::time::sleep_until((switched_off + down * i as u32 / n as u32).into()).await;
        send(&kds, OrderCreated, &order(9200000 + i as u64, &format!("D{i}"))).await;
        let page = pages(&hot, i + 1, "the printer that is up prints each order as it arrives").await.remove(i);
        assert!(page.has_line(&format!("#D{i}")), "{}", page.text());
        if i == 0 {
            let h = eventually("the board shows the switched-off printer offline", PRINT_DEADLINE, || async {
                let h = health(&kds).await;
                (h["printers"][0]["state"] == "offline").then_some(h)
            })
            .await;
            assert!(h["printers"][0]["last_error"].as_str().is_some_and(|e| e.contains("cannot reach")), "the board says why: {h}");
            assert_eq!(h["printers"][1]["state"], "ready", "one printer down does not stop the other: {h}");
        }
    }
    let h = health(&kds).await;
    assert_eq!(h["printers"][0]["waiting"], n, "every job waits for the printer that is down: {h}");
    tokio::time::sleep_until((switched_off + down).into()).await;
    // Back on, but the first send is cut off mid-ticket: that one job may
    // have printed in part, so it goes out again marked REPRINT.
    pass.cut_next_after(40);
    pass.resume().await;
    let got = pages(&pass, n, "every held job prints once the printer is back").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let texts = |pages: &[Page]| pages.iter().map(Page::text).collect::<Vec<_>>();
    assert_eq!(pass.pages().len(), n, "none twice: {:?}", texts(&pass.pages()));
    assert!(pass.received()[0].cut_off, "the first send after the outage was cut off");
    let numbers: Vec<String> = got.iter().map(|p| p.lines.iter().find(|l| l.text.starts_with('#')).unwrap().text.clone()).collect();
    let expected: Vec<String> = (0..n).map(|i| format!("#D{i}")).collect();
    assert_eq!(numbers, expected, "in the order they were queued");
    assert!(got[0].has_line("REPRINT"), "the interrupted job is marked REPRINT:\n{}", got[0].text());
    assert!(got[1..].iter().all(|p| !p.has_line("REPRINT")), "the others were never sent before: {:?}", texts(&got));
    assert_eq!(hot.pages().len(), n, "the other printer printed each once: {:?}", texts(&hot.pages()));
    let h = health(&kds).await;
    assert_eq!((h["printers"][0]["state"].as_str(), h["printers"][0]["waiting"].as_i64()), (Some("ready"), Some(0)), "{h}");
    kds.stop().await;
}

#[tokio::test]
async fn a_job_cut_off_mid_send_prints_again_marked_reprint() {
    let pass = FakePrinter::start().await;
    pass.cut_next_after(40);
    let kds = kds_with(vec![printer("pass", &pass, PrintOn::Arrival)]).await;
    send(&kds, OrderCreated, &order(9300001, "R3P1")).await;
    let page = pages(&pass, 1, "the interrupted job is sent again").await.remove(0);
    let received = pass.received();
    assert!(received[0].cut_off, "the first send was cut off");
    assert!(page.has_line("REPRINT") && page.has_line("#R3P1"), "the second send is marked REPRINT:\n{}", page.text());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(pass.pages().len(), 1, "and it prints once more, not again and again");
    kds.stop().await;
}

#[tokio::test]
async fn cover_open_holds_the_queue_and_says_so() {
    let pass = FakePrinter::start().await;
    pass.set_condition(Condition::CoverOpen);
    let kds = kds_with(vec![printer("pass", &pass, PrintOn::Arrival)]).await;
    send(&kds, OrderCreated, &order(9400001, "C0V1")).await;
    eventually("the health strip says the cover is open", PRINT_DEADLINE, || async { (health(&kds).await["printers"][0]["state"] == "cover_open").then_some(()) }).await;
    assert!(pass.pages().is_empty(), "nothing is sent to a printer with its cover open");
    pass.set_condition(Condition::PaperOut);
    eventually("then out of paper", PRINT_DEADLINE, || async { (health(&kds).await["printers"][0]["state"] == "paper_out").then_some(()) }).await;
    pass.set_condition(Condition::Ready);
    let page = pages(&pass, 1, "it prints once the printer is ready").await.remove(0);
    assert!(page.has_line("#C0V1"));
    kds.stop().await;
}

#[tokio::test]
async fn a_stale_job_is_dropped_with_a_notice() {
    let pass = FakePrinter::start().await;
    pass.stop();
    let mut p = printer("pass", &pass, PrintOn::Arrival);
    p.max_age = Duration::from_secs(1);
    let kds = kds_with(vec![p]).await;
    send(&kds, OrderCreated, &order(9500001, "ST4L")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pass.resume().await;
    let h = eventually("the board hears the stale job was dropped", PRINT_DEADLINE, || async {
        let h = health(&kds).await;
        (h["printers"][0]["dropped"] == 1).then_some(h)
    })
    .await;
    assert_eq!(h["printers"][0]["last_dropped"]["short_id"], "ST4L", "the notice names the ticket: {h}");
    assert_eq!(h["printers"][0]["dropped_total"], 1);
    assert_eq!(h["printers"][0]["waiting"], 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(pass.received().is_empty(), "a stale ticket is not printed");
    kds.stop().await;
}

#[tokio::test]
async fn a_test_page_and_a_reprint_from_a_card() {
    let pass = FakePrinter::start().await;
    let kds = kds_with(vec![printer("pass", &pass, PrintOn::Demand)]).await;
    assert_eq!(post(&kds, "/api/printers/nope/test").await.0, 404, "an unknown printer is a 404");
    let (status, body) = post(&kds, "/api/printers/pass/test").await;
    assert_eq!((status, body), (202, json!({"queued": ["pass"]})));
    let page = pages(&pass, 1, "the test page prints").await.remove(0);
    assert!(page.has_line("TEST PAGE") && page.has_line("Printer: pass"), "{}", page.text());

    send(&kds, OrderCreated, &order(9600001, "RP01")).await;
    eventually("the ticket is on the board", PRINT_DEADLINE, || async {
        let res = kds.client.get(kds.app_url("/api/tickets/9600001")).send().await.unwrap();
        (res.status() == 200).then_some(())
    })
    .await;
    assert_eq!(pass.pages().len(), 1, "a demand printer prints nothing by itself");
    assert_eq!(post(&kds, "/api/tickets/404404/reprint").await.0, 404);
    let (status, _) = post(&kds, "/api/tickets/9600001/reprint").await;
    assert_eq!(status, 202);
    let page = pages(&pass, 2, "the reprint prints").await.remove(1);
    assert!(page.has_line("REPRINT") && page.has_line("#RP01"), "{}", page.text());
    kds.stop().await;
}

#[tokio::test]
async fn thai_chinese_and_vietnamese_lines_print_as_a_raster() {
    let pass = FakePrinter::start().await;
    let mut p = printer("pass", &pass, PrintOn::Arrival);
    p.width_mm = 58;
    let kds = kds_with(vec![p]).await;
    let mut body = order(9700001, "TH01");
    let names = ["ข้าวผัดกุ้ง", "扬州炒饭", "Phở bò tái"];
    for (i, name) in names.iter().enumerate() {
        body["orders"][0]["cart_v2"][i]["name"] = (*name).into();
        body["orders"][0]["cart_v2"][i]["title"] = (*name).into();
        body["orders"][0]["cart_v2"][i]["klikit_name"] = (*name).into();
    }
    send(&kds, OrderCreated, &body).await;
    let page = pages(&pass, 1, "the ticket prints").await.remove(0);
    assert!(page.has_line("#TH01"), "the rest of the ticket is text:\n{}", page.text());
    assert!(page.images.len() >= 3, "each non-Latin line is a raster image ({} found)", page.images.len());
    for (i, image) in page.images.iter().enumerate() {
        assert_eq!(image.width, 384, "as wide as 58 mm paper");
        assert!(image.ink() > 100, "image {i} is not empty ({} black dots)", image.ink());
    }
    for name in names {
        assert!(kds::printing::raster::missing_glyphs(name).is_empty(), "the bundled fonts draw every character of {name}, not a question mark");
        assert!(!page.text().contains(name), "{name} is not sent as text the printer cannot show");
    }
    assert!(!page.text().contains('?'), "nothing became a question mark:\n{}", page.text());
    let png = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output/printing-thai-chinese-vietnamese.png");
    fake_printer::save_png(&fake_printer::stack(&page.images), &png).expect("the PNG is written under test-output/");
    assert!(std::fs::metadata(&png).map(|m| m.len() > 100).unwrap_or(false), "the PNG is saved for a person to look at");
    kds.stop().await;
}

#[tokio::test]
async fn image_mode_sends_the_whole_ticket_as_raster() {
    let pass = FakePrinter::start().await;
    let mut p = printer("pass", &pass, PrintOn::Arrival);
    p.mode = PrintMode::Image;
    let kds = kds_with(vec![p]).await;
    send(&kds, OrderCreated, &order(9800001, "IM01")).await;
    let page = pages(&pass, 1, "the ticket prints").await.remove(0);
    assert!(page.lines.iter().all(|l| l.text.trim().chars().all(|c| c == '-')), "no text but the rules:\n{}", page.text());
    assert!(page.images.len() > 5 && page.images.iter().all(|i| i.ink() > 0), "every line is an image");
    kds.stop().await;
}

#[tokio::test]
async fn backup_printing_starts_when_the_screen_is_closed_and_stops_when_it_is_back() {
    let backup = FakePrinter::start().await;
    let mut p = printer("backup", &backup, PrintOn::Arrival);
    p.backup = true;
    p.backup_after = Duration::from_secs(1);
    let kds = kds_with(vec![p]).await;
    let backup_on = |want: bool| {
        let kds = &kds;
        async move {
            eventually(if want { "backup printing starts" } else { "backup printing stops" }, PRINT_DEADLINE, || async {
                (health(kds).await["printers"][0]["backup_on"] == want).then_some(())
            })
            .await
        }
    };
    let screen = SseStream::connect(&kds.app_url("/api/live"), &[]).await;
    backup_on(false).await;
    send(&kds, OrderCreated, &order(9900001, "BK01")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(backup.received().is_empty(), "while a screen watches the board, the backup printer prints nothing");

    drop(screen);
    backup_on(true).await;
    send(&kds, OrderCreated, &order(9900002, "BK02")).await;
    let page = pages(&backup, 1, "a ticket prints on the backup printer while no screen watches").await.remove(0);
    assert!(page.has_line("BACKUP") && page.has_line("#BK02"), "marked BACKUP:\n{}", page.text());

    let _screen = SseStream::connect(&kds.app_url("/api/live"), &[]).await;
    backup_on(false).await;
    send(&kds, OrderCreated, &order(9900003, "BK03")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(backup.pages().len(), 1, "once a screen is back, the backup printer stops");
    kds.stop().await;
}

#[tokio::test]
async fn jobs_queued_before_a_sigkill_print_after_the_restart() {
    let pass = FakePrinter::start().await;
    pass.stop();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[[printers]]\nname = \"pass\"\naddress = \"{}\"\nprint_on = \"arrival\"\nwidth_mm = 58\n", pass.address()),
    )
    .unwrap();
    let kds = support::process::serve(dir.path(), support::SECRET, &[]);
    let client = kds::client::client();
    let secret = kds::klikit::WebhookSecret::new(support::SECRET).unwrap();
    for i in 0..3u64 {
        let body = serde_json::to_vec(&order(9950000 + i, &format!("K{i}"))).unwrap();
        let d = kds::client::Delivery { event_id: kds::client::new_event_id(), event_type: OrderCreated, body };
        let answer = kds::client::post(&client, &kds.intake_url, &secret, &d).await.unwrap();
        assert_eq!(answer.status, 200);
    }
    let health_url = format!("{}api/health", kds.app_url);
    eventually("three jobs wait for the switched-off printer", PRINT_DEADLINE, || async {
        let h: Value = client.get(&health_url).send().await.ok()?.json().await.ok()?;
        (h["printers"][0]["waiting"] == 3).then_some(())
    })
    .await;
    kds.kill9();
    pass.resume().await;
    let kds = support::process::serve(dir.path(), support::SECRET, &[]);
    let got = pages(&pass, 3, "the jobs print after the restart").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(pass.pages().len(), 3, "each once");
    let numbers: Vec<String> = got.iter().map(|p| p.lines.iter().find(|l| l.text.starts_with('#')).unwrap().text.clone()).collect();
    assert_eq!(numbers, ["#K0", "#K1", "#K2"], "in order");
    drop(kds);
}

/// A printer as the settings view sends it.
fn printer_json(name: &str, fake: &FakePrinter) -> Value {
    json!({"name": name, "address": fake.address(), "width_mm": 80, "mode": "text", "code_page": "pc437", "print_on": "arrival",
        "backup_after_seconds": 30, "max_age_seconds": 900, "utc_offset": "+07:00"})
}

async fn call(kds: &TestServer, method: reqwest::Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut req = kds.client.request(method, kds.app_url(path));
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.expect("the app listener answers");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn printers_added_changed_and_removed_in_settings_apply_without_a_restart() {
    let first = FakePrinter::start().await;
    let second = FakePrinter::start().await;
    let kds = kds_with(vec![]).await;
    let (status, body) = call(&kds, reqwest::Method::POST, "/api/printers", Some(&printer_json("pass", &first))).await;
    assert_eq!(status, 201, "{body}");
    send(&kds, OrderCreated, &order(9960001, "S1")).await;
    let page = pages(&first, 1, "a printer added in Settings prints the next order, without a restart").await.remove(0);
    assert!(page.has_line("#S1"), "{}", page.text());
    assert_eq!(post(&kds, "/api/printers/pass/test").await.0, 202);
    assert!(pages(&first, 2, "and its test page").await[1].has_line("TEST PAGE"));
    eventually("the board shows it ready", PRINT_DEADLINE, || async { (health(&kds).await["printers"][0]["state"] == "ready").then_some(()) }).await;

    let (status, body) = call(&kds, reqwest::Method::PUT, "/api/printers/pass", Some(&printer_json("pass", &second))).await;
    assert_eq!(status, 200, "{body}");
    send(&kds, OrderCreated, &order(9960002, "S2")).await;
    let page = pages(&second, 1, "the changed address is used from the next job").await.remove(0);
    assert!(page.has_line("#S2"), "{}", page.text());
    assert_eq!(first.pages().len(), 2, "nothing more goes to the old address");

    assert_eq!(call(&kds, reqwest::Method::DELETE, "/api/printers/pass", None).await.0, 200);
    send(&kds, OrderCreated, &order(9960003, "S3")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!((first.pages().len(), second.pages().len()), (2, 1), "a removed printer prints nothing more");
    assert_eq!(health(&kds).await["printers"], json!([]), "and leaves the health strip");
    let dir = kds.stop().await;
    let file = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(!file.contains("[[printers]]"), "the removal is saved: {file}");
}

async fn next_line(lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>) -> String {
    tokio::time::timeout(PRINT_DEADLINE, lines.next_line()).await.expect("the fake printer writes a line in time").unwrap().expect("a line")
}

#[tokio::test]
async fn kds_dev_fake_printer_shows_what_it_prints_and_takes_its_condition_over_http() {
    use tokio::io::AsyncBufReadExt;
    let out = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(support::process::kds_bin())
        .args(["dev", "fake-printer", "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--out"])
        .arg(out.path())
        .env("KDS_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("kds dev fake-printer starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let address = next_line(&mut lines).await.strip_prefix("fake printer: ").expect("the first line names the printer's address").to_string();
    let control = next_line(&mut lines).await.strip_prefix("control: ").expect("the second line names the control port").to_string();

    let mut p = Printer::new("pass", Address::parse(&address).unwrap());
    p.mode = PrintMode::Image;
    let kds = kds_with(vec![p]).await;
    assert_eq!(post(&kds, "/api/printers/pass/test").await.0, 202);
    let mut shown = Vec::new();
    while !shown.iter().any(|l: &String| l.starts_with("[images saved to")) {
        shown.push(next_line(&mut lines).await);
    }
    assert!(shown[0].starts_with("--- page 1"), "each page is announced: {shown:?}");
    let png = out.path().join("page-0001.png");
    assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 100), "the raster is saved as a PNG in --out");

    let client = kds::client::client();
    let set = client.post(format!("{control}/_fake/condition")).json(&json!({"condition": "paper_out"})).send().await.unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(client.post(format!("{control}/_fake/condition")).json(&json!({"condition": "toner_low"})).send().await.unwrap().status(), 422, "an unknown condition is refused");
    assert_eq!(post(&kds, "/api/printers/pass/test").await.0, 202);
    eventually("kds hears the printer is out of paper", PRINT_DEADLINE, || async { (health(&kds).await["printers"][0]["state"] == "paper_out").then_some(()) }).await;
    let pages: Value = client.get(format!("{control}/_fake/pages")).send().await.unwrap().json().await.unwrap();
    assert_eq!(pages["pages"].as_array().map(Vec::len), Some(1), "nothing printed while out of paper: {pages}");
    assert!(pages["pages"][0]["ink"].as_u64().unwrap() > 0, "the page's images have ink: {pages}");
    kds.stop().await;
    let _ = child.kill().await;
}

/// An order with a grill line (category Mains), a drinks line and a line
/// no station claims (it goes to the default station, `kitchen`).
fn station_order(id: u64, short_id: &str) -> Value {
    let mut body = order(id, short_id);
    body["orders"][0]["cart_v2"] = json!([
        {"name": "Satay", "quantity": 2, "klikit_category_name": "Mains"},
        {"name": "Es Teh", "quantity": 1, "klikit_category_name": "Drinks"},
        {"name": "Krupuk", "quantity": 1}
    ]);
    body
}

#[tokio::test]
async fn each_station_printer_prints_its_lines_and_a_station_backup_prints_while_that_station_has_no_screen() {
    let (grill, drinks, spare) = (FakePrinter::start().await, FakePrinter::start().await, FakePrinter::start().await);
    let mut g = printer("grill", &grill, PrintOn::Arrival);
    g.stations = vec!["grill".into()];
    let mut d = printer("drinks", &drinks, PrintOn::Arrival);
    d.stations = vec!["Drinks".into()];
    let mut b = printer("drinks-backup", &spare, PrintOn::Arrival);
    (b.backup, b.backup_station, b.backup_after) = (true, Some("drinks".into()), Duration::from_secs(1));
    let kds = kds_with(vec![g, d, b]).await;
    let setup = json!({"stations": [{"name": "grill", "categories": ["Mains"]}, {"name": "drinks", "categories": ["drinks"]}]});
    let (status, body) = call(&kds, reqwest::Method::PUT, "/api/stations", Some(&setup)).await;
    assert_eq!(status, 200, "{body}");
    let backup_on = |want: bool| {
        let kds = &kds;
        async move {
            let what = if want { "the drinks backup starts printing" } else { "the drinks backup stops printing" };
            eventually(what, PRINT_DEADLINE, || async { (health(kds).await["printers"][2]["backup_on"] == want).then_some(()) }).await
        }
    };
    let drinks_screen = SseStream::connect(&kds.app_url("/api/live?screen=drinks"), &[]).await;
    let board_screen = SseStream::connect(&kds.app_url("/api/live"), &[]).await;
    backup_on(false).await;

    send(&kds, OrderCreated, &station_order(9970001, "ST1")).await;
    let page = pages(&grill, 1, "the grill printer prints the grill's ticket").await.remove(0);
    assert!(page.has_line("#ST1") && page.has_line("Station: grill") && page.has_line("2 x Satay"), "{}", page.text());
    assert!(!page.has_line("Es Teh") && !page.has_line("Krupuk"), "only the grill's lines on the grill's ticket:\n{}", page.text());
    let page = pages(&drinks, 1, "the drinks printer prints the drinks' ticket").await.remove(0);
    assert!(page.has_line("#ST1") && page.has_line("1 x Es Teh") && page.has_line("Station: Drinks"), "{}", page.text());
    assert!(!page.has_line("Satay") && !page.has_line("Krupuk"), "only the drinks' lines:\n{}", page.text());

    let (status, body) = post(&kds, "/api/tickets/9970001/reprint").await;
    assert_eq!((status, body), (202, json!({"queued": ["grill", "drinks"]})), "a reprint goes to the station printers with lines in it, not the backup");
    pages(&grill, 2, "the grill's reprint").await;
    let reprint = pages(&drinks, 2, "the drinks' reprint").await.remove(1);
    assert!(reprint.has_line("REPRINT") && reprint.has_line("1 x Es Teh") && !reprint.has_line("Satay"), "{}", reprint.text());

    let mut changed = with(station_order(9970001, "ST1"), None, "2026-06-25T09:25:00Z");
    changed["orders"][0]["cart_v2"][0]["quantity"] = 3.into();
    send(&kds, CartUpdated, &changed).await;
    let chit = pages(&grill, 3, "a change to a grill line prints CHANGED at the grill").await.remove(2);
    assert!(chit.has_line("CHANGED") && chit.has_line("3 x Satay"), "{}", chit.text());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(drinks.pages().len(), 2, "no drinks line changed, so no chit at the drinks printer");
    assert!(spare.received().is_empty(), "while the drinks screen is live, its backup printer prints nothing");

    drop(drinks_screen);
    backup_on(true).await;
    send(&kds, OrderCreated, &station_order(9970002, "ST2")).await;
    let page = pages(&spare, 1, "with the drinks screen closed, its backup prints the drinks' lines").await.remove(0);
    assert!(page.has_line("BACKUP") && page.has_line("#ST2") && page.has_line("1 x Es Teh"), "marked BACKUP:\n{}", page.text());
    assert!(!page.has_line("Satay"), "only the drinks' lines:\n{}", page.text());
    assert_eq!(health(&kds).await["printers"][2]["backup_on"], true, "a board screen still open does not stand in for the drinks screen");

    let _drinks_again = SseStream::connect(&kds.app_url("/api/live?screen=drinks"), &[]).await;
    backup_on(false).await;
    send(&kds, OrderCreated, &station_order(9970003, "ST3")).await;
    pages(&drinks, 4, "the drinks printer prints each order").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(spare.pages().len(), 1, "once the drinks screen is back, its backup stops");
    drop(board_screen);
    kds.stop().await;
}
