//! Runs kds: opens the store, binds the intake listener and the app
//! listener, and shuts them down cleanly.
//!
//! [`Server::start`] is what `kds serve`, the desktop shell and the
//! end-to-end tests call; tests bind both listeners to `127.0.0.1:0`.
//!
//! Each listener has its own accept loop on hyper's HTTP/1 server, with a
//! header-read timeout that runs from the moment a connection is accepted
//! (so a socket that sends nothing, or only an HTTP/2 preface, is closed
//! too) and between requests on a kept-alive connection, and a cap on open
//! connections ([`ConnectionLimits`]): at the cap a listener stops accepting
//! until a connection ends (new ones wait in the kernel's backlog), so a
//! flood of one listener never starves the other of file descriptors. Bodies have their own timeout in `intake`. On
//! shutdown the listeners stop accepting, in-flight requests finish (bounded
//! by [`DRAIN_TIMEOUT`]), and the store is closed after the writer has
//! committed what was queued.
//!
//! It also starts the applier (deliveries → tickets), which the intake wakes
//! after each commit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, Semaphore};
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
    #[error(transparent)]
    Instance(#[from] crate::instance::InstanceError),
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
    /// Held while running: `kds restore` refuses while it is.
    _instance: crate::instance::InstanceLock,
}

impl Server {
    /// Opens the store and binds both listeners. Returns once both accept
    /// connections.
    pub async fn start(config: Config) -> Result<Server, ServerError> {
        let config = Arc::new(config);
        let instance = crate::instance::InstanceLock::acquire(&config.data_dir)?;
        let intake_listener = bind("webhook listener", config.webhook_listen).await?;
        let app_listener = bind("app listener", config.listen).await?;
        let db_path = config.database_path();
        let options = config.store.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&db_path, options))
            .await
            .map_err(|e| StoreError::Internal(format!("store open task failed: {e}")))??;

        let applier = Arc::new(Notify::new());
        let alerts = Alerts::default();
        let intake = Intake::new(store.clone(), config.webhook_secrets(), applier.clone(), config.body_timeout).with_alerts(alerts.clone()).with_body_budget(config.intake_budget_bytes);
        intake.set_secrets_until(config.webhook_secrets(), config.webhook_secret_previous_until);
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
        let kitchen = Arc::new(Kitchen { branches: config.branches.clone(), ..Kitchen::new(StatusTable::with_overrides(&config.status_names)) });
        // The saved station setup is in force before the first ticket is
        // routed. Open tickets stored before stations existed (an upgraded
        // database) are routed in the background, a page at a time.
        if let Some(setup) = store.station_setup().await? {
            kitchen.setup.set(setup);
        }
        let upgrade = store.stations_to_route().await?.then(|| tokio::spawn(route_stored_tickets(store.clone(), kitchen.clone(), shutdown_rx.clone())));
        // The print plan is in place before the applier makes its first change.
        let printing = crate::printing::Printing::new(config.printers.clone());
        printing.install(&store);
        let screens = crate::api::Screens::default();
        let printing_task = printing.spawn(&store, screens.clone(), shutdown_rx.clone());
        let applier_task = Applier::new(store.clone(), kitchen.clone(), alerts.clone(), applier.clone()).spawn(shutdown_rx.clone());
        // Opt-in: without partner keys nothing is sent to klikit.
        let partner = config.partner.clone().map(|c| crate::partner::Partner::new(crate::partner::Client::new(Some(c)), store.clone(), alerts.clone(), applier.clone()));

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
            tunnel_control: tunnel.control(),
            partner: partner.clone(),
            printing,
            screens,
        };
        let mut tasks = vec![
            tokio::spawn(serve(intake_listener, intake::router(intake.clone()), shutdown_rx.clone(), config.connection_limits())),
            tokio::spawn(serve(app_listener, crate::api::router(app_state), shutdown_rx.clone(), config.connection_limits())),
            applier_task,
            crate::maintenance::spawn(store.clone(), config.retention, config.timezone.clone(), shutdown_rx.clone()),
        ];
        if let Some(partner) = partner {
            tracing::info!(base = %partner.client.config().map(|c| c.base_url).unwrap_or_default(), "klikit partner API configured: screen actions are sent to klikit");
            tasks.push(partner.catchup.clone().spawn(config.catchup_every, tunnel.status(), shutdown_rx.clone()));
            tasks.push(partner.spawn(shutdown_rx.clone()));
        }
        tasks.push(printing_task);
        tasks.extend(upgrade);
        tracing::info!(%intake_addr, %app_addr, data_dir = %config.data_dir.display(), "kds started");
        Ok(Server { intake_addr, app_addr, store, intake, alerts, tunnel, shutdown, tasks, _instance: instance })
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

