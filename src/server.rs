//! Runs kds: opens the store, binds the intake listener and the app
//! listener, and shuts them down cleanly.
//!
//! [`Server::start`] is what `kds serve`, the desktop shell and the
//! end-to-end tests call; tests bind both listeners to `127.0.0.1:0`.
//!
//! Each listener has its own accept loop on hyper's HTTP/1 server with a
//! header-read timeout (slow-loris defence); bodies have their own timeout in
//! `intake`. On shutdown the listeners stop accepting, in-flight requests
//! finish (bounded by [`DRAIN_TIMEOUT`]), and the store is closed after the
//! writer has committed what was queued.
//!
//! It also starts the applier (deliveries → tickets), which the intake wakes
//! after each commit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::alert::Alerts;
use crate::applier::Applier;
use crate::kitchen::Kitchen;
use crate::klikit::StatusTable;
use crate::config::Config;
use crate::intake::{self, Intake};
use crate::shutdown::{self, Shutdown, Trigger};
use crate::store::{Store, StoreError};
use crate::tunnel::{Tunnel, TunnelOptions, TunnelStatus};

/// The one line `kds serve` prints on stdout once both listeners are bound,
/// so scripts and tests can find port-0 listeners:
/// `kds listening: intake=http://A/webhooks/klikit app=http://B/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    /// The webhook URL (`http://A/webhooks/klikit`).
    pub intake_url: String,
    /// The board's URL (`http://B/`).
    pub app_url: String,
}

impl Listening {
    const PREFIX: &'static str = "kds listening:";

    /// The URLs of a running server.
    pub fn of(server: &Server) -> Listening {
        Listening {
            intake_url: format!("http://{}/webhooks/klikit", server.intake_addr()),
            app_url: format!("http://{}/", server.app_addr()),
        }
    }

    /// Reads the line back; `None` for any other line.
    pub fn parse(line: &str) -> Option<Listening> {
        let rest = line.strip_prefix(Self::PREFIX)?;
        let field = |name: &str| rest.split_whitespace().find_map(|w| w.strip_prefix(name)).map(str::to_string);
        Some(Listening { intake_url: field("intake=")?, app_url: field("app=")? })
    }
}

impl std::fmt::Display for Listening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} intake={} app={}", Self::PREFIX, self.intake_url, self.app_url)
    }
}

