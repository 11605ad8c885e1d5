//! The app listener's door: a web page open on the kitchen PC must not be
//! able to drive the API through DNS rebinding, and nobody on the network
//! may use it without the token when it listens beyond loopback.
//!
//! - `Host` must name this listener: `localhost`, a loopback address, or,
//!   when bound beyond loopback, any IP address (never a DNS name, which is
//!   what a rebinding attack uses), always with the bound port.
//! - `Origin`, when sent, must be this listener's own origin
//!   (`http://<Host>`) or `tauri://localhost` (the desktop window).
//! - Beyond loopback, `/api/` needs `Authorization: Bearer <KDS_API_TOKEN>`
//!   (or `?token=` on the live stream, which `EventSource` cannot give
//!   headers). Without a configured token, `/api/` is refused there.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, &request) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

fn check(state: &AppState, request: &Request) -> Result<(), ApiError> {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host_allowed(host, state.app_addr) {
        return Err(ApiError::Forbidden("host not allowed"));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if origin != "tauri://localhost" && !origin.strip_prefix("http://").is_some_and(|o| o.eq_ignore_ascii_case(host)) {
            return Err(ApiError::Forbidden("origin not allowed"));
        }
    }
    if !state.app_addr.ip().is_loopback() && request.uri().path().starts_with("/api/") {
        let Some(expected) = state.config.api_token.as_ref() else {
            return Err(ApiError::Unauthorized("this listener is reachable from the network: set KDS_API_TOKEN"));
        };
        let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        let query = query_token(request.uri().query().unwrap_or(""));
        let given = bearer.or(query.as_deref()).unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())) {
            return Err(ApiError::Unauthorized("missing or wrong token"));
        }
    }
    Ok(())
}

/// The `token` parameter of a query string, percent- and `+`-decoded as
/// `URLSearchParams` (the board) encodes it: a token such as base64's
/// `a+b/c=` arrives as `a%2Bb%2Fc%3D`.
fn query_token(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
}

/// Whether `host` (the `Host` header) names the listener bound at `bound`.
pub fn host_allowed(host: &str, bound: SocketAddr) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !n.is_empty() && (!n.contains(':') || n.ends_with(']')) => match p.parse::<u16>() {
            Ok(p) => (n, p),
            Err(_) => return false,
        },
        _ => (host, 80),
    };
    if port != bound.port() {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || !bound.ip().is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_token_is_decoded_as_the_board_encodes_it() {
        assert_eq!(query_token("after=3&token=a%2Bb%2Fc%3D%3D").as_deref(), Some("a+b/c=="), "base64 characters arrive percent-encoded");
        assert_eq!(query_token("token=plain").as_deref(), Some("plain"));
        assert_eq!(query_token("token=a+b").as_deref(), Some("a b"), "a literal + is a space in a query, as URLSearchParams means it");
        assert_eq!(query_token("tokens=x&xtoken=y"), None, "only the parameter named token");
    }

    #[test]
    fn host_must_name_this_listener() {
        let lo: SocketAddr = "127.0.0.1:8787".parse().unwrap();
        assert!(host_allowed("127.0.0.1:8787", lo));
        assert!(host_allowed("localhost:8787", lo));
        assert!(host_allowed("[::1]:8787", lo));
        assert!(!host_allowed("127.0.0.1:9999", lo), "another port is another origin");
        assert!(!host_allowed("evil.example:8787", lo), "a DNS name is how rebinding gets in");
        assert!(!host_allowed("192.168.1.5:8787", lo), "a loopback listener is only reached on loopback");
        assert!(!host_allowed("", lo));
        let lan: SocketAddr = "0.0.0.0:8787".parse().unwrap();
        assert!(host_allowed("192.168.1.5:8787", lan), "other screens use the PC's address");
        assert!(!host_allowed("kitchen.evil:8787", lan));
    }
}
