//! `GET/PUT /api/settings`: what the board's settings view reads and
//! changes, persisted in `config.toml` in the data dir.
//!
//! The webhook secret is write-only: a `PUT` may set it (and the intake uses
//! it at once), but no answer ever contains it, only `secret_configured`,
//! where the secret in force comes from (`secret_source`: the environment
//! wins over the file at every start), and until when the one it replaced
//! is still accepted (`previous_secret_until`, the rotation window, kept in
//! `config.toml` across restarts).
//! Tunnel mode, the named tunnel's token (write-only too) and the public URL
//! apply at once: the tunnel's control starts or stops `cloudflared`.
//! Status-name overrides are saved for the next start. A pasted secret or
//! token loses the spaces and line breaks around it, and the answer's
//! `warnings` says so.

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tokio::sync::Mutex;

use super::wire::{ErrorBody, Settings as SettingsView, SettingsUpdate};
use super::AppState;
use crate::config::{self, ConfigError, ConfigFile, SecretSource, TunnelMode};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use crate::klikit::WebhookSecret;
use crate::tunnel::TunnelSettings;

/// The warning when a pasted secret had whitespace around it (a pasted
/// newline is one of the commonest causes of failed signatures).
pub const SECRET_TRIMMED: &str = "The pasted webhook secret had spaces or line breaks at its start or end; they were removed.";
/// The same for a pasted tunnel token.
pub const TOKEN_TRIMMED: &str = "The pasted tunnel token had spaces or line breaks at its start or end; they were removed.";

/// Longest webhook secret accepted from the settings view.
const MAX_SECRET_LEN: usize = 512;

/// One settings change at a time (here and in `printer_settings`): each is
/// a read-modify-write of the file.
pub(super) static SAVING: Mutex<()> = Mutex::const_new(());


/// Why a settings request failed. Only `Invalid` tells the client more than
/// that it failed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
    #[error("settings file: {0}")]
    File(#[from] ConfigError),
    #[error("settings task failed")]
    Task,
}

