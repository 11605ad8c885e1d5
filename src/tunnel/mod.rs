//! The supervised `cloudflared` child that makes the intake listener
//! reachable from klikit, and its state.
//!
//! It owns the child process (start, watch, restart, stop) and publishes a
//! [`TunnelStatus`] through a `tokio::sync::watch` channel, raising
//! [`Alert::TunnelDown`] / [`Alert::TunnelUp`] as it changes. It never
//! touches tickets or the store, and the tunnel token never leaves it except
//! in the child's `TUNNEL_TOKEN` environment variable: not in argv, logs,
//! `Debug` output or the status.
//!
//! # States
//! | state | meaning |
//! |---|---|
//! | `off` | mode `off`: the kitchen runs its own reverse proxy |
//! | `not_installed` | no `cloudflared` on PATH or at the configured path (looked for again every backoff cap) |
//! | `starting` | the first child runs, no connection to Cloudflare yet |
//! | `connected` | at least one connection is registered (log) and `/ready` agrees; `url` is the public URL |
//! | `reconnecting` | it was connected and lost it: cloudflared is retrying, or kds restarts it |
//! | `failed` | the child exited or hung without ever connecting; `reason` says why. kds keeps retrying, and the state stays `failed` until a connection registers |
//!
//! # Signals
//! Health comes from two places: the log lines on stderr/stdout
//! ([`log::parse_line`]: URL, registered/unregistered connections, errors) and
//! the metrics server's `GET /ready` (`--metrics 127.0.0.1:PORT`), polled every
//! [`TunnelOptions::ready_interval`]: `200` with `readyConnections > 0` is
//! connected, any other answer is not; no answer says nothing. The latest
//! signal wins.
//!
//! # Restarts
//! When the child exits (or hangs for [`TunnelOptions::connect_timeout`]
//! without connecting) it is restarted after a capped exponential backoff:
//! `base, 2·base, 4·base, …` up to `cap`. With the defaults (1 s, 60 s):
//! 1, 2, 4, 8, 16, 32, 60, 60, … seconds. A run that stayed connected for at
//! least `cap` resets the schedule, so a tunnel that drops once a day comes
//! back after 1 s.
//!
//! # Never an orphan
//! Each child runs in its own process group with `PR_SET_PDEATHSIG = SIGKILL`
//! (see [`process`]). On [`Tunnel::stop`] the group gets `SIGTERM`, then
//! `SIGKILL` after [`TunnelOptions::stop_grace`]. If kds is killed outright,
//! the kernel kills the child.

pub mod log;
pub mod process;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::alert::{Alert, Alerts};
use crate::config::{Config, Secret, TunnelMode};
use crate::shutdown::{self, Shutdown, Trigger};
use log::LogEvent;

/// The tunnel's state, as `/api/health` and the live stream show it.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelState {
    Off,
    Starting,
    Connected,
    Reconnecting,
    Failed,
    NotInstalled,
}

impl TunnelState {
    /// The name used in JSON and on the terminal.
    pub fn as_str(self) -> &'static str {
        match self {
            TunnelState::Off => "off",
            TunnelState::Starting => "starting",
            TunnelState::Connected => "connected",
            TunnelState::Reconnecting => "reconnecting",
            TunnelState::Failed => "failed",
            TunnelState::NotInstalled => "not_installed",
        }
    }

    /// States in which klikit cannot reach the kitchen although it should.
    fn is_down(self) -> bool {
        matches!(self, TunnelState::Reconnecting | TunnelState::Failed | TunnelState::NotInstalled)
    }
}

/// State, public URL (when known) and the reason for a bad state. Serializes
/// to the `"tunnel"` object of `/api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelStatus {
    pub state: TunnelState,
    /// The public base URL (`https://…`); klikit posts to `<url>/webhooks/klikit`.
    pub url: Option<String>,
    pub reason: Option<String>,
}

impl TunnelStatus {
    fn new(state: TunnelState, url: Option<String>, reason: Option<String>) -> TunnelStatus {
        TunnelStatus { state, url, reason }
    }

    /// The status of a tunnel that is switched off.
    pub fn off() -> TunnelStatus {
        TunnelStatus::new(TunnelState::Off, None, None)
    }
}

