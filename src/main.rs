//! The `kds` command: a thin front door onto the `kds` library.
//!
//! - `kds serve`: run the receiver, the kitchen and the board, headless.
//! - `kds send`: sign a file's bytes and post them the way klikit would.
//! - `kds load`: generate signed orders and measure the receiver.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use kds::config::{Config, Overrides, TunnelMode};
use kds::klikit::EventType;
use kds::simulator;

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
enum Command {
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("KDS_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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
        Command::Serve { common, webhook_listen, listen, tunnel } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, webhook_listen, listen, tunnel })?;
            let server = kds::server::Server::start(config).await?;
            // Handlers first: a SIGTERM right after the line below must still be a clean stop.
            let stop = shutdown_signal();
            // One machine-readable line on stdout, so scripts and tests can find port-0 listeners.
            println!("kds listening: intake=http://{}/webhooks/klikit app=http://{}/", server.intake_addr(), server.app_addr());
            stop.await;
            tracing::info!("shutting down");
            server.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Send { common, event_type, event_id, url, file } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
            let secret = config.webhook_secret.clone().context("no webhook secret configured: set KLIKIT_WEBHOOK_SECRET")?;
            let event_type = EventType::parse(&event_type).with_context(|| format!("unknown event type {event_type:?}"))?;
            let body = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let url = url.unwrap_or_else(|| format!("http://{}/webhooks/klikit", config.webhook_listen));
            let delivery = simulator::Delivery { event_id: event_id.unwrap_or_else(simulator::new_event_id), event_type, body };
            let answer = simulator::post(&simulator::client(), &url, &secret, &delivery).await?;
            println!("{} {}", answer.status, answer.body);
            eprintln!("event id {} ({:.1} ms)", delivery.event_id, answer.latency.as_secs_f64() * 1000.0);
            Ok(if (200..300).contains(&answer.status) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Load { common, url, count, concurrency, duplicates, rate, seed, json } => {
            let config = Config::load(Overrides { data_dir: common.data_dir, ..Default::default() })?;
            let secret = config.webhook_secret.clone().context("no webhook secret configured: set KLIKIT_WEBHOOK_SECRET")?;
            if !(0.0..=1.0).contains(&duplicates) {
                bail!("--duplicates must be between 0 and 1");
            }
            let url = url.unwrap_or_else(|| format!("http://{}/webhooks/klikit", config.webhook_listen));
            let plan = simulator::LoadPlan { url, count, concurrency, duplicates, rate, seed };
            let report = simulator::load(plan, secret).await;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{report}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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