/// Routes the open tickets stored before stations existed (the first start
/// after the upgrade), then records that it is done, so that later starts
/// skip this. Stops at shutdown; the next start does it again.
async fn route_stored_tickets(store: Store, kitchen: Arc<Kitchen>, shutdown: Shutdown) {
    let now = time::OffsetDateTime::now_utc();
    let k = kitchen.clone();
    let stop = shutdown.clone();
    match store.reroute_open_tickets(move |r| k.reroute(r, &k.setup.get(), now), move || !stop.is_stopping()).await {
        Ok(_) if shutdown.is_stopping() => {}
        Ok(routed) => {
            tracing::info!(routed, "open tickets routed to stations");
            if let Err(e) = store.stations_routed().await {
                tracing::warn!(error = %e, "could not record that the stored tickets are routed; the next start routes them again");
            }
        }
        Err(e) => tracing::warn!(error = %e, "routing the stored open tickets stopped; the next start goes on"),
    }
}

/// Connections the kernel keeps waiting to be accepted, per listener: at
/// the connection cap new ones wait here (std's default of 128 would have
/// the kernel drop further attempts, and a real client retry for seconds).
const BACKLOG: u32 = 1024;

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, ServerError> {
    let fail = |e: std::io::Error| ServerError::Bind { what, addr, reason: e.to_string() };
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }.map_err(fail)?;
    #[cfg(unix)]
    socket.set_reuseaddr(true).map_err(fail)?;
    socket.bind(addr).map_err(fail)?;
    socket.listen(BACKLOG).map_err(fail)
}

/// What one listener allows its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time allowed for a request's headers, counted from the accept (or
    /// from the end of the previous response on a kept-alive connection).
    pub header_timeout: Duration,
    /// Most connections open at once; more wait to be accepted.
    pub max_connections: usize,
}

/// Accepts connections on `listener` and serves `router` until `shutdown`
/// fires, then drains.
///
/// HTTP/1 only, on hyper's own HTTP/1 connection: `hyper_util`'s
/// auto-detecting builder reads the first bytes (to tell HTTP/1 from
/// HTTP/2) before any timeout runs, so a socket that never sent a byte was
/// never closed. Nothing kds talks to needs HTTP/2 (cloudflared and browsers
/// speak HTTP/1.1 to a plain-HTTP origin); an HTTP/2 preface is refused as a
/// bad request.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: Shutdown, limits: ConnectionLimits) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let http = Arc::new(http);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut waits: u64 = 0;
    loop {
        // At the cap, stop accepting until a connection ends: new ones wait
        // in the kernel's backlog, holding none of this process's file
        // descriptors, and are served in turn (a burst of real deliveries is
        // delayed, never dropped; idle sockets holding slots are cut off by
        // the header timeout).
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                waits += 1;
                if waits.is_power_of_two() {
                    tracing::warn!(waits, max_connections = limits.max_connections, "connection cap reached: new connections wait");
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                    _ = shutdown.wait() => break,
                }
            }
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off briefly.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(
                    // The peer's address rides along for handlers that show it
                    // (the screens registry).
                    router.clone().map_request(move |req: Request<Incoming>| {
                        let mut req = req.map(axum::body::Body::new);
                        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                        req
                    }),
                );
                let (http, watcher) = (http.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection).await;
                    drop(slot);
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