/// The alert for a change from `prev` to `next`, if it deserves one: going
/// down from a working (or starting) tunnel, or coming up.
pub fn alert_for(prev: &TunnelStatus, next: &TunnelStatus) -> Option<Alert> {
    if next.state == TunnelState::Connected && (prev.state != TunnelState::Connected || prev.url != next.url) {
        return Some(Alert::TunnelUp { url: next.url.clone() });
    }
    if next.state.is_down() && !prev.state.is_down() {
        return Some(Alert::TunnelDown { reason: next.reason.clone().unwrap_or_else(|| next.state.as_str().to_string()) });
    }
    None
}

/// Capped exponential backoff: `base · 2^n`, at most `cap`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { base, cap: cap.max(base), attempt: 0 }
    }
    /// The next delay, and one step further along the schedule.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(30)).unwrap_or(u32::MAX);
        self.attempt = self.attempt.saturating_add(1);
        self.base.saturating_mul(factor).min(self.cap)
    }
    /// Back to `base`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// How the supervisor runs cloudflared. [`TunnelOptions::from_config`] gives
/// the production values; tests shorten the timings.
#[derive(Clone)]
pub struct TunnelOptions {
    pub mode: TunnelMode,
    /// The named tunnel's token (only in `named` mode).
    pub token: Option<Secret>,
    /// Configured program path; `None` looks for `cloudflared` on PATH.
    pub program: Option<PathBuf>,
    /// The intake listener's bound address: the only thing the tunnel exposes.
    pub target: SocketAddr,
    /// A named tunnel's public URL when configured (`public_url`); otherwise
    /// the hostname from cloudflared's ingress log line is used.
    pub public_url: Option<String>,
    /// First restart delay (default 1 s).
    pub backoff_base: Duration,
    /// Longest restart delay (default 60 s).
    pub backoff_cap: Duration,
    /// A child with no connection after this long is killed and restarted
    /// (default 60 s).
    pub connect_timeout: Duration,
    /// Time between `SIGTERM` and `SIGKILL` when stopping (default 5 s).
    pub stop_grace: Duration,
    /// Time between `/ready` polls (default 2 s).
    pub ready_interval: Duration,
    /// Metrics address; `None` takes a free loopback port at each start.
    pub metrics: Option<SocketAddr>,
}

impl std::fmt::Debug for TunnelOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunnelOptions")
            .field("mode", &self.mode)
            .field("token", &self.token.as_ref().map(|_| "****"))
            .field("program", &self.program)
            .field("target", &self.target)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl TunnelOptions {
    /// The options for `config`, pointing at the intake listener bound at `target`.
    pub fn from_config(config: &Config, target: SocketAddr) -> TunnelOptions {
        TunnelOptions {
            mode: config.tunnel,
            token: config.tunnel_token.clone(),
            program: config.cloudflared.clone(),
            target,
            public_url: config.public_url.clone(),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(60),
            stop_grace: Duration::from_secs(5),
            ready_interval: Duration::from_secs(2),
            metrics: None,
        }
    }
}

/// The running supervisor (or a switched-off one).
pub struct Tunnel {
    status: watch::Receiver<TunnelStatus>,
    stop: Trigger,
    task: Option<JoinHandle<()>>,
}

impl Tunnel {
    /// Starts supervising cloudflared per `options`; with mode `off` it only
    /// publishes `off`. Must be called inside a Tokio runtime.
    pub fn start(options: TunnelOptions, alerts: Alerts) -> Tunnel {
        let (status_tx, status) = watch::channel(TunnelStatus::off());
        let (stop, stop_rx) = shutdown::channel();
        let task = (options.mode != TunnelMode::Off).then(|| {
            tracing::info!(mode = ?options.mode, target = %options.target, "tunnel supervisor starting");
            tokio::spawn(Supervisor { options, alerts, status: status_tx, stop: stop_rx }.run())
        });
        Tunnel { status, stop, task }
    }

    /// A tunnel that is off.
    pub fn off() -> Tunnel {
        let (_, status) = watch::channel(TunnelStatus::off());
        let (stop, _) = shutdown::channel();
        Tunnel { status, stop, task: None }
    }

    /// The current status, and changes to it.
    pub fn status(&self) -> watch::Receiver<TunnelStatus> {
        self.status.clone()
    }

