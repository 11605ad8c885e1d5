//! The tunnel's status and alert policy: what a child's log lines and `/ready` answers add up to, as a pure function.
//!
//! Owns [`TunnelState`] and [`TunnelStatus`] (the `"tunnel"` object of
//! `/api/health`), the [`Run`] record of what one child has shown, the
//! update [`observe`] (previous status + one observation + the time →
//! the new status and any alert), and [`alert_for`], which says which
//! changes deserve an alert.
//!
//! Pure: time is passed in; it never spawns, polls, logs or sends.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::log::LogEvent;
use crate::alert::Alert;
use crate::config::TunnelMode;

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
    pub(super) fn new(state: TunnelState, url: Option<String>, reason: Option<String>) -> TunnelStatus {
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

/// A new status to publish, and the alert it raises (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: TunnelStatus,
    pub alert: Option<Alert>,
}

/// The change from `prev` to `next`; `None` when nothing changed.
pub fn transition(prev: &TunnelStatus, next: TunnelStatus) -> Option<Change> {
    (*prev != next).then(|| Change { alert: alert_for(prev, &next), status: next })
}

/// One thing the supervisor saw about the running child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// A log line that said something ([`super::log::parse_line`]).
    Log(LogEvent),
    /// `/ready` answered: ready connections, or not.
    Ready(bool),
}

/// Which tunnel this is: what decides the URL a status carries.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub mode: TunnelMode,
    /// A named tunnel's configured public URL.
    pub public_url: Option<&'a str>,
}

/// What one child's run has shown so far.
#[derive(Debug, Default, Clone)]
pub struct Run {
    pub url: Option<String>,
    connections: BTreeSet<u32>,
    /// The last `/ready` answer since the last log event about connections.
    ready: Option<bool>,
    pub last_error: Option<String>,
    connected_since: Option<Instant>,
    ever_connected: Duration,
}

impl Run {
    /// How long this run has been connected in all, as of `now`.
    pub fn connected_total(&self, now: Instant) -> Duration {
        self.ever_connected + self.connected_since.map(|s| now.saturating_duration_since(s)).unwrap_or_default()
    }

    /// True until this run has been connected at all (the hang timer runs).
    pub fn never_connected(&self) -> bool {
        self.connected_since.is_none() && self.ever_connected.is_zero()
    }
}

/// The status update: folds `seen` into `run` at `now` and answers the
/// change from `prev` it makes, if any. Signals the mode does not use (a
/// quick URL on a named tunnel) change nothing; before this run's first
/// connection, `prev` (a `failed` and its reason from an earlier run) stays.
pub fn observe(prev: &TunnelStatus, run: &mut Run, seen: Observed, now: Instant, ctx: Context<'_>) -> Option<Change> {
    match seen {
        Observed::Ready(up) => run.ready = Some(up),
        Observed::Log(LogEvent::QuickUrl(url)) if ctx.mode == TunnelMode::Quick => run.url = Some(url),
        Observed::Log(LogEvent::Hostname(host)) if ctx.mode == TunnelMode::Named => run.url = Some(format!("https://{host}")),
        Observed::Log(LogEvent::Registered { conn_index }) => {
            run.connections.insert(conn_index.unwrap_or(u32::MAX));
            run.ready = None;
        }
        Observed::Log(LogEvent::Unregistered { conn_index }) => {
            match conn_index {
                Some(i) => run.connections.remove(&i),
                None => run.connections.pop_first().is_some(),
            };
            run.ready = None;
            if run.connections.is_empty() {
                run.last_error.get_or_insert_with(|| "lost the connection to Cloudflare".into());
            }
        }
        Observed::Log(LogEvent::Error(message)) => run.last_error = Some(message),
        Observed::Log(_) => return None,
    }
    let connected = run.ready.unwrap_or(!run.connections.is_empty());
    match (connected, run.connected_since) {
        (true, None) => run.connected_since = Some(now),
        (false, Some(since)) => {
            run.ever_connected += now.saturating_duration_since(since);
            run.connected_since = None;
        }
        _ => {}
    }
    let url = run.url.clone().or_else(|| stable_url(prev, ctx));
    let next = if connected {
        TunnelStatus::new(TunnelState::Connected, url, None)
    } else if run.connected_since.is_some() || !run.ever_connected.is_zero() || prev.state == TunnelState::Reconnecting {
        let reason = run.last_error.clone().unwrap_or_else(|| "cloudflared reports no ready connection".into());
        TunnelStatus::new(TunnelState::Reconnecting, url, Some(reason))
    } else {
        return None;
    };
    transition(prev, next)
}

