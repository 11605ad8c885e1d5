//! `kds status`: the `/api/health` report as a few lines of text for someone
//! on a terminal: receiver, secret, tunnel and URL, last delivery and how long
//! ago.
//!
//! Pure: it renders JSON it is given, with the time passed in. It never
//! fetches anything and never shows a secret (health carries none).

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Renders a health report (`GET /api/health`) as of `now`.
pub fn render(health: &Value, now: OffsetDateTime) -> String {
    let intake = &health["intake"];
    let tunnel = &health["tunnel"];
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<15}{value}\n"));

    let secret = intake["secret_configured"].as_bool().unwrap_or(false);
    let listen = intake["listen"].as_str().map(|l| format!(" on {l}")).unwrap_or_default();
    line("receiver", if secret { format!("ready{listen}") } else { format!("NOT READY{listen}: deliveries are refused (503)") });
    line("secret", if secret { "configured".into() } else { "MISSING: set KLIKIT_WEBHOOK_SECRET".into() });

    let state = tunnel["state"].as_str().unwrap_or("unknown");
    let reason = tunnel["reason"].as_str().map(|r| format!(" ({r})")).unwrap_or_default();
    line("tunnel", format!("{}{reason}", state.replace('_', " ")));
    match tunnel["url"].as_str() {
        Some(url) => line("public URL", format!("{url}/webhooks/klikit")),
        None if state == "off" => line("public URL", "none from kds (tunnel off)".into()),
        None if matches!(state, "starting" | "reconnecting") => line("public URL", "not known yet".into()),
        None => line("public URL", "none".into()),
    }

    let received = intake["received"].as_u64().unwrap_or(0);
    let last = intake["last_received_at"].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
    match last {
        Some(at) => line("last delivery", format!("{} ({} ago); {received} received since start", intake["last_received_at"].as_str().unwrap_or(""), ago(now - at))),
        None => line("last delivery", format!("none yet; {received} received since start")),
    }
    let refused = intake["invalid_signature"].as_u64().unwrap_or(0);
    if refused > 0 {
        line("bad signature", format!("{refused} refused since start: the secret klikit uses differs from kds's"));
    }
    if let Some(pending) = health["applier"]["pending"].as_u64() {
        line("applier", format!("{pending} pending"));
    }
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
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn shows_receiver_secret_tunnel_and_last_delivery() {
        let health = json!({
            "intake": {"secret_configured": true, "listen": "127.0.0.1:8080", "received": 12, "invalid_signature": 0,
                       "last_received_at": "2026-06-25T09:14:11Z"},
            "applier": {"pending": 0},
            "tunnel": {"state": "connected", "url": "https://a-b.trycloudflare.com", "reason": null},
        });
        let text = render(&health, datetime!(2026-06-25 09:19:41 UTC));
        assert!(text.contains("receiver       ready on 127.0.0.1:8080"), "{text}");
        assert!(text.contains("secret         configured"), "{text}");
        assert!(text.contains("tunnel         connected\n"), "{text}");
        assert!(text.contains("https://a-b.trycloudflare.com/webhooks/klikit"), "the URL to register is the webhook path: {text}");
        assert!(text.contains("(5 min ago)"), "{text}");
    }

    #[test]
    fn says_what_is_wrong() {
        let health = json!({
            "intake": {"secret_configured": false, "received": 0, "invalid_signature": 3, "last_received_at": null},
            "tunnel": {"state": "not_installed", "url": null, "reason": "cloudflared not found on PATH"},
        });
        let text = render(&health, datetime!(2026-06-25 09:19:41 UTC));
        assert!(text.contains("MISSING: set KLIKIT_WEBHOOK_SECRET"), "{text}");
        assert!(text.contains("not installed (cloudflared not found on PATH)"), "{text}");
        assert!(text.contains("none yet"), "{text}");
        assert!(text.contains("3 refused"), "{text}");
        assert_eq!(ago(time::Duration::seconds(12_000)), "3 h 20 min");
    }
}