impl IntoResponse for SettingsError {
    fn into_response(self) -> Response {
        match self {
            SettingsError::Invalid(error) => (StatusCode::BAD_REQUEST, Json(ErrorBody { error, field: None, ticket: None })).into_response(),
            other => {
                tracing::error!(error = %other, "settings: cannot read or save config.toml");
                let body = ErrorBody { error: "cannot read or save the settings file".into(), field: None, ticket: None };
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
        }
    }
}

/// What the view says about the secret, apart from the file.
struct SecretFacts {
    configured: bool,
    source: SecretSource,
    rotation_hours: u64,
}

fn secret_facts(state: &AppState) -> SecretFacts {
    let configured = state.intake.secret_configured();
    let source = match state.config.webhook_secret_source {
        SecretSource::Environment => SecretSource::Environment,
        _ if configured => SecretSource::File,
        _ => SecretSource::None,
    };
    SecretFacts { configured, source, rotation_hours: state.config.secret_rotation.as_secs() / 3600 }
}

fn view_of(file: &ConfigFile, state: &AppState) -> SettingsView {
    view(file, secret_facts(state), state.partner.as_ref().and_then(|p| p.client.config()), &state.tunnel_control.current())
}

fn view(file: &ConfigFile, facts: SecretFacts, klikit: Option<crate::partner::PartnerConfig>, tunnel: &TunnelSettings) -> SettingsView {
    let board = file.board.unwrap_or_default();
    SettingsView {
        public_url: tunnel.public_url.clone(),
        tunnel_token_configured: tunnel.token.is_some(),
        warnings: Vec::new(),
        klikit_configured: klikit.is_some(),
        klikit_api_url: klikit.map(|c| c.base_url),
        branches: file.branches.clone().unwrap_or_default(),
        retention: file.retention.unwrap_or_default(),
        secret_configured: facts.configured,
        secret_source: facts.source,
        previous_secret_until: file.webhook_secret_previous_until.clone(),
        secret_rotation_hours: facts.rotation_hours,
        warn_after_minutes: board.warn_after_minutes,
        late_after_minutes: board.late_after_minutes,
        chime: board.chime,
        chime_repeat: board.chime_repeat,
        tunnel: tunnel.mode,
        status_names: file.status_names.clone(),
    }
}

pub(super) async fn read(state: &AppState) -> Result<ConfigFile, SettingsError> {
    let dir = state.config.data_dir.clone();
    tokio::task::spawn_blocking(move || config::read_config_file(&dir)).await.map_err(|_| SettingsError::Task)?.map_err(Into::into)
}

pub async fn get_settings(State(state): State<AppState>) -> Result<Json<SettingsView>, SettingsError> {
    let file = read(&state).await?;
    Ok(Json(view_of(&file, &state)))
}

pub async fn put_settings(
    State(state): State<AppState>,
    update: Result<Json<SettingsUpdate>, JsonRejection>,
) -> Result<Json<SettingsView>, SettingsError> {
    let Json(update) = update.map_err(|e| SettingsError::Invalid(format!("unreadable settings: {}", e.body_text())))?;
    let _one_at_a_time = SAVING.lock().await;
    let mut file = read(&state).await?;
    let current = state.partner.as_ref().and_then(|p| p.client.config());
    let klikit = klikit_keys(&mut file, &update, current)?;
    let now = OffsetDateTime::now_utc();
    let window = time::Duration::try_from(state.config.secret_rotation).unwrap_or(time::Duration::DAY);
    let in_force = state.intake.current_secret();
    let applied = apply(&mut file, update, in_force.as_ref(), now + window, &state.tunnel_control.current())?;
    let secret = applied.secret;
    let dir = state.config.data_dir.clone();
    let saved = file.clone();
    tokio::task::spawn_blocking(move || config::save_config_file(&dir, &saved)).await.map_err(|_| SettingsError::Task)??;
    if let Some(secret) = secret {
        // The new secret first; the one it replaced stays accepted until
        // the end of the window while klikit catches up.
        let previous = file.webhook_secret_previous.clone().and_then(WebhookSecret::new);
        let until = file.webhook_secret_previous_until.as_deref().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        state.intake.set_secrets_until(std::iter::once(secret).chain(previous).collect(), until);
        tracing::info!(previous_accepted_until = ?until, "webhook secret changed from the settings view");
    }
    match (klikit, &state.partner) {
        (Some(keys), Some(partner)) => {
            partner.set_config(keys);
            tracing::info!("klikit partner keys changed from the settings view; the outbox resumes");
        }
        (Some(_), None) => tracing::info!("klikit partner keys saved; they take effect at the next start"),
        (None, _) => {}
    }
    let changed_tunnel = applied.tunnel.as_ref().is_some_and(|t| *t != state.tunnel_control.current());
    if let Some(tunnel) = applied.tunnel {
        state.tunnel_control.set(tunnel);
    }
    let mut answer = view_of(&file, &state);
    answer.warnings = applied.warnings;
    if changed_tunnel {
        answer.warnings.extend(set_at_start(&state.config.tunnel_set_by));
    }
    Ok(Json(answer))
}

/// What a valid change does besides the file.
#[derive(Debug, Default)]
struct Applied {
    /// The new webhook secret, for the intake.
    secret: Option<WebhookSecret>,
    /// The new tunnel settings, when the change touched them.
    tunnel: Option<TunnelSettings>,
    /// Shown to the person (see [`SettingsView::warnings`]).
    warnings: Vec<String>,
}

/// The warning after a tunnel change when this start's tunnel came from
/// the environment or a flag (`names`): they win over `config.toml` again at
/// the next start, so the change would quietly undo itself.
fn set_at_start(names: &[&str]) -> Option<String> {
    (!names.is_empty()).then(|| {
        format!(
            "The tunnel changed now, but this kds was started with {} set (in the environment, the service file or the command line), which wins again at the next start. Remove it there to keep this choice.",
            names.join(", ")
        )
    })
}

/// A pasted value without the whitespace around it, and whether there was
/// any. `None` for a blank one (a blank field changes nothing).
fn pasted(raw: Option<&str>) -> Option<(&str, bool)> {
    let raw = raw?;
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then_some((trimmed, trimmed.len() != raw.len()))
}

/// Applies a change of klikit partner keys to `file`, validated. Returns the
/// new configuration when the keys or base changed.
fn klikit_keys(file: &mut ConfigFile, update: &SettingsUpdate, current: Option<crate::partner::PartnerConfig>) -> Result<Option<Option<crate::partner::PartnerConfig>>, SettingsError> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let (key, secret, base) = (given(&update.klikit_partner_key), given(&update.klikit_partner_secret), given(&update.klikit_api_url));
    if key.is_none() && secret.is_none() && base.is_none() {
        return Ok(None);
    }
    // Whatever is not given stays as it is: the file's, else the running one's.
    let key = key.or(file.klikit_partner_key.clone()).or(current.as_ref().map(|c| c.partner_key.clone()));
    let secret = secret.or(file.klikit_partner_secret.clone()).or(current.as_ref().map(|c| c.secret_key().to_string()));
    let base = base.or(file.klikit_api_url.clone()).or(current.as_ref().map(|c| c.base_url.clone()));
    let config = config::partner(key.clone(), secret.clone(), base.clone()).map_err(|e| SettingsError::Invalid(e.to_string()))?;
    file.klikit_partner_key = key;
    file.klikit_partner_secret = secret;
    file.klikit_api_url = base;
    Ok(Some(config))
}

