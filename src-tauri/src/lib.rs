//! The kds desktop app: a Tauri 2 window around the kds core.
//!
//! It loads the configuration the way `kds serve` does, starts the core
//! in-process ([`kds::server::Server`]), shows the board served by the app
//! listener, and adds the desktop things: notifications for alerts, a tray
//! icon, kiosk mode, a single instance, starting at login, and a clean
//! shutdown. Logic that is not window glue lives in the core.

mod autostart;
mod awake;
pub mod notice;
mod tray;
mod webkit;

use std::sync::Mutex;

use kds::alert::{Alert, Condition};
use kds::config::{Config, Overrides};
use kds::server::Server;
use tauri::{AppHandle, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};
use tokio::sync::broadcast::error::RecvError;

/// The main window's label (capabilities refer to it).
const MAIN: &str = "main";

/// F11 toggles kiosk mode. Injected into the board page; the capability in
/// `src-tauri/capabilities/kiosk.json` lets the loopback page call only this.
const F11_SCRIPT: &str = r#"
window.addEventListener('keydown', function (event) {
  if (event.key === 'F11' && window.__TAURI_INTERNALS__) {
    event.preventDefault();
    window.__TAURI_INTERNALS__.invoke('toggle_kiosk');
  }
}, true);
"#;

/// The running core, taken at exit to shut it down.
struct Core(Mutex<Option<Server>>);

/// Runs the app until it quits. Returns the process exit code.
pub fn run() -> i32 {
    webkit::set_defaults();
    // The terminal, and the rotating log file in the data dir (as `kds serve`).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if let Some(e) = kds::logs::init(kds::config::data_dir_from(None).as_deref(), ansi) {
        tracing::warn!(error = %e, "no log file in the data dir; logging to the terminal only");
    }
    let config = match Config::load(Overrides::default()) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return 1;
        }
    };
    // A start at login after the user switched autostart off in Settings
    // (the package's system-wide entry still runs): quit before anything starts.
    if autostart::started_at_login() && autostart::Autostart::new(&config.data_dir).switched_off() {
        tracing::info!("started at login, but start at login is switched off in Settings: quitting");
        return 0;
    }
    let kiosk = config.kiosk;
    let data_dir = config.data_dir.clone();
    let token = config.api_token.clone();
    let app = tauri::Builder::default()
        // First: a second launch hands over to the first and exits before
        // anything else (the core included) starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("second launch: focusing the running window");
            focus(app);
        }))
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(tauri_plugin_window_state::StateFlags::SIZE | tauri_plugin_window_state::StateFlags::POSITION | tauri_plugin_window_state::StateFlags::MAXIMIZED)
                .build(),
        )
        .plugin(autostart::plugin())
        .invoke_handler(tauri::generate_handler![toggle_kiosk, autostart::autostart_state, autostart::set_autostart])
        .setup(move |app| {
            autostart::at_start(app.handle(), &data_dir);
            let server = tauri::async_runtime::block_on(Server::start(config))?;
            // Loopback, with the API token in the fragment when the listener
            // is beyond loopback (where the API needs it); logged without it.
            let board = kds::api::local_board(server.app_addr(), token.as_ref());
            let alerts = server.alerts().subscribe();
            // The tunnel may have gone down before this subscription: start
            // from its current state.
            let early = kds::tunnel::alert_for(&kds::tunnel::TunnelStatus::off(), &server.tunnel().borrow());
            app.manage(Core(Mutex::new(Some(server))));
            WebviewWindowBuilder::new(app, MAIN, WebviewUrl::External(board.url.parse()?))
                .title("kds")
                .inner_size(1280.0, 800.0)
                .min_inner_size(480.0, 360.0)
                .fullscreen(kiosk)
                .initialization_script(F11_SCRIPT)
                .build()?;
            // Without the appindicator library the tray crate panics; the
            // board matters more than the tray, so carry on without it.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tray::Tray::build(app.handle(), kiosk))) {
                Ok(Ok(tray)) => {
                    app.manage(tray);
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "no tray icon"),
                Err(_) => tracing::warn!("no tray icon: the appindicator library is missing (apt package libayatana-appindicator3-1)"),
            }
            let notifier = notice::Notifier::default();
            let handle = app.handle().clone();
            notifier.on_click(move || focus(&handle));
            tauri::async_runtime::spawn(relay_alerts(app.handle().clone(), early, alerts, notifier));
            tauri::async_runtime::spawn(quit_on_signal(app.handle().clone()));
            let handle = app.handle().clone();
            tauri::async_runtime::spawn_blocking(move || {
                if let Some(awake) = awake::keep_awake() {
                    handle.manage(Mutex::new(Some(awake)));
                }
            });
            tracing::info!(url = %board.shown, "window opened on the board");
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return 1;
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            shut_down(app);
        }
    });
    0
}

/// Stops the core (listeners drain, the store closes, the tunnel's child
/// exits) before the process ends.
fn shut_down(app: &AppHandle) {
    if let Some(awake) = app.try_state::<Mutex<Option<awake::Awake>>>() {
        awake.lock().map(|mut a| a.take()).ok();
    }
    let server = app.try_state::<Core>().and_then(|core| core.0.lock().ok()?.take());
    if let Some(server) = server {
        tracing::info!("quitting: shutting the core down");
        tauri::async_runtime::block_on(server.shutdown());
    }
}

/// Turns alerts into notifications and tray states. Every order alert is
/// notified; an outage only when it changes the condition (once, not again
/// for each repeat).
async fn relay_alerts(app: AppHandle, early: Option<Alert>, mut alerts: tokio::sync::broadcast::Receiver<Alert>, notifier: notice::Notifier) {
    let mut condition = Condition::default();
    let mut early = early;
    loop {
        let alert = match early.take() {
            Some(alert) => alert,
            None => match alerts.recv().await {
                Ok(alert) => alert,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "alerts came faster than notifications could be shown; some were skipped");
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
        };
        let changed = condition.apply(&alert);
        if changed {
            if let Some(tray) = tray::get(&app) {
                tray.show(&condition);
            }
        }
        if changed || matches!(alert, Alert::NewOrder(_) | Alert::Cancelled(_)) {
            let notifier = notifier.clone();
            let _ = tokio::task::spawn_blocking(move || notifier.show(&alert)).await;
        }
    }
}

/// SIGTERM or SIGINT quit the app the same way the tray's Quit does.
async fn quit_on_signal(app: AppHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
            tracing::warn!("cannot listen for SIGTERM/SIGINT");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("signal received: quitting");
        app.exit(0);
    }
}

/// Brings the main window to the front.
pub(crate) fn focus(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Switches kiosk mode (fullscreen) on or off.
pub(crate) fn toggle_kiosk_mode(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN) else { return };
    let on = !window.is_fullscreen().unwrap_or(false);
    if let Err(e) = window.set_fullscreen(on) {
        tracing::warn!(error = %e, "cannot switch kiosk mode");
        return;
    }
    tracing::info!(on, "kiosk mode");
    if let Some(tray) = tray::get(app) {
        tray.show_kiosk(on);
    }
}

/// F11 on the board page.
#[tauri::command]
fn toggle_kiosk(app: AppHandle) {
    toggle_kiosk_mode(&app);
}