    /// Stops the child (SIGTERM, then SIGKILL after the grace time) and the
    /// supervisor. Returns once the child is reaped.
    pub async fn stop(mut self) {
        self.stop.fire();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// How one child's run ended.
enum RunEnd {
    /// kds is stopping.
    Stopped,
    /// The child exited or was killed for hanging.
    Ended { reason: String, connected_for: Duration },
}

struct Supervisor {
    options: TunnelOptions,
    alerts: Alerts,
    status: watch::Sender<TunnelStatus>,
    stop: Shutdown,
}

impl Supervisor {
    async fn run(self) {
        let mut backoff = Backoff::new(self.options.backoff_base, self.options.backoff_cap);
        self.publish(TunnelStatus::new(TunnelState::Starting, None, None));
        loop {
            let path_var = std::env::var_os("PATH");
            let Some(program) = process::find_program(self.options.program.as_deref(), path_var.as_deref()) else {
                let reason = match &self.options.program {
                    Some(p) => format!("cloudflared not found at {} (check KDS_CLOUDFLARED or `cloudflared` in config.toml)", p.display()),
                    None => "cloudflared not found on PATH: install it (README, \"Going live\") or set KDS_CLOUDFLARED".to_string(),
                };
                self.publish(TunnelStatus::new(TunnelState::NotInstalled, None, Some(reason)));
                if self.pause(self.options.backoff_cap).await {
                    break;
                }
                continue;
            };
            let end = match self.spawn(&program).await {
                Ok((child, metrics)) => self.watch_child(child, metrics).await,
                Err(reason) => RunEnd::Ended { reason, connected_for: Duration::ZERO },
            };
            let (reason, connected_for) = match end {
                RunEnd::Stopped => break,
                RunEnd::Ended { reason, connected_for } => (reason, connected_for),
            };
            if connected_for >= self.options.backoff_cap {
                backoff.reset();
            }
            let delay = backoff.next_delay();
            let was_connected = connected_for > Duration::ZERO || self.status.borrow().state == TunnelState::Reconnecting;
            let state = if was_connected { TunnelState::Reconnecting } else { TunnelState::Failed };
            let reason = format!("{reason}; restarting in {}", human(delay));
            tracing::warn!(%reason, "cloudflared stopped");
            self.publish(TunnelStatus::new(state, self.stable_url(), Some(reason)));
            if self.pause(delay).await {
                break;
            }
        }
        self.publish(TunnelStatus::off());
    }

    /// Waits `delay`; true when kds is stopping.
    async fn pause(&self, delay: Duration) -> bool {
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.wait() => {}
        }
        self.stop.is_stopping()
    }

    async fn spawn(&self, program: &std::path::Path) -> Result<(tokio::process::Child, SocketAddr), String> {
        let metrics = match self.options.metrics {
            Some(m) => m,
            None => process::free_loopback_port().map_err(|e| format!("no free port for cloudflared's metrics: {e}"))?,
        };
        let args = process::arguments(self.options.mode, self.options.target, metrics);
        let token = if self.options.mode == TunnelMode::Named { self.options.token.as_ref() } else { None };
        let command = process::command(program, &args, token, self.options.stop_grace);
        let child = process::spawn(command).await.map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        tracing::info!(program = %program.display(), ?args, pid = child.id(), "cloudflared started");
        Ok((child, metrics))
    }

    /// Watches one child until it exits, hangs, or kds stops.
    async fn watch_child(&self, mut child: tokio::process::Child, metrics: SocketAddr) -> RunEnd {
        let (lines_tx, mut lines) = mpsc::channel::<String>(64);
        if let Some(out) = child.stderr.take() {
            tokio::spawn(forward_lines(out, lines_tx.clone()));
        }
        if let Some(out) = child.stdout.take() {
            tokio::spawn(forward_lines(out, lines_tx.clone()));
        }
        drop(lines_tx);
        let mut run = Run::default();
        let mut stop = self.stop.clone();
        let mut ready = tokio::time::interval(self.options.ready_interval);
        ready.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let client = reqwest::Client::builder().timeout(Duration::from_secs(1)).no_proxy().build().ok();
        let hang_deadline = tokio::time::sleep(self.options.connect_timeout);
        tokio::pin!(hang_deadline);
        let mut lines_open = true;

        let exit = loop {
            tokio::select! {
                line = lines.recv(), if lines_open => match line {
                    Some(line) => self.on_line(&line, &mut run),
                    None => lines_open = false,
                },
                status = child.wait() => break Some(status),
                _ = ready.tick() => {
                    if let Some(client) = &client {
                        if let Some(up) = poll_ready(client, metrics).await {
                            run.ready = Some(up);
                            self.update(&mut run);
                        }
                    }
                },
                _ = &mut hang_deadline, if run.connected_since.is_none() && run.ever_connected.is_zero() => break None,
                _ = stop.wait() => {
                    process::terminate(&mut child, self.options.stop_grace).await;
                    return RunEnd::Stopped;
                }
            }
        };
        let connected_for = run.connected_total();
        let reason = match exit {
            None => {
                process::terminate(&mut child, self.options.stop_grace).await;
                format!("no connection to Cloudflare within {}", human(self.options.connect_timeout))
            }
            Some(status) => {
                // The last lines often say why; they may still be in the pipe.
                let drain = async {
                    while let Some(line) = lines.recv().await {
                        self.on_line(&line, &mut run);
                    }
                };
                let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
                let status = match status {
                    Ok(s) => s.to_string(),
                    Err(e) => format!("unknown status ({e})"),
                };
                match &run.last_error {
                    Some(err) => format!("cloudflared exited ({status}): {err}"),
                    None => format!("cloudflared exited ({status})"),
                }
            }
        };
        RunEnd::Ended { reason, connected_for }
    }

    fn on_line(&self, line: &str, run: &mut Run) {
        let line = self.redact(line);
        tracing::debug!(target: "kds::tunnel::cloudflared", "{line}");
        match log::parse_line(&line) {
            Some(LogEvent::QuickUrl(url)) if self.options.mode == TunnelMode::Quick => run.url = Some(url),
            Some(LogEvent::Hostname(host)) if self.options.mode == TunnelMode::Named => run.url = Some(format!("https://{host}")),
            Some(LogEvent::Registered { conn_index }) => {
                run.connections.insert(conn_index.unwrap_or(u32::MAX));
                run.ready = None;
            }
            Some(LogEvent::Unregistered { conn_index }) => {
                match conn_index {
                    Some(i) => run.connections.remove(&i),
                    None => run.connections.pop_first().is_some(),
                };
                run.ready = None;
                if run.connections.is_empty() {
                    run.last_error.get_or_insert_with(|| "lost the connection to Cloudflare".into());
                }
            }
            Some(LogEvent::Error(message)) => {
                tracing::warn!(target: "kds::tunnel::cloudflared", "{message}");
                run.last_error = Some(message);
            }
            _ => return,
        }
        self.update(run);
    }

    /// Publishes the state this run's signals add up to.
    fn update(&self, run: &mut Run) {
        let connected = run.ready.unwrap_or(!run.connections.is_empty());
        let now = Instant::now();
        match (connected, run.connected_since) {
            (true, None) => run.connected_since = Some(now),
            (false, Some(since)) => {
                run.ever_connected += now - since;
                run.connected_since = None;
            }
            _ => {}
        }
        let url = run.url.clone().or_else(|| self.stable_url());
        let current = self.status.borrow().clone();
        let next = if connected {
            TunnelStatus::new(TunnelState::Connected, url, None)
        } else if run.connected_since.is_some() || !run.ever_connected.is_zero() || current.state == TunnelState::Reconnecting {
            let reason = run.last_error.clone().unwrap_or_else(|| "cloudflared reports no ready connection".into());
            TunnelStatus::new(TunnelState::Reconnecting, url, Some(reason))
        } else {
            // Not connected yet in this run: keep `failed` (and its reason)
            // from earlier runs rather than hide it behind `starting`.
            return;
        };
        self.publish(next);
    }

    /// A URL that survives restarts: the configured public URL of a named tunnel.
    fn stable_url(&self) -> Option<String> {
        match self.options.mode {
            TunnelMode::Named => {
                let from_log = self.status.borrow().url.clone();
                self.options.public_url.clone().or(from_log)
            }
            _ => None,
        }
    }

    fn publish(&self, next: TunnelStatus) {
        let prev = self.status.borrow().clone();
        if prev == next {
            return;
        }
        if let Some(alert) = alert_for(&prev, &next) {
            self.alerts.raise(alert);
        }
        tracing::info!(state = next.state.as_str(), url = next.url.as_deref(), reason = next.reason.as_deref(), "tunnel");
        let _ = self.status.send(next);
    }

    /// `line` with every occurrence of the token masked.
    fn redact(&self, line: &str) -> String {
        match &self.options.token {
            Some(token) if line.contains(token.expose()) => line.replace(token.expose(), "****"),
            _ => line.to_string(),
        }
    }
}

/// What one child's run has shown so far.
#[derive(Default)]
struct Run {
    url: Option<String>,
    connections: std::collections::BTreeSet<u32>,
    /// The last `/ready` answer since the last log event about connections.
    ready: Option<bool>,
    last_error: Option<String>,
    connected_since: Option<Instant>,
    ever_connected: Duration,
}

impl Run {
    fn connected_total(&self) -> Duration {
        self.ever_connected + self.connected_since.map(|s| s.elapsed()).unwrap_or_default()
    }
}

/// `GET /ready`: `Some(true)` for 200 with ready connections, `Some(false)`
/// for any other answer, `None` when nothing answers.
async fn poll_ready(client: &reqwest::Client, addr: SocketAddr) -> Option<bool> {
    let res = client.get(format!("http://{addr}/ready")).send().await.ok()?;
    if !res.status().is_success() {
        return Some(false);
    }
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    Some(body.get("readyConnections").and_then(serde_json::Value::as_u64).map(|n| n > 0).unwrap_or(true))
}

async fn forward_lines(out: impl tokio::io::AsyncRead + Unpin, tx: mpsc::Sender<String>) {
    let mut lines = BufReader::new(out).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if tx.send(line).await.is_err() {
            break;
        }
    }
}

