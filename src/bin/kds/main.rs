//! The `kds` command: a thin front door onto the `kds` library.
//!
//! - `kds serve`: run the receiver, the kitchen and the board, headless.
//! - `kds send`: sign a file's bytes and post them the way klikit would.
//! - `kds load`: generate signed orders and measure the receiver.
//! - `kds selftest`: post one signed test order and follow it hop by hop to the board.
//! - `kds status`: print the running kds's health for someone on a terminal.
//! - `kds klikit check`: call klikit's partner API with the configured keys.
//! - `kds dev fake-klikit`: run a fake klikit partner API, for demos.
//! - `kds dev fake-printer`: run a fake ESC/POS network printer that prints what it gets on stdout, for demos and tests.
//! - `kds backup`: write a consistent copy of the database (works while kds runs).
//! - `kds restore`: replace the database with a checked backup (only while kds is stopped).
//! - `kds service install` / `uninstall`: run kds as a systemd user service (restarted on failure).
//! - `kds diagnostics`: save the running kds's diagnostics zip (every secret masked).

use std::path::PathBuf;
use std::sync::Arc;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use kds::config::{Config, Overrides, TunnelMode};
use futures_util::future::BoxFuture;
use kds::client::{self, ClientError, Delivery};
use kds::klikit::WebhookSecret;

mod service;
mod status;