/// Validates `update` and applies it to `file`. Returns the new webhook
/// secret when there is one. Leaves `file` untouched on an error.
/// A new secret replaces `in_force` (the one deliveries are checked with
/// now), which stays accepted until `window_end`.
/// `tunnel_now` is what the tunnel runs with now (the environment's token
/// counts for a named tunnel).
fn apply(file: &mut ConfigFile, update: SettingsUpdate, in_force: Option<&WebhookSecret>, window_end: OffsetDateTime, tunnel_now: &TunnelSettings) -> Result<Applied, SettingsError> {
    let mut warnings = Vec::new();
    let secret = match pasted(update.webhook_secret.as_deref()) {
        None => None,
        Some((s, _)) if s.len() > MAX_SECRET_LEN => return Err(SettingsError::Invalid(format!("the webhook secret is longer than {MAX_SECRET_LEN} characters"))),
        Some((s, trimmed)) => {
            if trimmed {
                warnings.push(SECRET_TRIMMED.to_string());
            }
            Some(WebhookSecret::new(s).ok_or_else(|| SettingsError::Invalid("the webhook secret is empty".into()))?)
        }
    };
    let token = match pasted(update.tunnel_token.as_deref()) {
        None => None,
        Some((t, _)) if t.len() > 4096 || t.contains(char::is_whitespace) => return Err(SettingsError::Invalid("the tunnel token is one word of at most 4096 characters: paste it again".into())),
        Some((t, trimmed)) => {
            if trimmed {
                warnings.push(TOKEN_TRIMMED.to_string());
            }
            crate::config::Secret::new(t)
        }
    };
    let public_url = match update.public_url.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(url) => Some(Some(config::public_url(url).map_err(|e| SettingsError::Invalid(e.to_string()))?)),
    };
    let mut board = file.board.unwrap_or_default();
    board.warn_after_minutes = update.warn_after_minutes.unwrap_or(board.warn_after_minutes);
    board.late_after_minutes = update.late_after_minutes.unwrap_or(board.late_after_minutes);
    board.chime = update.chime.unwrap_or(board.chime);
    board.chime_repeat = update.chime_repeat.unwrap_or(board.chime_repeat);
    board.validate().map_err(|e| SettingsError::Invalid(e.to_string()))?;
    let status_names = match update.status_names {
        Some(names) => status_names(names)?,
        None => file.status_names.clone(),
    };
    if let Some(retention) = &update.retention {
        retention.check().map_err(SettingsError::Invalid)?;
    }
    let tunnel_touched = update.tunnel.is_some() || token.is_some() || public_url.is_some();
    let tunnel = TunnelSettings {
        mode: update.tunnel.unwrap_or(tunnel_now.mode),
        token: token.clone().or_else(|| tunnel_now.token.clone()),
        public_url: public_url.clone().unwrap_or_else(|| tunnel_now.public_url.clone()),
    };
    if tunnel.mode == TunnelMode::Named && tunnel.token.is_none() {
        return Err(SettingsError::Invalid("a named tunnel needs its token: paste the token Cloudflare gave for it".into()));
    }

    if let Some(new) = &secret {
        if let Some(old) = in_force.filter(|old| *old != new) {
            file.webhook_secret_previous = Some(old.expose().to_string());
            file.webhook_secret_previous_until = Some(window_end.format(&Rfc3339).map_err(|_| SettingsError::Task)?);
        }
        file.webhook_secret = Some(new.expose().to_string());
    }
    file.board = Some(board);
    file.status_names = status_names;
    if let Some(branches) = update.branches {
        file.branches = Some(branches);
    }
    if let Some(mode) = update.tunnel {
        file.tunnel = Some(mode);
    }
    if let Some(retention) = update.retention {
        file.retention = Some(retention);
    }
    if let Some(token) = &token {
        file.tunnel_token = Some(token.expose().to_string());
    }
    if let Some(url) = public_url {
        file.public_url = url;
    }
    Ok(Applied { secret, tunnel: tunnel_touched.then_some(tunnel), warnings })
}

