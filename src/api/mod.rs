//! The app listener: the board's JSON API, its live stream, the settings the
//! board changes, and the board itself (`board`: embedded `ui/dist`, served
//! with a strict Content-Security-Policy). Bound to loopback by default.
//!
//! Handlers are thin: they translate HTTP to calls on `store`, `kitchen` and
//! `intake`, and back. This module never runs SQL itself. Errors leave as
//! [`ApiError`], which logs internal causes and sends the client only
//! `{"error": "..."}` (plus the current ticket on a 409).
//!
//! Every request passes [`guard`] first: `Host` and `Origin` checks against
//! DNS rebinding, and a bearer token on `/api/` when bound beyond loopback.

mod about;
pub mod board;
mod diagnostics;
mod guard;
mod health;
mod klikit;
mod history;
mod live;
mod pairing;
mod printer_settings;
mod printers;
mod reports;
mod selftest;
mod screens;
mod settings;
mod stations;
mod setup;
mod tickets;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::watch;

use crate::alert::Alerts;
use crate::config::Config;
use crate::intake::Intake;
use crate::kitchen::{Kitchen, Ticket};
use crate::printing::Printing;
use crate::store::{Store, StoreError};
pub use pairing::{local_board, LocalBoard};
pub use screens::Screens;

/// What every handler on the app listener can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub intake: Intake,
    pub config: Arc<Config>,
    pub alerts: Alerts,
    /// The kitchen rules screens act through.
    pub kitchen: Arc<Kitchen>,
    /// Where the app listener is bound (for the Host check).
    pub app_addr: SocketAddr,
    /// Where the intake listener is bound (shown in health).
    pub intake_addr: SocketAddr,
    /// Fires when the server shuts down; long-lived streams end on it.
    pub shutdown: crate::shutdown::Shutdown,
    /// The tunnel supervisor's status (`off` when there is none).
    pub tunnel: watch::Receiver<crate::tunnel::TunnelStatus>,
    /// Changes the tunnel while kds runs (Settings' tunnel mode, token, URL).
    pub tunnel_control: crate::tunnel::TunnelControl,
    /// klikit's partner API; `None` without partner keys.
    pub partner: Option<crate::partner::Partner>,
    /// The kitchen printers (none configured: empty).
    pub printing: Printing,
    /// The screens following the live stream.
    pub screens: Screens,
}

/// The app listener's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health::health))
        .route("/api/about", get(about::about))
        .route("/api/pairing", get(pairing::pairing))
        .route("/api/setup", get(setup::setup))
        .route("/api/diagnostics.zip", get(diagnostics::export))
        .route("/api/selftest", post(selftest::selftest))
        .route("/api/settings", get(settings::get_settings).put(settings::put_settings))
        .route("/api/tickets", get(tickets::open))
        .route("/api/tickets/{order_id}", get(tickets::one))
        .route("/api/tickets/{order_id}/timeline", get(history::timeline))
        .route("/api/history", get(history::search))
        .route("/api/export.csv", get(history::export))
        .route("/api/reports/day", get(reports::day_report))
        .route("/api/klikit/check", post(klikit::check))
        .route("/api/klikit/catchup", post(klikit::catchup))
        .route("/api/klikit/outbox", get(klikit::outbox))
        .route("/api/klikit/outbox/{id}/retry", post(klikit::retry))
        .route("/api/tickets/{order_id}/reprint", post(printers::reprint))
        .route("/api/tickets/{order_id}/rush", post(tickets::rush))
        .route("/api/stations", get(stations::get_stations).put(stations::put_stations))
        .route("/api/allday", get(stations::allday))
        .route("/api/screens", get(screens::list))
        .route("/api/tickets/{order_id}/{action}", post(tickets::act))
        .route("/api/printers", get(printer_settings::list_printers).post(printer_settings::add_printer))
        .route("/api/printers/{name}", axum::routing::put(printer_settings::update_printer).delete(printer_settings::remove_printer))
        .route("/api/printers/{name}/test", post(printers::test_page))
        .route("/api/done", get(tickets::done))
        .route("/api/deliveries", get(tickets::deliveries))
        .route("/api/live", get(live::live))
        // Board files for GET outside /api/, a JSON 404 for everything else.
        .fallback(board::serve)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::guard))
        // Outermost, so refusals from the guard carry the policy too.
        .layer(map_response(board::security_headers))
        .with_state(state)
}