#[derive(Parser)]
#[command(name = "kds", version, about = "Kitchen display system for klikit order webhooks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Data directory (database and config.toml). Env: KDS_DATA_DIR.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum KlikitCommand {
    /// GET /brands and /branches with the configured partner keys; list them, or say what is wrong.
    Check {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum ServiceCommand {
    /// Write ~/.config/systemd/user/kds.service (`kds serve` on the data dir, restarted on failure) and enable it with systemctl --user (or say what to do without systemd).
    Install {
        #[command(flatten)]
        common: Common,
    },
    /// Stop and disable the unit, and remove its file.
    Uninstall,
}

#[derive(Subcommand)]
enum DevCommand {
    /// Run a fake klikit partner API (for demos): base http://LISTEN/v1/partner.
    FakeKlikit {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
        listen: String,
        #[arg(long, default_value = "fake-partner-key")]
        partner_key: String,
        #[arg(long, default_value = "fake-secret-key")]
        secret_key: String,
        /// After each accepted PATCH, post the signed status.updated webhook here (signed with the configured webhook secret).
        #[arg(long, value_name = "URL")]
        echo_to: Option<String>,
        /// Webhook bodies whose orders the fake knows (e.g. tests/fixtures/*.json).
        #[arg(long, value_name = "FILE")]
        seed: Vec<PathBuf>,
    },
    /// Run a fake ESC/POS network printer (for demos and tests): prints each ticket's text on stdout, saves its raster images as PNG.
    FakePrinter {
        /// The printer's raw port (point a printer's address at tcp://ADDR).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9100")]
        listen: String,
        /// Where each ticket with raster images is saved as page-NNNN.png.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The HTTP control port: POST /_fake/condition {"condition": "ready|cover_open|paper_out|offline"}, GET /_fake/pages. Port 0: a free one.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
        control: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// klikit partner API tools.
    Klikit {
        #[command(subcommand)]
        command: KlikitCommand,
    },
    /// Keep kds running on a headless PC: a systemd user service.
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
    /// Development tools.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// Run the webhook receiver, the kitchen engine and the board until SIGINT or SIGTERM.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Intake listener (POST /webhooks/klikit). Env: KDS_WEBHOOK_LISTEN. Default 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        webhook_listen: Option<String>,
        /// App listener (board and API). Env: KDS_LISTEN. Default 127.0.0.1:8787.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Tunnel mode: off, quick or named. Env: KDS_TUNNEL.
        #[arg(long, value_name = "MODE")]
        tunnel: Option<TunnelMode>,
    },
    /// Sign FILE's bytes with the configured secret and post them like klikit.
    Send {
        #[command(flatten)]
        common: Common,
        /// Event type header, e.g. klikit.order.created.v2.
        #[arg(long, value_name = "TYPE")]
        event_type: String,
        /// Event id header; a fresh one by default.
        #[arg(long, value_name = "ID")]
        event_id: Option<String>,
        /// Intake URL; default http://<webhook listen>/webhooks/klikit.
        #[arg(long)]
        url: Option<String>,
        file: PathBuf,
    },
    /// Post one signed test order (public URL if any, else the local intake) and report each hop.
    Selftest {
        #[command(flatten)]
        common: Common,
        /// App listener of the running kds. Env: KDS_LISTEN. Default 127.0.0.1:8787.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Intake listener of the running kds. Env: KDS_WEBHOOK_LISTEN. Default 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        webhook_listen: Option<String>,
        /// Public base URL to post to; default: the tunnel's URL from /api/health, else public_url.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        /// Only post to the local intake, even when there is a public URL.
        #[arg(long)]
        local: bool,
        /// Seconds to wait for the test ticket to show on the board.
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        wait: u64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the running kds's health: receiver, secret, tunnel and URL, last delivery.
    Status {
        #[command(flatten)]
        common: Common,
        /// App listener of the running kds. Env: KDS_LISTEN. Default 127.0.0.1:8787.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Print the health JSON as it is.
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the database to FILE (default: backups/kds-<now>.sqlite in the data dir). Works while kds runs.
    Backup {
        #[command(flatten)]
        common: Common,
        file: Option<PathBuf>,
    },
    /// Replace the database with FILE, a backup. Refuses while kds runs or if FILE is not a sound kds database; keeps the replaced one aside.
    Restore {
        #[command(flatten)]
        common: Common,
        file: PathBuf,
    },
    /// Save the running kds's diagnostics zip (health, recent deliveries, logs, version, configuration; every secret masked) to FILE (default: kds-diagnostics-<now>.zip here).
    Diagnostics {
        #[command(flatten)]
        common: Common,
        /// App listener of the running kds. Env: KDS_LISTEN. Default 127.0.0.1:8787.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        file: Option<PathBuf>,
    },
    /// Post generated, signed orders and report throughput and ack latency.
    Load {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Share of posts (0 to 1) that repeat an earlier delivery with the same event id.
        #[arg(long, default_value_t = 0.0)]
        duplicates: f64,
        /// Target deliveries per second (default: as fast as possible).
        #[arg(long)]
        rate: Option<f64>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `kds serve` also logs to the rotating file in its data dir; the
    // one-shot commands only to the terminal.
    let log_dir = match &cli.command {
        Command::Serve { common, .. } => kds::config::data_dir_from(common.data_dir.clone()),
        _ => None,
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if let Some(e) = kds::logs::init(log_dir.as_deref(), ansi) {
        tracing::warn!(error = %e, "no log file in the data dir; logging to the terminal only");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kds: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kds: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Klikit { command: KlikitCommand::Check { common } } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
            let keys = config.partner.clone().context("no klikit partner keys: set KLIKIT_PARTNER_KEY and KLIKIT_PARTNER_SECRET (or Settings)")?;
            println!("calling {}", keys.base_url);
            let answer = kds::partner::client::check(&kds::partner::Client::new(Some(keys))).await;
            if answer["ok"] == true {
                for b in answer["brands"].as_array().into_iter().flatten() {
                    println!("brand  {} {}", b["id"], b["title"].as_str().unwrap_or(""));
                }
                for b in answer["branches"].as_array().into_iter().flatten() {
                    println!("branch {} {}", b["id"], b["title"].as_str().unwrap_or(""));
                }
                Ok(ExitCode::SUCCESS)
            } else {
                println!("klikit check failed: {}", answer["error"].as_str().unwrap_or("unknown error"));
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Dev { command: DevCommand::FakeKlikit { common, listen, partner_key, secret_key, echo_to, seed } } => {
            let listen: std::net::SocketAddr = listen.parse().with_context(|| format!("{listen:?} is not an address"))?;
            let fake = kds::fake_klikit::FakeKlikit::start(listen, &partner_key, &secret_key).await?;
            for file in &seed {
                fake.seed_file(file).with_context(|| format!("cannot seed from {}", file.display()))?;
            }
            if let Some(url) = echo_to {
                let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
                let secret = config.webhook_secret.clone().context("echo needs the webhook secret: set KLIKIT_WEBHOOK_SECRET")?;
                fake.set_echo(Some(kds::fake_klikit::Echo { intake_url: url, secret }));
            }
            println!("fake klikit: {}", fake.base_url());
            shutdown_signal().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev { command: DevCommand::FakePrinter { listen, out, control } } => {
            let listen: std::net::SocketAddr = listen.parse().with_context(|| format!("{listen:?} is not an address"))?;
            let control: std::net::SocketAddr = control.parse().with_context(|| format!("{control:?} is not an address"))?;
            let fake = kds::fake_printer::FakePrinter::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            let control = tokio::net::TcpListener::bind(control).await.with_context(|| format!("cannot listen on {control}"))?;
            println!("fake printer: {}", fake.address());
            println!("control: http://{}", control.local_addr()?);
            let _control = fake.serve_control(control);
            let show = async {
                for n in 0.. {
                    let page = fake.page(n).await;
                    println!("--- page {} ({} lines, {} images, {} cuts) ---", n + 1, page.lines.len(), page.images.len(), page.cuts);
                    println!("{}", page.text());
                    if let (Some(dir), false) = (&out, page.images.is_empty()) {
                        let path = dir.join(format!("page-{:04}.png", n + 1));
                        match kds::fake_printer::save_png(&kds::fake_printer::stack(&page.images), &path) {
                            Ok(()) => println!("[images saved to {}]", path.display()),
                            Err(e) => eprintln!("fake printer: cannot save {}: {e}", path.display()),
                        }
                    }
                }
            };
            tokio::select! {
                _ = show => {}
                _ = shutdown_signal() => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { common, webhook_listen, listen, tunnel } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, webhook_listen, listen, tunnel })?;
            let server = kds::server::Server::start(config).await?;
            // Handlers first: a SIGTERM right after the line below must still be a clean stop.
            let stop = shutdown_signal();
            // One machine-readable line on stdout, so scripts and tests can find port-0 listeners.
            println!("{}", kds::server::Listening::of(&server));
            stop.await;
            tracing::info!("shutting down");
            server.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Send { common, event_type, event_id, url, file } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
            let secret = config.webhook_secret.clone().context("no webhook secret configured: set KLIKIT_WEBHOOK_SECRET")?;
            let body = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let url = url.unwrap_or_else(|| format!("http://{}/webhooks/klikit", config.webhook_listen));
            let event_id = event_id.unwrap_or_else(client::new_event_id);
            let delivery = Delivery::from_headers(event_id, &event_type, body).with_context(|| format!("unknown event type {event_type:?}"))?;
            let answer = client::post(&client::client(), &url, &secret, &delivery).await?;
            println!("{} {}", answer.status, answer.body);
            eprintln!("event id {} ({:.1} ms)", delivery.event_id, answer.latency.as_secs_f64() * 1000.0);
            Ok(if (200..300).contains(&answer.status) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Selftest { common, listen, webhook_listen, public_url, local, wait, json } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, listen, webhook_listen, ..Default::default() })?;
            let app_url = kds::selftest::local_url(config.listen);
            let public_url = match (local, public_url) {
                (true, _) => None,
                (false, Some(url)) => Some(url.trim_end_matches('/').to_string()),
                (false, None) => {
                    let health = fetch_health(&app_url, &config).await.ok();
                    let from_tunnel = health.as_ref().and_then(|h| h.tunnel.url.clone());
                    from_tunnel.or_else(|| config.public_url.clone())
                }
            };
            let plan = kds::selftest::SelftestPlan {
                intake_url: kds::selftest::local_url(config.webhook_listen),
                app_url,
                public_url,
                secret: config.webhook_secret.clone(),
                api_token: config.api_token.clone(),
                shown_timeout: std::time::Duration::from_secs(wait),
            };
            let report = kds::selftest::run(plan).await;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            Ok(if report.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Status { common, listen, json } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, listen, ..Default::default() })?;
            let app_url = kds::selftest::local_url(config.listen);
            let health = fetch_health(&app_url, &config).await.with_context(|| format!("kds is not answering at {app_url}: is `kds serve` running?"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&health)?);
            } else {
                print!("{}", status::render(&health, time::OffsetDateTime::now_utc()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Service { command: ServiceCommand::Install { common } } => {
            let data_dir = kds::config::data_dir_from(common.data_dir).context("no data dir: pass --data-dir")?;
            service::install(&data_dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Service { command: ServiceCommand::Uninstall } => {
            service::uninstall()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diagnostics { common, listen, file } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, listen, ..Default::default() })?;
            let app_url = kds::selftest::local_url(config.listen);
            let zip = fetch_diagnostics(&app_url, &config).await.with_context(|| format!("no diagnostics from {app_url}: is `kds serve` running?"))?;
            let file = file.unwrap_or_else(|| PathBuf::from(format!("kds-diagnostics-{}.zip", file_stamp())));
            std::fs::write(&file, &zip).with_context(|| format!("cannot write {}", file.display()))?;
            println!("diagnostics written: {} ({} bytes)", file.display(), zip.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { common, file } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
            let dest = file.unwrap_or_else(|| config.data_dir.join(kds::store::BACKUP_DIR).join(format!("kds-{}.sqlite", file_stamp())));
            let report = kds::store::backup_file(&config.database_path(), &dest)?;
            println!("backup written: {} ({} bytes)", report.path.display(), report.bytes);
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { common, file } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
            let restored = kds::restore::restore(&config.data_dir, &config.database_path(), &file, &file_stamp())?;
            println!("restored {} from {}", restored.database.display(), file.display());
            if let Some(aside) = restored.replaced {
                println!("the replaced database is kept at {}", aside.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Load { common, url, count, concurrency, duplicates, rate, seed, json } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
            let secret = config.webhook_secret.clone().context("no webhook secret configured: set KLIKIT_WEBHOOK_SECRET")?;
            if !(0.0..=1.0).contains(&duplicates) {
                bail!("--duplicates must be between 0 and 1");
            }
            let url = url.unwrap_or_else(|| format!("http://{}/webhooks/klikit", config.webhook_listen));
            let plan = kds_sim::LoadPlan { url, count, concurrency, duplicates, rate, seed };
            let report = kds_sim::load(plan, signed_post(secret)).await;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{report}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What `kds load` posts with: signs each generated delivery with `secret`
/// and posts it through [`client::post`].
fn signed_post(secret: WebhookSecret) -> impl Fn(Arc<str>, kds_sim::Delivery) -> BoxFuture<'static, Result<kds_sim::Ack, ClientError>> + Clone + Send + Sync {
    let http = client::client();
    move |url, d| {
        let (http, secret) = (http.clone(), secret.clone());
        Box::pin(async move {
            let event_type = d.event_type;
            let delivery = Delivery::from_headers(d.event_id, event_type, d.body).expect("kds-sim generates only event types kds knows");
            let answer = client::post(&http, &url, &secret, &delivery).await?;
            Ok(kds_sim::Ack { status: answer.status, body: answer.body, latency: answer.latency })
        })
    }
}

/// `GET {app_url}{path}` on the running kds, with the API token when one is
/// configured, waiting at most `secs`.
async fn api_get(app_url: &str, path: &str, config: &Config, secs: u64) -> Result<reqwest::Response> {
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(secs)).build()?;
    let mut req = client.get(format!("{app_url}{path}"));
    if let Some(token) = &config.api_token {
        req = req.bearer_auth(token.expose());
    }
    Ok(req.send().await?)
}

/// `GET /api/health` on the app listener at `app_url`.
async fn fetch_health(app_url: &str, config: &Config) -> Result<kds::api::wire::Health> {
    let res = api_get(app_url, "/api/health", config, 5).await?;
    let status = res.status();
    res.json().await.with_context(|| format!("{app_url}/api/health answered {status} without a health report"))
}

/// `GET /api/diagnostics.zip` on the app listener at `app_url`.
async fn fetch_diagnostics(app_url: &str, config: &Config) -> Result<Vec<u8>> {
    let res = api_get(app_url, "/api/diagnostics.zip", config, 60).await?;
    let status = res.status();
    if !status.is_success() {
        bail!("{app_url} answered {status}");
    }
    Ok(res.bytes().await?.to_vec())
}

/// Now as a file-name-safe UTC stamp: `20261130T040000Z`.
fn file_stamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z")).unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// Installs the SIGINT and SIGTERM handlers now; the future resolves on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler works on Unix");
    let mut int = signal(SignalKind::interrupt()).expect("installing a SIGINT handler works on Unix");
    async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
}