/// A URL that survives restarts: a named tunnel's configured public URL,
/// else the one its log gave before (`prev`'s).
pub fn stable_url(prev: &TunnelStatus, ctx: Context<'_>) -> Option<String> {
    match ctx.mode {
        TunnelMode::Named => ctx.public_url.map(str::to_string).or_else(|| prev.url.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Context<'static> = Context { mode: TunnelMode::Quick, public_url: None };

    fn s(state: TunnelState, url: Option<&str>, reason: Option<&str>) -> TunnelStatus {
        TunnelStatus::new(state, url.map(Into::into), reason.map(Into::into))
    }

    fn starting() -> TunnelStatus {
        s(TunnelState::Starting, None, None)
    }

    /// Applies `seen` like the supervisor does: publish what changed.
    fn feed(status: &mut TunnelStatus, run: &mut Run, seen: Observed, now: Instant, ctx: Context<'_>) -> Option<Change> {
        let change = observe(status, run, seen, now, ctx);
        if let Some(c) = &change {
            *status = c.status.clone();
        }
        change
    }

    #[test]
    fn alerts_on_going_down_and_coming_up_only() {
        let up = s(TunnelState::Connected, Some("https://a.trycloudflare.com"), None);
        let lost = s(TunnelState::Reconnecting, None, Some("exited"));
        let failed = s(TunnelState::Failed, None, Some("bad token"));
        assert_eq!(alert_for(&starting(), &up), Some(Alert::TunnelUp { url: Some("https://a.trycloudflare.com".into()) }));
        assert_eq!(alert_for(&up, &lost), Some(Alert::TunnelDown { reason: "exited".into() }));
        assert_eq!(alert_for(&starting(), &failed), Some(Alert::TunnelDown { reason: "bad token".into() }), "never coming up is down too");
        assert_eq!(alert_for(&lost, &failed), None, "still down: no second alert");
        assert_eq!(alert_for(&failed, &s(TunnelState::Failed, None, Some("again"))), None);
        assert_eq!(alert_for(&up, &up), None);
        let new_url = s(TunnelState::Connected, Some("https://b.trycloudflare.com"), None);
        assert!(matches!(alert_for(&up, &new_url), Some(Alert::TunnelUp { .. })), "a new quick URL must be noticed: klikit has the old one");
        assert_eq!(alert_for(&TunnelStatus::off(), &s(TunnelState::NotInstalled, None, Some("x"))), Some(Alert::TunnelDown { reason: "x".into() }));
    }

    #[test]
    fn status_serializes_to_the_health_contract() {
        let v = serde_json::to_value(TunnelStatus::new(TunnelState::NotInstalled, None, Some("no".into()))).unwrap();
        assert_eq!(v, serde_json::json!({"state": "not_installed", "url": null, "reason": "no"}));
    }

    #[test]
    fn a_quick_tunnel_connects_with_its_url_and_alerts_once() {
        let (mut status, mut run, t0) = (starting(), Run::default(), Instant::now());
        let url = "https://buffalo.trycloudflare.com";
        assert_eq!(feed(&mut status, &mut run, Observed::Log(LogEvent::QuickUrl(url.into())), t0, QUICK), None, "a URL alone is not a connection");
        let c = feed(&mut status, &mut run, Observed::Log(LogEvent::Registered { conn_index: Some(0) }), t0, QUICK).expect("the first connection is news");
        assert_eq!(c.status, s(TunnelState::Connected, Some(url), None));
        assert_eq!(c.alert, Some(Alert::TunnelUp { url: Some(url.into()) }));
        let again = feed(&mut status, &mut run, Observed::Log(LogEvent::Registered { conn_index: Some(1) }), t0, QUICK);
        assert_eq!(again, None, "a second connection changes nothing a kitchen sees");
        assert_eq!(feed(&mut status, &mut run, Observed::Ready(true), t0, QUICK), None, "/ready agreeing changes nothing");
    }

    #[test]
    fn losing_every_connection_is_reconnecting_with_a_reason_and_the_time_counts() {
        let (mut status, mut run, t0) = (starting(), Run::default(), Instant::now());
        feed(&mut status, &mut run, Observed::Log(LogEvent::Registered { conn_index: Some(0) }), t0, QUICK);
        feed(&mut status, &mut run, Observed::Log(LogEvent::Registered { conn_index: Some(1) }), t0, QUICK);
        let t1 = t0 + Duration::from_secs(30);
        assert_eq!(feed(&mut status, &mut run, Observed::Log(LogEvent::Unregistered { conn_index: Some(0) }), t1, QUICK), None, "one of two lost: still connected");
        let c = feed(&mut status, &mut run, Observed::Log(LogEvent::Unregistered { conn_index: Some(1) }), t1, QUICK).expect("the last one lost is news");
        assert_eq!(c.status.state, TunnelState::Reconnecting);
        assert_eq!(c.status.reason.as_deref(), Some("lost the connection to Cloudflare"));
        assert_eq!(c.alert, Some(Alert::TunnelDown { reason: "lost the connection to Cloudflare".into() }));
        assert_eq!(run.connected_total(t1 + Duration::from_secs(100)), Duration::from_secs(30), "time connected stops counting when connected stops");
        assert!(!run.never_connected());
    }

    #[test]
    fn an_error_before_any_connection_leaves_an_earlier_failure_in_place() {
        let failed = s(TunnelState::Failed, None, Some("cloudflared exited (exit status: 1): bad token"));
        let (mut status, mut run, t0) = (failed.clone(), Run::default(), Instant::now());
        let change = feed(&mut status, &mut run, Observed::Log(LogEvent::Error("dial tcp: refused".into())), t0, QUICK);
        assert_eq!(change, None, "not connected in this run yet: keep the earlier failure rather than hide it");
        assert_eq!(status, failed);
        assert_eq!(run.last_error.as_deref(), Some("dial tcp: refused"), "the error is kept to explain this run's end");
        assert!(run.never_connected(), "the hang timer still runs");
    }

    #[test]
    fn ready_overrides_the_log_until_the_log_says_more() {
        let (mut status, mut run, t0) = (starting(), Run::default(), Instant::now());
        feed(&mut status, &mut run, Observed::Log(LogEvent::Registered { conn_index: Some(0) }), t0, QUICK);
        let c = feed(&mut status, &mut run, Observed::Ready(false), t0 + Duration::from_secs(2), QUICK).expect("/ready saying no is news");
        assert_eq!(c.status, s(TunnelState::Reconnecting, None, Some("cloudflared reports no ready connection")));
        let c = feed(&mut status, &mut run, Observed::Log(LogEvent::Registered { conn_index: Some(1) }), t0 + Duration::from_secs(3), QUICK)
            .expect("a new registration after /ready said no is news");
        assert_eq!(c.status.state, TunnelState::Connected, "the latest signal wins");
    }

    #[test]
    fn a_named_tunnel_keeps_its_configured_url_and_ignores_quick_urls() {
        let named = Context { mode: TunnelMode::Named, public_url: Some("https://orders.example.com") };
        let (mut status, mut run, t0) = (starting(), Run::default(), Instant::now());
        assert_eq!(feed(&mut status, &mut run, Observed::Log(LogEvent::QuickUrl("https://x.trycloudflare.com".into())), t0, named), None);
        let c = feed(&mut status, &mut run, Observed::Log(LogEvent::Registered { conn_index: None }), t0, named).unwrap();
        assert_eq!(c.status.url.as_deref(), Some("https://orders.example.com"), "the configured URL, not a quick one");
        let from_log = Context { mode: TunnelMode::Named, public_url: None };
        let mut run = Run::default();
        let c = observe(&starting(), &mut run, Observed::Log(LogEvent::Hostname("kds.example.com".into())), t0, from_log);
        assert_eq!(c, None, "a hostname alone is not a connection");
        assert_eq!(run.url.as_deref(), Some("https://kds.example.com"));
        assert_eq!(stable_url(&status, from_log), Some("https://orders.example.com".into()), "a named tunnel's last URL survives a restart");
        assert_eq!(stable_url(&status, QUICK), None, "a quick tunnel's URL dies with its child");
    }

    #[test]
    fn a_transition_to_the_same_status_is_no_change() {
        assert_eq!(transition(&starting(), starting()), None);
        let c = transition(&starting(), TunnelStatus::off()).expect("a different status");
        assert_eq!((c.status, c.alert), (TunnelStatus::off(), None), "switching off is no alert");
    }
}