/// "250 ms", "4 s".
fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let secs: Vec<u64> = (0..9).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60], "the documented schedule");
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1), "a long healthy run starts the schedule over");
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(10));
        assert_eq!(b.next_delay(), Duration::from_millis(100), "a cap below the base is raised to the base");
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..100 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), Duration::from_secs(60), "many attempts never overflow");
    }

    #[test]
    fn alerts_on_going_down_and_coming_up_only() {
        let s = |state, url: Option<&str>, reason: Option<&str>| TunnelStatus::new(state, url.map(Into::into), reason.map(Into::into));
        let starting = s(TunnelState::Starting, None, None);
        let up = s(TunnelState::Connected, Some("https://a.trycloudflare.com"), None);
        let lost = s(TunnelState::Reconnecting, None, Some("exited"));
        let failed = s(TunnelState::Failed, None, Some("bad token"));
        assert_eq!(alert_for(&starting, &up), Some(Alert::TunnelUp { url: Some("https://a.trycloudflare.com".into()) }));
        assert_eq!(alert_for(&up, &lost), Some(Alert::TunnelDown { reason: "exited".into() }));
        assert_eq!(alert_for(&starting, &failed), Some(Alert::TunnelDown { reason: "bad token".into() }), "never coming up is down too");
        assert_eq!(alert_for(&lost, &failed), None, "still down: no second alert");
        assert_eq!(alert_for(&failed, &s(TunnelState::Failed, None, Some("again"))), None);
        assert_eq!(alert_for(&up, &up), None);
        let new_url = s(TunnelState::Connected, Some("https://b.trycloudflare.com"), None);
        assert!(matches!(alert_for(&up, &new_url), Some(Alert::TunnelUp { .. })), "a new quick URL must be noticed: klikit has the old one");
        assert_eq!(alert_for(&TunnelStatus::off(), &s(TunnelState::NotInstalled, None, Some("x"))), Some(Alert::TunnelDown { reason: "x".into() }));
    }

    #[test]
    fn status_serializes_to_the_health_contract_and_options_hide_the_token() {
        let v = serde_json::to_value(TunnelStatus::new(TunnelState::NotInstalled, None, Some("no".into()))).unwrap();
        assert_eq!(v, serde_json::json!({"state": "not_installed", "url": null, "reason": "no"}));
        let mut options = TunnelOptions::from_config(&Config::for_data_dir("/tmp"), "127.0.0.1:1".parse().unwrap());
        options.token = Secret::new("tok-SECRET-123");
        assert!(!format!("{options:?}").contains("tok-SECRET-123"), "Debug must mask the token");
    }
}