/// Every way an API call can fail, each with one status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    BadRequest(String),
    /// The action is illegal now; the client gets the current ticket.
    #[error("{reason}")]
    Conflict { reason: String, ticket: Box<Ticket> },
    #[error("{0}")]
    Forbidden(&'static str),
    /// Well-formed but not acceptable (a station setup that fails its
    /// checks): the field and why.
    #[error("{field}: {why}")]
    Unprocessable { field: String, why: String },
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Cannot be done with this configuration (no printer, say).
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Logged; the client hears only that it failed.
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = |why: &str| wire::ErrorBody { error: why.to_string(), field: None, ticket: None };
        let (status, body) = match self {
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, error(what)),
            ApiError::BadRequest(why) => (StatusCode::BAD_REQUEST, error(&why)),
            ApiError::Conflict { reason, ticket } => {
                (StatusCode::CONFLICT, wire::ErrorBody { error: reason, field: None, ticket: Some(wire::Ticket::from(&*ticket)) })
            }
            ApiError::Forbidden(why) => (StatusCode::FORBIDDEN, error(why)),
            ApiError::Unprocessable { field, why } => {
                (StatusCode::UNPROCESSABLE_ENTITY, wire::ErrorBody { error: format!("{field}: {why}"), field: Some(field), ticket: None })
            }
            ApiError::Unavailable(why) => (StatusCode::CONFLICT, error(why)),
            ApiError::Unauthorized(why) => {
                let mut res = (StatusCode::UNAUTHORIZED, Json(error(why))).into_response();
                res.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
                return res;
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "api: internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, error("internal error"))
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "api: store error");
                (StatusCode::SERVICE_UNAVAILABLE, error("temporarily unavailable, retry"))
            }
        };
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    //! Router tests without a socket (`oneshot`); the end-to-end versions
    //! are in `tests/engine.rs`.
    use super::*;
    use axum::body::Body;
    use serde_json::json;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn app() -> (tempfile::TempDir, Router) {
        app_with(|_| {})
    }

    fn app_with(tweak: impl FnOnce(&mut Config)) -> (tempfile::TempDir, Router) {
        app_at("127.0.0.1:8787", tweak)
    }

    /// The router of a kds whose app listener is bound at `app_addr`.
    fn app_at(app_addr: &str, tweak: impl FnOnce(&mut Config)) -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path());
        tweak(&mut config);
        let store = Store::open(&dir.path().join("kds.sqlite"), Default::default()).unwrap();
        let intake = Intake::new(store.clone(), config.webhook_secrets(), Arc::new(tokio::sync::Notify::new()), std::time::Duration::from_secs(5));
        let state = AppState {
            store,
            intake,
            config: Arc::new(config),
            alerts: Alerts::default(),
            kitchen: Arc::new(Kitchen::default()),
            app_addr: app_addr.parse().unwrap(),
            intake_addr: "127.0.0.1:8080".parse().unwrap(),
            shutdown: crate::shutdown::channel().1,
            tunnel: crate::tunnel::Tunnel::off().status(),
            tunnel_control: crate::tunnel::Tunnel::off().control(),
            partner: None,
            printing: Printing::new(vec![]),
            screens: Screens::default(),
        };
        (dir, router(state))
    }

    async fn call(app: &Router, method: &str, path: &str, body: &str) -> (StatusCode, serde_json::Value) {
        let mut req = Request::builder().method(method).uri(path).header("host", "127.0.0.1:8787");
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(Body::from(body.to_string())).unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn errors_are_json_with_the_right_status() {
        let (_dir, app) = app();
        assert_eq!(call(&app, "GET", "/api/tickets/123", "").await, (StatusCode::NOT_FOUND, json!({"error": "no such ticket"})));
        assert_eq!(call(&app, "POST", "/api/tickets/123/bump", "").await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(&app, "POST", "/api/tickets/123/launch", "").await.0, StatusCode::NOT_FOUND, "only three actions exist");
        let (status, body) = call(&app, "POST", "/api/tickets/123/bump", "{oops").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "malformed JSON is a 400 before anything else");
        assert!(body["error"].as_str().unwrap().starts_with("malformed JSON"));
        assert_eq!(call(&app, "GET", "/api/done?limit=many", "").await.0, StatusCode::BAD_REQUEST);
        assert_eq!(call(&app, "GET", "/api/tickets", "").await, (StatusCode::OK, json!({"seq": 0, "tickets": []})));
        let (status, health) = call(&app, "GET", "/api/health", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((health["applier"]["pending"].as_i64(), health["intake"]["secret_configured"].as_bool()), (Some(0), Some(false)));
    }

    #[tokio::test]
    async fn settings_say_where_the_secret_in_force_comes_from_and_when_the_old_one_ends() {
        let (_dir, app) = app();
        let (_, s) = call(&app, "GET", "/api/settings", "").await;
        assert_eq!((s["secret_source"].as_str(), s["secret_rotation_hours"].as_u64()), (Some("none"), Some(24)), "{s}");
        let put = |body: &'static str| {
            let req = Request::put("/api/settings").header("host", "127.0.0.1:8787").header("content-type", "application/json").body(Body::from(body)).unwrap();
            let app = app.clone();
            async move {
                let res = app.oneshot(req).await.unwrap();
                let status = res.status();
                (status, serde_json::from_slice::<serde_json::Value>(&res.into_body().collect().await.unwrap().to_bytes()).unwrap())
            }
        };
        let (status, s) = put(r#"{"webhook_secret": "first"}"#).await;
        assert_eq!((status, s["secret_source"].as_str(), &s["previous_secret_until"]), (StatusCode::OK, Some("file"), &json!(null)), "a first secret replaces none: no window");
        let (_, s) = put(r#"{"webhook_secret": "second"}"#).await;
        let until = time::OffsetDateTime::parse(s["previous_secret_until"].as_str().expect("a replaced secret has a window"), &time::format_description::well_known::Rfc3339).unwrap();
        let hours = (until - time::OffsetDateTime::now_utc()).whole_minutes() as f64 / 60.0;
        assert!((23.9..=24.0).contains(&hours), "the old secret is accepted for the 24 h window, {hours} h left");
        assert!(!s.to_string().contains("first") && !s.to_string().contains("second"), "no answer holds a secret: {s}");

        let (_dir, app) = app_with(|c| {
            c.webhook_secret = crate::klikit::WebhookSecret::new("from-env");
            c.webhook_secret_source = crate::config::SecretSource::Environment;
        });
        let (_, s) = call(&app, "GET", "/api/settings", "").await;
        assert_eq!(s["secret_source"].as_str(), Some("environment"), "KLIKIT_WEBHOOK_SECRET wins at every start, and settings say so: {s}");
        assert!(!s.to_string().contains("from-env"));
    }

    #[tokio::test]
    async fn station_setups_are_checked_and_a_bad_one_gets_a_422_naming_the_field() {
        let (_dir, app) = app();
        let refused = |body: &'static str| {
            let app = app.clone();
            async move { call(&app, "PUT", "/api/stations", body).await }
        };
        for (body, field) in [
            (r#"{"stations": [{"name": "grill"}, {"name": " Grill "}]}"#, "stations[1].name"),
            (r#"{"stations": [{"name": ""}]}"#, "stations[0].name"),
            (r#"{"stations": [{"name": "expo"}]}"#, "stations[0].name"),
            (r#"{"stations": [{"name": "bar", "items": ["Kopi", "  "]}]}"#, "stations[0].items[1]"),
            (r#"{"stations": [{"name": "bar", "categories": ["a**b"]}]}"#, "stations[0].categories[0]"),
            (r#"{"brands": [{"id": 1, "color": "blue"}]}"#, "brands[0].color"),
            (r#"{"prep": {"default_minutes": 99999}}"#, "prep.default_minutes"),
            (r#"{"stations": [{"name": "bar", "colour": "red"}]}"#, "body"),
            (r#"{"stations": "grill"}"#, "body"),
        ] {
            let (status, answer) = refused(body).await;
            assert_eq!((status, answer["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body} is refused at {field}: {answer}");
            assert!(answer["error"].as_str().is_some_and(|e| e.starts_with(field)), "the error says where: {answer}");
        }
        assert_eq!(refused("{oops").await.0, StatusCode::BAD_REQUEST, "malformed JSON is a 400, as on every route");
        let (_, unchanged) = call(&app, "GET", "/api/stations", "").await;
        assert_eq!(unchanged["station_names"], json!(["kitchen"]), "nothing refused was saved: {unchanged}");

        let (status, saved) = refused(r#"{"stations": [{"name": " grill ", "categories": ["Mains"]}], "default_station": "hot"}"#).await;
        assert_eq!((status, &saved["station_names"]), (StatusCode::OK, &json!(["grill", "hot"])), "names are trimmed and the default station is a screen: {saved}");
        assert_eq!(saved["palette"].as_array().map(Vec::len), Some(crate::kitchen::station::PALETTE.len()));
    }

    #[tokio::test]
    async fn station_actions_and_screens_answer_bad_input_clearly() {
        let (_dir, app) = app();
        let (status, body) = call(&app, "POST", "/api/tickets/1/bump", r#"{"station": "fryer"}"#).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("station")), "an unknown station is named: {body}");
        assert_eq!(call(&app, "POST", "/api/tickets/1/acknowledge", r#"{"station": "kitchen"}"#).await.0, StatusCode::BAD_REQUEST, "station goes with bump and recall only");
        assert_eq!(call(&app, "POST", "/api/tickets/1/bump", r#"{"station": "kitchen"}"#).await.0, StatusCode::NOT_FOUND, "the default station exists; the ticket does not");
        assert_eq!(call(&app, "POST", "/api/tickets/1/rush", "{}").await.0, StatusCode::BAD_REQUEST, "rush needs {{\"rush\": bool}}");
        assert_eq!(call(&app, "POST", "/api/tickets/1/rush", r#"{"rush": true}"#).await.0, StatusCode::NOT_FOUND);
        let (status, list) = call(&app, "GET", "/api/tickets?screen=fryer", "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(list["notice"].as_str().is_some_and(|n| n.contains("fryer")) && list["screen"].is_null(), "an unknown screen sees everything, told why: {list}");
        assert_eq!(call(&app, "GET", "/api/tickets?screen=expo", "").await.1, json!({"seq": 0, "tickets": [], "screen": "expo"}));
        assert_eq!(call(&app, "GET", "/api/allday?screen=kitchen", "").await.1, json!({"seq": 0, "screen": "kitchen", "items": []}));
        assert_eq!(call(&app, "GET", "/api/screens", "").await.1, json!({"screens": []}));
    }

    #[tokio::test]
    async fn setup_is_needed_until_a_secret_is_saved_and_about_names_the_listeners() {
        let (_dir, app) = app();
        let (status, s) = call(&app, "GET", "/api/setup", "").await;
        assert_eq!(status, StatusCode::OK, "{s}");
        assert_eq!((s["needed"].as_bool(), s["tunnel"]["mode"].as_str(), s["webhook_url"].is_null()), (Some(true), Some("off"), true), "a fresh kds needs setup: {s}");
        assert!(!s["install_help"].as_array().unwrap().is_empty(), "install help for this OS comes from the server: {s}");
        let req = Request::put("/api/settings").header("host", "127.0.0.1:8787").header("content-type", "application/json").body(Body::from(r#"{"webhook_secret": " pasted\n", "public_url": "https://orders.example.com"}"#)).unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let answer: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(answer["warnings"][0], settings::SECRET_TRIMMED, "the pasted newline is announced: {answer}");
        let (_, s) = call(&app, "GET", "/api/setup", "").await;
        assert_eq!(s["needed"], false, "with a secret the setup no longer opens by itself: {s}");
        let (_, about) = call(&app, "GET", "/api/about", "").await;
        assert_eq!((about["app_listen"].as_str(), about["intake_listen"].as_str()), (Some("127.0.0.1:8787"), Some("127.0.0.1:8080")), "{about}");
        assert_eq!(about["version"], env!("CARGO_PKG_VERSION"));
    }

    #[tokio::test]
    async fn pairing_lists_the_network_addresses_behind_the_token_and_never_the_token() {
        let (_dir, app) = app();
        let (status, loopback) = call(&app, "GET", "/api/pairing", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((loopback["beyond_loopback"].as_bool(), &loopback["addresses"]), (Some(false), &json!([])), "a loopback listener offers no address: {loopback}");
        assert!(loopback["hint"].as_str().is_some_and(|h| h.contains("KDS_LISTEN")), "and says which setting opens it: {loopback}");

        const TOKEN: &str = "pairing-token-7f3a";
        let ask = |app: &Router, host: &str, token: Option<&str>| {
            let mut req = Request::get("/api/pairing").header("host", host);
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let (app, req) = (app.clone(), req.body(Body::empty()).unwrap());
            async move {
                let res = app.oneshot(req).await.unwrap();
                let status = res.status();
                (status, String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
            }
        };
        let (_dir, lan) = app_at("192.168.1.20:8787", |c| c.api_token = crate::config::Secret::new(TOKEN));
        assert_eq!(ask(&lan, "192.168.1.20:8787", None).await.0, StatusCode::UNAUTHORIZED, "beyond loopback the addresses are behind the token");
        let (status, body) = ask(&lan, "192.168.1.20:8787", Some(TOKEN)).await;
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, &answer["addresses"], &answer["hint"]), (StatusCode::OK, &json!(["http://192.168.1.20:8787"]), &json!(null)), "a listener bound to one address offers that one: {answer}");
        assert!(!body.contains(TOKEN), "the answer never holds the token: {body}");

        let (_dir, any) = app_at("0.0.0.0:8787", |c| c.api_token = crate::config::Secret::new(TOKEN));
        let (status, body) = ask(&any, "127.0.0.1:8787", Some(TOKEN)).await;
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, answer["beyond_loopback"].as_bool(), answer["listen"].as_str()), (StatusCode::OK, Some(true), Some("0.0.0.0:8787")), "{answer}");
        for url in answer["addresses"].as_array().unwrap() {
            let url = url.as_str().unwrap();
            let host: std::net::IpAddr = url.strip_prefix("http://").and_then(|h| h.strip_suffix(":8787")).and_then(|h| h.parse().ok()).unwrap_or_else(|| panic!("{url} is http://IPv4:port"));
            assert!(host.is_ipv4() && !host.is_loopback() && !host.to_string().starts_with("169.254."), "{url}: an address another machine can reach");
        }
        assert!(answer["addresses"].as_array().unwrap().len() > 0 || answer["hint"].is_string(), "either addresses or why there are none: {answer}");
        assert!(!body.contains(TOKEN));
    }

    #[tokio::test]
    async fn requests_without_our_host_are_refused() {
        let (_dir, app) = app();
        let req = Request::get("/api/tickets").body(Body::empty()).unwrap();
        assert_eq!(app.oneshot(req).await.unwrap().status(), StatusCode::FORBIDDEN, "no Host header, no answer");
    }

    #[tokio::test]
    async fn printers_are_added_changed_and_removed_with_clear_refusals() {
        let (dir, app) = app();
        let printer = |name: &str, extra: serde_json::Value| {
            let mut p = json!({"name": name, "address": "tcp://127.0.0.1:9", "width_mm": 80, "mode": "text", "code_page": "pc437",
                "print_on": "arrival", "backup_after_seconds": 30, "max_age_seconds": 900, "utc_offset": "+07:00"});
            p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            p.to_string()
        };
        assert_eq!(call(&app, "GET", "/api/printers", "").await, (StatusCode::OK, json!({"printers": []})));
        let (status, body) = call(&app, "POST", "/api/printers", &printer("pass", json!({}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["printers"][0]["name"], "pass");
        let file = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
        assert!(file.contains("[[printers]]") && file.contains("tcp://127.0.0.1:9"), "saved in config.toml: {file}");
        let (_, health) = call(&app, "GET", "/api/health", "").await;
        assert_eq!(health["printers"][0]["name"], "pass", "in use at once, without a restart: {health}");

        let refusals = [
            ("POST", "/api/printers", printer("pass", json!({})), "already exists"),
            ("POST", "/api/printers", printer("hot", json!({"width_mm": 70})), "width_mm"),
            ("POST", "/api/printers", printer("hot", json!({"address": "lpt1"})), "tcp://"),
            ("POST", "/api/printers", printer("hot", json!({"backup_for": " "})), "backup_for"),
            ("POST", "/api/printers", printer("hot", json!({"stations": ["grill"], "backup_for": "grill"})), "leave stations empty"),
            ("POST", "/api/printers", printer("hot", json!({"max_age_seconds": 0})), "max_age_seconds"),
            ("POST", "/api/printers", printer("hot", json!({"utc_offset": "Asia/Jakarta"})), "utc_offset"),
            ("POST", "/api/printers", printer("a b", json!({})), "name"),
            ("POST", "/api/printers", printer("hot", json!({"mode": "pdf"})), "mode"),
            ("PUT", "/api/printers/pass", printer("renamed", json!({})), "cannot change"),
        ];
        for (method, path, body, word) in refusals {
            let (status, answer) = call(&app, method, path, &body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} is refused as unprocessable: {answer}");
            assert!(answer["error"].as_str().unwrap().contains(word), "the refusal names {word}: {answer}");
        }
        assert_eq!(call(&app, "POST", "/api/printers", "{oops").await.0, StatusCode::BAD_REQUEST, "not JSON at all");
        assert_eq!(call(&app, "PUT", "/api/printers/nope", &printer("nope", json!({}))).await.0, StatusCode::NOT_FOUND);
        let (_, list) = call(&app, "GET", "/api/printers", "").await;
        assert_eq!(list["printers"].as_array().unwrap().len(), 1, "a refused change changes nothing: {list}");

        let (status, body) = call(&app, "PUT", "/api/printers/pass", &printer("pass", json!({"width_mm": 58, "backup_for": "board"}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["printers"][0]["width_mm"].as_i64(), body["printers"][0]["backup_for"].as_str()), (Some(58), Some("board")));
        let (_, health) = call(&app, "GET", "/api/health", "").await;
        assert_eq!(health["printers"][0]["backup"], true, "the change is in use at once: {health}");

        assert_eq!(call(&app, "DELETE", "/api/printers/pass", "").await, (StatusCode::OK, json!({"printers": []})));
        assert_eq!(call(&app, "DELETE", "/api/printers/pass", "").await.0, StatusCode::NOT_FOUND);
        let (_, health) = call(&app, "GET", "/api/health", "").await;
        assert_eq!(health["printers"], json!([]), "removed at once: {health}");
    }
}
