//! `kds status`: the `/api/health` report as a few lines of text for someone
//! on a terminal: receiver, secret, tunnel and URL, last delivery and how long
//! ago.
//!
//! Pure: it renders the typed health it is given, with the time passed in.
//! It never fetches anything and never shows a secret (health carries none).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::api::wire::Health;
use crate::tunnel::TunnelState;

/// Renders a health report (`GET /api/health`) as of `now`.
pub fn render(health: &Health, now: OffsetDateTime) -> String {
    let intake = &health.intake;
    let tunnel = &health.tunnel;
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<15}{value}\n"));

    let secret = intake.secret_configured;
    let listen = format!(" on {}", intake.listen);
    line("receiver", if secret { format!("ready{listen}") } else { format!("NOT READY{listen}: deliveries are refused (503)") });
    line("secret", if secret { "configured".into() } else { "MISSING: set KLIKIT_WEBHOOK_SECRET".into() });

    let state = tunnel.state;
    let reason = tunnel.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    line("tunnel", format!("{}{reason}", state.as_str().replace('_', " ")));
    match tunnel.url.as_deref() {
        Some(url) => line("public URL", format!("{url}/webhooks/klikit")),
        None if state == TunnelState::Off => line("public URL", "none from kds (tunnel off)".into()),
        None if matches!(state, TunnelState::Starting | TunnelState::Reconnecting) => line("public URL", "not known yet".into()),
        None => line("public URL", "none".into()),
    }

    let received = intake.received;
    match intake.last_received_at {
        Some(at) => line("last delivery", format!("{} ({} ago); {received} received since start", at.format(&Rfc3339).unwrap_or_default(), ago(now - at))),
        None => line("last delivery", format!("none yet; {received} received since start")),
    }
    let refused = intake.invalid_signature;
    if refused > 0 {
        line("bad signature", format!("{refused} refused since start: the secret klikit uses differs from kds's"));
    }
    line("applier", format!("{} pending", health.applier.pending));
    out
}

/// "42 s", "5 min", "3 h 20 min", "2 d".
fn ago(d: time::Duration) -> String {
    let s = d.whole_seconds().max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use time::macros::datetime;

    /// A health report: `parts` over a quiet, complete one.
    fn health(parts: Value) -> Health {
        let mut full = json!({
            "intake": {"secret_configured": false, "listen": "127.0.0.1:8080", "received": 0, "duplicates": 0, "invalid_signature": 0,
                       "unprocessable": 0, "store_unavailable": 0, "last_received_at": null},
            "store": {"status": "ok", "deliveries": 0, "unprocessable": 0},
            "applier": {"pending": 0, "lag_ms": 0},
            "tunnel": {"state": "off", "url": null, "reason": null, "mode": "off"},
        });
        for (part, fields) in parts.as_object().unwrap() {
            for (k, v) in fields.as_object().unwrap() {
                full[part][k] = v.clone();
            }
        }
        serde_json::from_value(full).unwrap()
    }

    #[test]
    fn shows_receiver_secret_tunnel_and_last_delivery() {
        let health = health(json!({
            "intake": {"secret_configured": true, "listen": "127.0.0.1:8080", "received": 12, "invalid_signature": 0,
                       "last_received_at": "2026-06-25T09:14:11Z"},
            "applier": {"pending": 0},
            "tunnel": {"state": "connected", "url": "https://a-b.trycloudflare.com", "reason": null},
        }));
        let text = render(&health, datetime!(2026-06-25 09:19:41 UTC));
        assert!(text.contains("receiver       ready on 127.0.0.1:8080"), "{text}");
        assert!(text.contains("secret         configured"), "{text}");
        assert!(text.contains("tunnel         connected\n"), "{text}");
        assert!(text.contains("https://a-b.trycloudflare.com/webhooks/klikit"), "the URL to register is the webhook path: {text}");
        assert!(text.contains("(5 min ago)"), "{text}");
    }

    #[test]
    fn says_what_is_wrong() {
        let health = health(json!({
            "intake": {"secret_configured": false, "received": 0, "invalid_signature": 3, "last_received_at": null},
            "tunnel": {"state": "not_installed", "url": null, "reason": "cloudflared not found on PATH"},
        }));
        let text = render(&health, datetime!(2026-06-25 09:19:41 UTC));
        assert!(text.contains("MISSING: set KLIKIT_WEBHOOK_SECRET"), "{text}");
        assert!(text.contains("not installed (cloudflared not found on PATH)"), "{text}");
        assert!(text.contains("none yet"), "{text}");
        assert!(text.contains("3 refused"), "{text}");
        assert_eq!(ago(time::Duration::seconds(12_000)), "3 h 20 min");
    }
}