/// Longest wait for in-flight requests at shutdown.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the server could not start. Each names its cause in one line.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr} ({what}): {reason}")]
    Bind { what: &'static str, addr: SocketAddr, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A running kds: both listeners, the store, and the tasks behind them.
pub struct Server {
    intake_addr: SocketAddr,
    app_addr: SocketAddr,
    store: Store,
    intake: Intake,
    alerts: Alerts,
    tunnel: Tunnel,
    shutdown: Trigger,
    tasks: Vec<JoinHandle<()>>,
}

impl Server {
    /// Opens the store and binds both listeners. Returns once both accept
    /// connections.
    pub async fn start(config: Config) -> Result<Server, ServerError> {
        let config = Arc::new(config);
        let intake_listener = bind("webhook listener", config.webhook_listen).await?;
        let app_listener = bind("app listener", config.listen).await?;
        let db_path = config.database_path();
        let options = config.store.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&db_path, options))
            .await
            .map_err(|e| StoreError::Internal(format!("store open task failed: {e}")))??;

        let applier = Arc::new(Notify::new());
        let alerts = Alerts::default();
        let intake = Intake::new(store.clone(), config.webhook_secrets(), applier.clone(), config.body_timeout).with_alerts(alerts.clone());
        if !intake.secret_configured() {
            tracing::warn!("no webhook secret configured (KLIKIT_WEBHOOK_SECRET): deliveries are answered 503 until one is set");
        }
        let (shutdown, shutdown_rx) = shutdown::channel();
        let intake_addr = intake_listener.local_addr().expect("a bound listener has an address");
        let app_addr = app_listener.local_addr().expect("a bound listener has an address");
        // The tunnel points at the intake listener's bound address, never the app's.
        let tunnel = Tunnel::start(TunnelOptions::from_config(&config, intake_addr), alerts.clone());
        if !app_addr.ip().is_loopback() && config.api_token.is_none() {
            tracing::warn!(%app_addr, "the app listener is bound beyond loopback without KDS_API_TOKEN: the API refuses every request");
        }
        let kitchen = Arc::new(Kitchen::new(StatusTable::with_overrides(&config.status_names)));
        // The print plan is in place before the applier makes its first change.
        let printing = crate::printing::Printing::new(config.printers.clone());
        printing.install(&store);
        let screens = crate::api::Screens::default();
        let printer_tasks = printing.spawn(&store, screens.clone(), shutdown_rx.clone());
        let applier_task = Applier::new(store.clone(), kitchen.clone(), alerts.clone(), applier.clone()).spawn(shutdown_rx.clone());

        let app_state = crate::api::AppState {
            store: store.clone(),
            intake: intake.clone(),
            config: config.clone(),
            alerts: alerts.clone(),
            kitchen,
            app_addr,
            intake_addr,
            shutdown: shutdown_rx.clone(),
            tunnel: tunnel.status(),
            printing,
            screens,
        };
        let mut tasks = vec![
            tokio::spawn(serve(intake_listener, intake::router(intake.clone()), shutdown_rx.clone(), config.header_timeout)),
            tokio::spawn(serve(app_listener, crate::api::router(app_state), shutdown_rx.clone(), config.header_timeout)),
            applier_task,
        ];
        tasks.extend(printer_tasks);
        tracing::info!(%intake_addr, %app_addr, data_dir = %config.data_dir.display(), "kds started");
        Ok(Server { intake_addr, app_addr, store, intake, alerts, tunnel, shutdown, tasks })
    }

    /// The intake listener's bound address.
    pub fn intake_addr(&self) -> SocketAddr {
        self.intake_addr
    }

    /// The app listener's bound address.
    pub fn app_addr(&self) -> SocketAddr {
        self.app_addr
    }

    /// The store (for tests and the desktop shell's read-only views).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The intake (for health and settings).
    pub fn intake(&self) -> &Intake {
        &self.intake
    }

    /// The alert channel: subscribe to hear about new and cancelled orders
    /// and the receiver or tunnel going down.
    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// The tunnel's status, and changes to it.
    pub fn tunnel(&self) -> watch::Receiver<TunnelStatus> {
        self.tunnel.status()
    }

    /// Stops the tunnel, stops accepting, lets in-flight requests finish,
    /// and closes the store.
    pub async fn shutdown(self) {
        self.tunnel.stop().await;
        self.shutdown.fire();
        for task in self.tasks {
            let _ = task.await;
        }
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        tracing::info!("kds stopped");
    }
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr).await.map_err(|e| ServerError::Bind { what, addr, reason: e.to_string() })
}

/// Accepts connections on `listener` and serves `router` until `shutdown`
/// fires, then drains.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: Shutdown, header_timeout: Duration) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    http.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let http = Arc::new(http);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off briefly.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(
                    router.clone().map_request(|req: Request<Incoming>| req.map(axum::body::Body::new)),
                );
                let (http, watcher) = (http.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let connection = http.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection).await;
                });
            }
            _ = shutdown.wait() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish within the drain timeout");
    }
}

#[cfg(test)]
mod tests {
    use super::Listening;

    #[test]
    fn the_listening_line_reads_back() {
        let l = Listening { intake_url: "http://127.0.0.1:1/webhooks/klikit".into(), app_url: "http://127.0.0.1:2/".into() };
        assert_eq!(Listening::parse(&l.to_string()), Some(l), "what kds serve prints, scripts must be able to read");
        assert_eq!(Listening::parse("kds started"), None);
    }
}