fn status_names(names: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, SettingsError> {
    let mut out = BTreeMap::new();
    for (code, name) in names {
        let number = code.trim().parse::<i64>().map_err(|_| SettingsError::Invalid(format!("status code {code:?} is not a number")))?;
        let name = crate::klikit::status::normalise_status_name(&name);
        if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(SettingsError::Invalid(format!("status name for {number} must be 1-40 letters, digits or _")));
        }
        out.insert(number.to_string(), name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn update(json: serde_json::Value) -> SettingsUpdate {
        serde_json::from_value(json).unwrap()
    }

    const END: OffsetDateTime = time::macros::datetime!(2026-07-16 18:00 UTC);

    fn apply_now(file: &mut ConfigFile, update: SettingsUpdate) -> Result<Option<WebhookSecret>, SettingsError> {
        apply(file, update, None, END, &TunnelSettings::default()).map(|a| a.secret)
    }

    #[test]
    fn a_tunnel_change_warns_when_the_start_set_the_tunnel_elsewhere() {
        assert_eq!(set_at_start(&[]), None, "a tunnel from config.toml alone stays as Settings leaves it: nothing to warn");
        let warning = set_at_start(&["KDS_TUNNEL", "KDS_TUNNEL_TOKEN"]).expect("the environment wins at the next start, so the person is told");
        assert!(warning.contains("KDS_TUNNEL, KDS_TUNNEL_TOKEN"), "the warning names what to remove: {warning}");
    }

    #[test]
    fn a_new_secret_keeps_the_one_in_force_until_the_window_ends() {
        let mut file = ConfigFile { webhook_secret: Some("file-secret".into()), ..Default::default() };
        let in_force = WebhookSecret::new("env-secret").unwrap();
        let new = apply(&mut file, update(json!({"webhook_secret": "new-secret"})), Some(&in_force), END, &TunnelSettings::default()).unwrap().secret;
        assert_eq!(new, WebhookSecret::new("new-secret"));
        assert_eq!(file.webhook_secret_previous.as_deref(), Some("env-secret"), "the previous secret is the one klikit signed with until now");
        assert_eq!(file.webhook_secret_previous_until.as_deref(), Some("2026-07-16T18:00:00Z"), "kept in config.toml, so it survives a restart");
        let mut same = file.clone();
        apply(&mut same, update(json!({"webhook_secret": "new-secret"})), new.as_ref(), END + time::Duration::DAY, &TunnelSettings::default()).unwrap();
        assert_eq!(same.webhook_secret_previous_until, file.webhook_secret_previous_until, "saving the same secret again starts no new window");
    }

    #[test]
    fn a_change_is_validated_before_anything_is_applied() {
        let mut file = ConfigFile::default();
        let err = apply_now(&mut file, update(json!({"webhook_secret": "new-secret", "warn_after_minutes": 12, "late_after_minutes": 8}))).unwrap_err();
        assert!(matches!(err, SettingsError::Invalid(_)), "amber after red is refused");
        assert!(file.webhook_secret.is_none(), "a refused change leaves the secret as it was");
        assert!(file.board.is_none());
    }

    #[test]
    fn an_empty_secret_keeps_the_old_one_and_a_new_one_is_returned_for_the_intake() {
        let mut file = ConfigFile { webhook_secret: Some("old".into()), ..Default::default() };
        assert!(apply_now(&mut file, update(json!({"webhook_secret": "  "}))).unwrap().is_none());
        assert_eq!(file.webhook_secret.as_deref(), Some("old"), "a blank field in the form is not a new secret");
        let new = apply_now(&mut file, update(json!({"webhook_secret": " new-secret\n"}))).unwrap();
        assert_eq!(new, Some(WebhookSecret::new("new-secret").unwrap()), "a pasted trailing newline is not part of the secret");
        assert_eq!(file.webhook_secret.as_deref(), Some("new-secret"));
    }

    #[test]
    fn retention_is_checked_then_kept_in_the_file() {
        let mut file = ConfigFile::default();
        let retention = json!({"body_days": 14, "dedupe_days": 90, "ticket_days": 365, "quiet_hour": 3, "idle_minutes": 10, "nightly_backup": true});
        apply_now(&mut file, update(json!({"retention": retention}))).unwrap();
        let kept = file.retention.expect("the periods are written to [retention]");
        assert_eq!((kept.body_days, kept.dedupe_days, kept.ticket_days, kept.quiet_hour), (14, 90, 365, 3));
        let bad = json!({"body_days": 30, "dedupe_days": 7, "ticket_days": 365, "quiet_hour": 3, "idle_minutes": 10, "nightly_backup": true});
        let err = apply_now(&mut file, update(json!({"retention": bad}))).unwrap_err();
        assert!(err.to_string().contains("dedupe_days"), "ids kept shorter than bodies would break dedupe, and the answer says which: {err}");
        assert_eq!(file.retention.unwrap().dedupe_days, 90, "a refused change leaves the file as it was");
        let hour = json!({"body_days": 30, "dedupe_days": 180, "ticket_days": 400, "quiet_hour": 24, "idle_minutes": 10, "nightly_backup": true});
        assert!(apply_now(&mut file, update(json!({"retention": hour}))).is_err(), "there is no 24th hour");
    }

    #[test]
    fn status_names_are_numbers_to_plain_names() {
        let mut file = ConfigFile::default();
        apply_now(&mut file, update(json!({"status_names": {"5": "ready", " 12 ": "on_hold"}}))).unwrap();
        assert_eq!(file.status_names.get("5").map(String::as_str), Some("READY"));
        assert_eq!(file.status_names.get("12").map(String::as_str), Some("ON_HOLD"));
        assert!(apply_now(&mut file, update(json!({"status_names": {"five": "READY"}}))).is_err());
        assert!(apply_now(&mut file, update(json!({"status_names": {"5": "<b>x</b>"}}))).is_err(), "names are plain words");
    }

    #[test]
    fn status_names_are_normalised_by_the_core_as_the_status_table_reads_them() {
        let mut file = ConfigFile::default();
        apply_now(&mut file, update(json!({"status_names": {"12": " on hold", "13": "out-of-stock"}}))).unwrap();
        assert_eq!(file.status_names.get("12").map(String::as_str), Some("ON_HOLD"), "the board may send names as typed");
        assert_eq!(file.status_names.get("13").map(String::as_str), Some("OUT_OF_STOCK"));
    }

    #[test]
    fn the_view_never_holds_the_secret() {
        let file = ConfigFile {
            webhook_secret: Some("whsec-never-shown".into()),
            klikit_partner_key: Some("pk-never-shown".into()),
            klikit_partner_secret: Some("sk-never-shown".into()),
            ..Default::default()
        };
        let keys = crate::partner::PartnerConfig::new(crate::partner::client::DEV_BASE, "pk-never-shown", "sk-never-shown");
        let tunnel = TunnelSettings { mode: TunnelMode::Named, token: crate::config::Secret::new("tok-never-shown"), public_url: None };
        let shown = serde_json::to_string(&view(&file, SecretFacts { configured: true, source: SecretSource::File, rotation_hours: 24 }, keys, &tunnel)).unwrap();
        for secret in ["whsec-never-shown", "pk-never-shown", "sk-never-shown", "tok-never-shown"] {
            assert!(!shown.contains(secret), "{secret} must never be in an answer: {shown}");
        }
        assert!(shown.contains("\"klikit_configured\":true"));
        assert!(shown.contains("\"secret_configured\":true"));
        assert!(shown.contains("\"tunnel_token_configured\":true"));
    }

    #[test]
    fn a_pasted_secret_loses_its_whitespace_and_the_answer_says_so() {
        let mut file = ConfigFile::default();
        let applied = apply(&mut file, update(json!({"webhook_secret": "\n  whsec-pasted\r\n"})), None, END, &TunnelSettings::default()).unwrap();
        assert_eq!(file.webhook_secret.as_deref(), Some("whsec-pasted"), "the core trims, the board only shows the warning");
        assert_eq!(applied.warnings, [SECRET_TRIMMED], "the trim is announced, not silent");
        let applied = apply(&mut file, update(json!({"webhook_secret": "whsec-clean"})), None, END, &TunnelSettings::default()).unwrap();
        assert!(applied.warnings.is_empty(), "a clean paste has no warning: {:?}", applied.warnings);
    }

    #[test]
    fn tunnel_changes_become_settings_to_apply_at_once() {
        let now = TunnelSettings::default();
        let mut file = ConfigFile::default();
        let err = apply(&mut file, update(json!({"tunnel": "named"})), None, END, &now).unwrap_err();
        assert!(matches!(err, SettingsError::Invalid(ref m) if m.contains("token")), "named without any token is refused: {err}");
        let applied = apply(&mut file, update(json!({"tunnel": "named", "tunnel_token": " tok-123\n"})), None, END, &now).unwrap();
        let tunnel = applied.tunnel.expect("a tunnel change is applied at once");
        assert_eq!((tunnel.mode, tunnel.token.as_ref().map(|t| t.expose())), (TunnelMode::Named, Some("tok-123")));
        assert_eq!(applied.warnings, [TOKEN_TRIMMED]);
        assert_eq!(file.tunnel_token.as_deref(), Some("tok-123"), "kept for the next start");
        let with_env_token = TunnelSettings { token: crate::config::Secret::new("from-env"), ..Default::default() };
        assert!(apply(&mut ConfigFile::default(), update(json!({"tunnel": "named"})), None, END, &with_env_token).is_ok(), "the token in force (from the environment) counts");
        let applied = apply(&mut file, update(json!({"tunnel": "off", "public_url": "https://orders.example.com/"})), None, END, &tunnel).unwrap();
        let own = applied.tunnel.unwrap();
        assert_eq!((own.mode, own.public_url.as_deref()), (TunnelMode::Off, Some("https://orders.example.com")), "own proxy: off with a public URL");
        assert!(apply(&mut file, update(json!({"public_url": "orders.example.com"})), None, END, &own).is_err(), "a URL without a scheme is refused");
        assert!(apply(&mut file, update(json!({"chime": true})), None, END, &own).unwrap().tunnel.is_none(), "a change elsewhere leaves the tunnel alone");
    }
}
