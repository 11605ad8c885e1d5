//! The tunnel: the handle kds holds on the supervised `cloudflared` child that makes the intake listener reachable from klikit.
//!
//! This file owns [`TunnelOptions`] and the [`Tunnel`] handle (start, status,
//! stop). The parts: [`status`] (what the child's signals add up to, and
//! which changes raise [`crate::alert::Alert::TunnelDown`] /
//! [`crate::alert::Alert::TunnelUp`]; pure), [`backoff`] (the restart
//! schedule), `control` (the settings Settings change while kds runs, and
//! the task that replaces the supervisor on each change), `supervisor` (the task that runs, watches and restarts the
//! child and publishes its [`TunnelStatus`] through a `tokio::sync::watch`
//! channel), [`process`] (spawning and killing) and [`log`] (reading its log
//! lines). It never
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

pub mod backoff;
mod control;
pub mod install;
pub mod log;
pub mod process;
pub mod status;
mod supervisor;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::alert::Alerts;
use crate::config::{Config, Secret, TunnelMode};
use crate::shutdown::{self, Trigger};
pub use backoff::Backoff;
pub use control::{TunnelControl, TunnelSettings};
pub use status::{alert_for, TunnelState, TunnelStatus};

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

/// The running tunnel: the task that follows the tunnel settings and runs
/// a supervisor for each (or nothing, while they say `off`).
pub struct Tunnel {
    status: watch::Receiver<TunnelStatus>,
    control: TunnelControl,
    stop: Trigger,
    task: Option<JoinHandle<()>>,
}

impl Tunnel {
    /// Starts following the settings in `options` (and every change made
    /// through [`Tunnel::control`]); with mode `off` it only publishes `off`
    /// until a change. Must be called inside a Tokio runtime.
    pub fn start(options: TunnelOptions, alerts: Alerts) -> Tunnel {
        let (status_tx, status) = watch::channel(TunnelStatus::off());
        let (stop, stop_rx) = shutdown::channel();
        let (control, wanted) = TunnelControl::new(TunnelSettings::of(&options));
        let task = tokio::spawn(control::follow(options, alerts, std::sync::Arc::new(status_tx), wanted, stop_rx));
        Tunnel { status, control, stop, task: Some(task) }
    }

    /// A tunnel that is off and stays off (changes go nowhere).
    pub fn off() -> Tunnel {
        let (_, status) = watch::channel(TunnelStatus::off());
        let (stop, _) = shutdown::channel();
        let (control, _) = TunnelControl::new(TunnelSettings::default());
        Tunnel { status, control, stop, task: None }
    }

    /// The handle Settings changes the tunnel through.
    pub fn control(&self) -> TunnelControl {
        self.control.clone()
    }

    /// The current status, and changes to it.
    pub fn status(&self) -> watch::Receiver<TunnelStatus> {
        self.status.clone()
    }

    /// Stops the child (SIGTERM, then SIGKILL after the grace time) and the
    /// supervisor, and stops following changes. Returns once the child is reaped.
    pub async fn stop(mut self) {
        self.stop.fire();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_hide_the_token() {
        let mut options = TunnelOptions::from_config(&Config::for_data_dir("/tmp"), "127.0.0.1:1".parse().unwrap());
        options.token = Secret::new("tok-SECRET-123");
        assert!(!format!("{options:?}").contains("tok-SECRET-123"), "Debug must mask the token");
    }
}
