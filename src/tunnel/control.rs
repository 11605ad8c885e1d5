//! Changing the tunnel while kds runs: what the tunnel is asked to be
//! ([`TunnelSettings`]: mode, token, public URL), the handle Settings
//! changes it through ([`TunnelControl`]), and the task that follows it,
//! running one supervisor per setting and replacing it on each change.
//!
//! Owns the switch-over: the old supervisor is stopped (its child gets
//! `SIGTERM`, then `SIGKILL`, and is reaped) before the new one starts, so
//! two `cloudflared` never run at once. What a supervisor does is
//! `supervisor`'s. It never logs the token: [`TunnelSettings`]'s `Debug`
//! masks it through [`Secret`].

use std::sync::Arc;

use tokio::sync::watch;

use super::supervisor::Supervisor;
use super::{TunnelOptions, TunnelStatus};
use crate::alert::Alerts;
use crate::config::{Secret, TunnelMode};
use crate::shutdown::{self, Shutdown};

/// What the tunnel is asked to be: from the configuration at start, then
/// from Settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TunnelSettings {
    pub mode: TunnelMode,
    /// The named tunnel's token (used only in `named` mode).
    pub token: Option<Secret>,
    /// The public base URL: a named tunnel's hostname, or the kitchen's own
    /// proxy in `off` mode.
    pub public_url: Option<String>,
}

impl TunnelSettings {
    /// The settings `options` were made with.
    pub fn of(options: &TunnelOptions) -> TunnelSettings {
        TunnelSettings { mode: options.mode, token: options.token.clone(), public_url: options.public_url.clone() }
    }
}

/// The handle that changes the tunnel while kds runs; cheap to clone.
#[derive(Clone)]
pub struct TunnelControl {
    wanted: Arc<watch::Sender<TunnelSettings>>,
}

impl TunnelControl {
    pub(super) fn new(initial: TunnelSettings) -> (TunnelControl, watch::Receiver<TunnelSettings>) {
        let (tx, rx) = watch::channel(initial);
        (TunnelControl { wanted: Arc::new(tx) }, rx)
    }

    /// What the tunnel is asked to be now.
    pub fn current(&self) -> TunnelSettings {
        self.wanted.borrow().clone()
    }

    /// Asks for `settings`: a change of mode, token or URL stops the
    /// running `cloudflared` (if any) and starts what the new settings need.
    /// The same settings again change nothing.
    pub fn set(&self, settings: TunnelSettings) {
        self.wanted.send_if_modified(|now| {
            let changed = *now != settings;
            if changed {
                tracing::info!(mode = ?settings.mode, public_url = settings.public_url.as_deref(), token = settings.token.is_some(), "tunnel settings changed: applying them now");
                *now = settings;
            }
            changed
        });
    }
}

/// Follows `wanted` until `stop` fires: a supervisor for each setting that
/// is not `off`, all publishing on `status`.
pub(super) async fn follow(base: TunnelOptions, alerts: Alerts, status: Arc<watch::Sender<TunnelStatus>>, mut wanted: watch::Receiver<TunnelSettings>, mut stop: Shutdown) {
    loop {
        let settings = wanted.borrow_and_update().clone();
        let options = TunnelOptions { mode: settings.mode, token: settings.token, public_url: settings.public_url, ..base.clone() };
        let (child_stop, child_stop_rx) = shutdown::channel();
        let task = match options.mode {
            TunnelMode::Off => {
                status.send_replace(TunnelStatus::off());
                None
            }
            mode => {
                tracing::info!(?mode, target = %options.target, "tunnel supervisor starting");
                Some(tokio::spawn(Supervisor::new(options, alerts.clone(), status.clone(), child_stop_rx).run()))
            }
        };
        let again = tokio::select! {
            changed = wanted.changed() => changed.is_ok(),
            _ = stop.wait() => false,
        };
        child_stop.fire();
        if let Some(task) = task {
            let _ = task.await;
        }
        if !again {
            status.send_replace(TunnelStatus::off());
            return;
        }
    }
}
