//! The kitchen board itself: `ui/dist`, embedded in the binary at build time
//! (see `build.rs`), served at `/` with a strict Content-Security-Policy.
//!
//! This module owns the security headers of the whole app listener too: the
//! board runs only scripts and styles from this origin, talks only to this
//! origin, and cannot be framed. It never serves anything from disk.

use axum::extract::Request;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/board_assets.rs"));
}

/// No inline script or style, nothing from elsewhere, no framing. Styles set
/// through the DOM (`element.style`) are not affected by `style-src`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Served when the binary was built without `ui/dist` (no npm on the build
/// machine): says what to do instead of a blank page.
const MISSING_BOARD: &str = "<!doctype html><meta charset=utf-8><title>kds: board not built</title>\
<body><h1>The kitchen board was not built into this binary</h1>\
<p>Build it and rebuild kds: <code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build &amp;&amp; cd .. &amp;&amp; cargo build</code>.</p>\
<p>The API is running: <a href=/api/health>/api/health</a>.</p></body>";

/// Is the board built into this binary?
pub fn embedded() -> bool {
    find("/index.html").is_some()
}

fn find(path: &str) -> Option<(&'static [u8], &'static str)> {
    assets::ASSETS.iter().find(|(p, _, _)| *p == path).map(|(_, bytes, kind)| (*bytes, *kind))
}

/// The fallback of the app listener: a board file for `GET`/`HEAD` of any
/// path outside `/api/`, a JSON 404 for everything else.
pub async fn serve(request: Request) -> Response {
    let path = request.uri().path();
    let readable = request.method() == Method::GET || request.method() == Method::HEAD;
    if !readable || path.starts_with("/api/") || path == "/api" {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response();
    }
    let wanted = if path == "/" { "/index.html" } else { path };
    match find(wanted) {
        Some((bytes, kind)) => {
            // Files under /assets/ carry a content hash in their name.
            let cache = if wanted.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
            ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)], bytes).into_response()
        }
        None if wanted == "/index.html" => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], MISSING_BOARD).into_response()
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response(),
    }
}

/// Adds the security headers to every response of the app listener.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::middleware::map_response;
    use axum::Router;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new().fallback(serve).layer(map_response(security_headers))
    }

    async fn get(path: &str) -> Response {
        app().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn the_board_is_served_at_the_root_with_a_strict_policy() {
        let r = get("/").await;
        assert_eq!(r.status(), StatusCode::OK, "the root always answers with a page, built board or not");
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "no inline script may run: {csp}");
        assert!(csp.contains("connect-src 'self'"), "the board talks only to its own origin: {csp}");
        assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[tokio::test]
    async fn every_embedded_file_is_served_with_its_type_and_unknown_paths_are_json_404s() {
        for (path, bytes, kind) in assets::ASSETS {
            let r = get(path).await;
            assert_eq!(r.status(), StatusCode::OK, "{path} is embedded, so it is served");
            assert_eq!(r.headers()[header::CONTENT_TYPE], *kind, "{path}");
            let body = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
            assert_eq!(&body[..], *bytes, "{path} is served byte for byte");
        }
        for path in ["/api/nope", "/nope.js", "/../Cargo.toml"] {
            let r = get(path).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} is not a board file");
            assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY), "error answers carry the policy too");
        }
    }

    #[tokio::test]
    async fn the_built_board_has_no_inline_script() {
        let Some((html, _)) = find("/index.html") else { return };
        let html = std::str::from_utf8(html).unwrap();
        for tag in html.split("<script").skip(1) {
            let open = &tag[..tag.find('>').unwrap()];
            assert!(open.contains("src="), "every script in index.html is a file the CSP allows: <script{open}>");
        }
    }
}
