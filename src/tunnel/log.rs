//! Reading `cloudflared`'s log lines: the public URL of a quick tunnel, the
//! hostname of a named one, connections registered and lost, and errors.
//!
//! Pure text in, events out. It never decides the tunnel's state.
//!
//! The lines it knows (cloudflared 2022–2026, `INF`/`WRN`/`ERR` levels):
//! ```text
//! 2026-07-15T18:24:10Z INF |  https://buffalo-marco-cardiff-motel.trycloudflare.com  |
//! 2026-07-15T18:24:13Z INF Registered tunnel connection connIndex=0 connection=52b5… event=0 ip=198.41.219.4 location=mia01 protocol=quic
//! 2022-06-01T16:23:12Z INF Connection c206cf44-… registered connIndex=0 location=ORD          (older releases)
//! 2026-07-15T18:38:42Z INF Unregistered tunnel connection connIndex=2 event=0 ip=198.41.218.3
//! 2024-11-27T11:12:57Z INF Lost connection with the edge connIndex=1
//! 2024-11-27T11:12:44Z INF Updated to new configuration config="{\"ingress\":[{\"hostname\":\"orders.example.com\", …
//! 2026-07-15T18:38:42Z ERR Connection terminated connIndex=1
//! ```

/// Something worth knowing in one log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// A quick tunnel's public URL (`https://….trycloudflare.com`).
    QuickUrl(String),
    /// A named tunnel's public hostname, from its remotely managed ingress.
    Hostname(String),
    /// One connection to Cloudflare's edge is up.
    Registered { conn_index: Option<u32> },
    /// One connection to Cloudflare's edge is down (cloudflared retries it).
    Unregistered { conn_index: Option<u32> },
    /// An error line (level `ERR` or `FTL`): the text after the level.
    Error(String),
}

/// Reads one log line. Lines that carry nothing of interest give `None`.
pub fn parse_line(line: &str) -> Option<LogEvent> {
    let line = line.trim();
    if let Some(url) = quick_url(line) {
        return Some(LogEvent::QuickUrl(url));
    }
    if line.contains("Unregistered tunnel connection") || line.contains("Lost connection with the edge") {
        return Some(LogEvent::Unregistered { conn_index: conn_index(line) });
    }
    if line.contains("Registered tunnel connection") || (line.contains(" Connection ") && line.contains(" registered ")) {
        return Some(LogEvent::Registered { conn_index: conn_index(line) });
    }
    if line.contains("Updated to new configuration") {
        if let Some(host) = ingress_hostname(line) {
            return Some(LogEvent::Hostname(host));
        }
    }
    for level in [" ERR ", " FTL "] {
        if let Some(at) = line.find(level) {
            return Some(LogEvent::Error(line[at + level.len()..].trim().to_string()));
        }
    }
    if line.starts_with("ERR ") || line.starts_with("FTL ") {
        return Some(LogEvent::Error(line[4..].trim().to_string()));
    }
    None
}

/// `https://<name>.trycloudflare.com` anywhere in the line. The API host
/// `api.trycloudflare.com` (named in "requesting a quick tunnel" lines) is not
/// a tunnel URL.
fn quick_url(line: &str) -> Option<String> {
    let start = line.find("https://")?;
    let rest = &line[start..];
    let end = rest.find(|c: char| c.is_whitespace() || c == '|' || c == '"' || c == '\'').unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches('/');
    let host = &url["https://".len()..];
    let name = host.strip_suffix(".trycloudflare.com")?;
    let valid = !name.is_empty() && name != "api" && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| url.to_string())
}

fn conn_index(line: &str) -> Option<u32> {
    let at = line.find("connIndex=")?;
    let digits: String = line[at + "connIndex=".len()..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The first `"hostname":"…"` in a configuration line (escaped or not).
fn ingress_hostname(line: &str) -> Option<String> {
    let unescaped = line.replace("\\\"", "\"");
    let at = unescaped.find("\"hostname\":")?;
    let rest = unescaped[at + "\"hostname\":".len()..].trim_start().strip_prefix('"')?;
    let host: String = rest.chars().take_while(|&c| c != '"').collect();
    let valid = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_quick_tunnel_url_in_the_banner() {
        let line = "2023-04-18T14:06:49Z INF |  https://buffalo-marco-cardiff-motel.trycloudflare.com                                     |";
        assert_eq!(parse_line(line), Some(LogEvent::QuickUrl("https://buffalo-marco-cardiff-motel.trycloudflare.com".into())));
        let api = "2023-04-18T14:06:46Z INF Requesting new quick Tunnel on https://api.trycloudflare.com/tunnel...";
        assert_eq!(parse_line(api), None, "the quick-tunnel API host is not the tunnel's URL");
        let banner = "2023-04-18T14:06:49Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |";
        assert_eq!(parse_line(banner), None);
    }

    #[test]
    fn counts_connections_in_new_and_old_formats() {
        let new = "2026-07-15T18:24:13Z INF Registered tunnel connection connIndex=3 connection=52b585bc event=0 ip=198.41.219.4 location=mia01 protocol=http2";
        assert_eq!(parse_line(new), Some(LogEvent::Registered { conn_index: Some(3) }));
        let old = "2022-06-01T16:23:12Z INF Connection c206cf44-945f-4c3c-a85c-af60c6338dc2 registered connIndex=0 location=ORD";
        assert_eq!(parse_line(old), Some(LogEvent::Registered { conn_index: Some(0) }));
        let gone = "2026-07-15T18:38:42Z INF Unregistered tunnel connection connIndex=2 event=0 ip=198.41.218.3";
        assert_eq!(parse_line(gone), Some(LogEvent::Unregistered { conn_index: Some(2) }), "'Unregistered' must not read as 'Registered'");
        let lost = "2024-11-27T11:12:57Z INF Lost connection with the edge connIndex=1";
        assert_eq!(parse_line(lost), Some(LogEvent::Unregistered { conn_index: Some(1) }));
    }

    #[test]
    fn reads_a_named_tunnels_hostname_and_errors() {
        let cfg = r#"2024-11-27T11:12:44Z INF Updated to new configuration config="{\"ingress\":[{\"hostname\":\"orders.example.com\", \"originRequest\":{}, \"service\":\"http://127.0.0.1:8080\"}, {\"service\":\"http_status:404\"}]}" version=7"#;
        assert_eq!(parse_line(cfg), Some(LogEvent::Hostname("orders.example.com".into())));
        let err = r#"2026-01-02T03:04:05Z ERR Couldn't start tunnel error="Unauthorized: Invalid tunnel secret""#;
        assert_eq!(parse_line(err), Some(LogEvent::Error(r#"Couldn't start tunnel error="Unauthorized: Invalid tunnel secret""#.into())));
        assert_eq!(parse_line("2026-01-02T03:04:05Z INF Starting metrics server on 127.0.0.1:20241/metrics"), None);
        assert_eq!(parse_line(""), None);
    }
}
