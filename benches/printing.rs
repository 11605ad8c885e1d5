//! Printing under load: how long after klikit hears its 2xx does the last
//! byte of the ticket reach the printer, and do printers slow the intake or
//! a bump?
//!
//! Starts kds (durable settings) on 127.0.0.1:0 three ways: with two fake
//! ESC/POS printers (`kds::fake_printer`, real TCP servers; one
//! prints on arrival, one on acceptance), and twice without, to show the
//! run-to-run noise. Each run posts COUNT new orders at RATE per second,
//! waits for them to be applied, then bumps each once (New → Preparing, which
//! prints on the acceptance printer). It prints p50/p99 of: 2xx → last byte
//! at the arrival printer, and bump → last byte at the acceptance printer
//! (printer runs only), intake latency (post → 2xx) and bump latency
//! (request → answer).
//!
//! `cargo bench --bench printing -- [COUNT] [RATE]` (default 200 at 40/s).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kds::fake_printer::{self, FakePrinter};
use kds::config::Config;
use kds::klikit::{EventType, WebhookSecret};
use kds::printing::{Address, PrintOn, Printer};
use kds::server::Server;
use kds::client::{self, Delivery};
use kds_sim::quantile;

fn order(template: &serde_json::Value, i: usize) -> (String, Vec<u8>) {
    let mut body = template.clone();
    let id = 70_000_000 + i as u64;
    let short = format!("B{i:05}");
    body["orders"][0]["id"] = id.into();
    body["orders"][0]["short_id"] = short.clone().into();
    (short, serde_json::to_vec(&body).unwrap())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(name: &str, mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return format!("{name:<34} (none)");
    }
    format!("{name:<34} n={:<5} p50={:>7.1} ms  p99={:>7.1} ms  max={:>7.1} ms", v.len(), quantile(&v, 0.5), quantile(&v, 0.99), v[v.len() - 1])
}

/// When each ticket number's page finished arriving at `fake`.
fn arrivals(fake: &FakePrinter) -> HashMap<String, Instant> {
    let mut out = HashMap::new();
    for r in fake.received() {
        let page = fake_printer::decode(&r.bytes);
        if let Some(number) = page.lines.iter().find_map(|l| l.text.strip_prefix('#').map(str::to_string)) {
            out.entry(number).or_insert(r.at);
        }
    }
    out
}

async fn run(count: usize, rate: f64, with_printers: bool) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut config = Config::for_data_dir(dir.path());
    let secret = WebhookSecret::new("bench-secret").unwrap();
    config.webhook_secret = Some(secret.clone());
    let (pass, hot) = (FakePrinter::start().await, FakePrinter::start().await);
    if with_printers {
        let mut a = Printer::new("pass", Address::parse(&pass.address()).unwrap());
        a.print_on = PrintOn::Arrival;
        let mut b = Printer::new("hot", Address::parse(&hot.address()).unwrap());
        b.print_on = PrintOn::Accepted;
        config.printers = vec![a, b];
    }
    let server = Server::start(config).await.expect("kds starts");
    let url = format!("http://{}/webhooks/klikit", server.intake_addr());
    let app = format!("http://{}", server.app_addr());
    let client = client::client();
    let template: serde_json::Value =
        serde_json::from_slice(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/01-order-created-single.json")).unwrap()).unwrap();

    // klikit: post at `rate`, each on its own task.
    let started = Instant::now();
    let mut posts = Vec::with_capacity(count);
    for i in 0..count {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (short, body) = order(&template, i);
        let d = Delivery { event_id: client::new_event_id(), event_type: EventType::OrderCreated, body };
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        posts.push(tokio::spawn(async move {
            let sent = Instant::now();
            let answer = client::post(&client, &url, &secret, &d).await.expect("the intake answers");
            assert_eq!(answer.status, 200, "{}", answer.body);
            (short, sent, Instant::now())
        }));
    }
    let mut acks = Vec::with_capacity(count);
    for p in posts {
        acks.push(p.await.unwrap());
    }
    loop {
        let h: serde_json::Value = client.get(format!("{app}/api/health")).send().await.unwrap().json().await.unwrap();
        if h["applier"]["pending"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A screen: bump every ticket once, one after another at the same rate.
    let mut bumps = Vec::with_capacity(count);
    let bump_started = Instant::now();
    for i in 0..count {
        tokio::time::sleep_until((bump_started + Duration::from_secs_f64(i as f64 / rate)).into()).await;
        let sent = Instant::now();
        let res = client.post(format!("{app}/api/tickets/{}/bump", 70_000_000 + i as u64)).send().await.unwrap();
        assert_eq!(res.status(), 200, "a bump out of New is allowed");
        bumps.push((format!("B{i:05}"), sent, Instant::now()));
    }

    let mut out = vec![
        line("intake: post -> 2xx", acks.iter().map(|(_, s, a)| ms(*a - *s)).collect()),
        line("bump: request -> answer", bumps.iter().map(|(_, s, a)| ms(*a - *s)).collect()),
    ];
    if with_printers {
        let deadline = Instant::now() + Duration::from_secs(60);
        while (arrivals(&pass).len() < count || arrivals(&hot).len() < count) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (printed, accepted) = (arrivals(&pass), arrivals(&hot));
        assert_eq!((printed.len(), accepted.len()), (count, count), "every ticket printed on both printers");
        out.push(line("print: 2xx -> last byte (arrival)", acks.iter().map(|(n, _, a)| ms(printed[n].saturating_duration_since(*a))).collect()));
        out.push(line("print: bump -> last byte (accepted)", bumps.iter().map(|(n, _, a)| ms(accepted[n].saturating_duration_since(*a))).collect()));
    }
    server.shutdown().await;
    out
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let rate: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(40.0);
    println!("printing bench: {count} orders at {rate}/s, then {count} bumps at {rate}/s");
    for (name, with) in [("no printers", false), ("two printers", true), ("no printers again", false)] {
        println!("-- {name}");
        for l in run(count, rate, with).await {
            println!("   {l}");
        }
    }
}
