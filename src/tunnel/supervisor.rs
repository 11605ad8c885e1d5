//! The supervisor: the task that runs `cloudflared`, watches it, restarts it on the backoff schedule and publishes its status.
//!
//! Owns the child's lifetime within kds (spawn, watch, terminate, restart)
//! and the side effects of a status change: the watch channel, the alert,
//! the log line. What a signal *means* is [`super::status::observe`]'s to
//! say; how long to wait is [`Backoff`]'s.
//!
//! It never touches tickets or the store; the token appears only in the
//! child's environment and is masked in every log line it forwards.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, watch};

use super::backoff::Backoff;
use super::log::{self, LogEvent};
use super::process;
use super::status::{self, Change, Context, Observed, Run, TunnelState, TunnelStatus};
use super::TunnelOptions;
use crate::alert::Alerts;
use crate::config::TunnelMode;
use crate::shutdown::Shutdown;

/// How one child's run ended.
enum RunEnd {
    /// kds is stopping.
    Stopped,
    /// The child exited or was killed for hanging.
    Ended { reason: String, connected_for: Duration },
}

pub(super) struct Supervisor {
    options: TunnelOptions,
    alerts: Alerts,
    /// Shared with the next supervisor after a settings change.
    status: Arc<watch::Sender<TunnelStatus>>,
    stop: Shutdown,
}

impl Supervisor {
    pub(super) fn new(options: TunnelOptions, alerts: Alerts, status: Arc<watch::Sender<TunnelStatus>>, stop: Shutdown) -> Supervisor {
        Supervisor { options, alerts, status, stop }
    }

    pub(super) async fn run(self) {
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
                            self.observe(&mut run, Observed::Ready(up));
                        }
                    }
                },
                _ = &mut hang_deadline, if run.never_connected() => break None,
                _ = stop.wait() => {
                    process::terminate(&mut child, self.options.stop_grace).await;
                    return RunEnd::Stopped;
                }
            }
        };
        let connected_for = run.connected_total(Instant::now());
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
        let Some(event) = log::parse_line(&line) else { return };
        if let LogEvent::Error(message) = &event {
            tracing::warn!(target: "kds::tunnel::cloudflared", "{message}");
        }
        self.observe(run, Observed::Log(event));
    }

    /// Folds one observation into this run's record and publishes what it changes.
    fn observe(&self, run: &mut Run, seen: Observed) {
        let prev = self.status.borrow().clone();
        if let Some(change) = status::observe(&prev, run, seen, Instant::now(), self.context()) {
            self.apply(change);
        }
    }

    fn context(&self) -> Context<'_> {
        Context { mode: self.options.mode, public_url: self.options.public_url.as_deref() }
    }

    /// A URL that survives restarts: the configured public URL of a named tunnel.
    fn stable_url(&self) -> Option<String> {
        status::stable_url(&self.status.borrow(), self.context())
    }

    fn publish(&self, next: TunnelStatus) {
        let prev = self.status.borrow().clone();
        if let Some(change) = status::transition(&prev, next) {
            self.apply(change);
        }
    }

    /// Raises the change's alert, logs it and sends the new status.
    fn apply(&self, change: Change) {
        if let Some(alert) = change.alert {
            self.alerts.raise(alert);
        }
        let next = change.status;
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

