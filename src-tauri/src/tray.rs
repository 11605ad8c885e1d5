//! The tray icon: its colour shows the running condition (ok, receiver down,
//! tunnel down), and its menu opens the board, toggles kiosk mode and quits.
//!
//! The condition itself is folded in the core ([`kds::alert::Condition`]);
//! this module only draws it. It never touches the core's state.

use kds::alert::{Condition, Level};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

/// The tray icon and the menu items that change while the app runs.
pub struct Tray {
    icon: TrayIcon,
    status: MenuItem<Wry>,
    kiosk: CheckMenuItem<Wry>,
}

fn image(level: Level) -> Image<'static> {
    let bytes: &'static [u8] = match level {
        Level::Ok => include_bytes!("../../icons/tray-ok.png"),
        Level::ReceiverDown => include_bytes!("../../icons/tray-receiver-down.png"),
        Level::TunnelDown => include_bytes!("../../icons/tray-tunnel-down.png"),
    };
    Image::from_bytes(bytes).expect("the tray icons are valid PNGs (icons/, made by scripts/make-icons.py)")
}

impl Tray {
    /// Builds the tray icon. Menu clicks call back into the shell.
    pub fn build(app: &AppHandle, kiosk: bool) -> tauri::Result<Tray> {
        let condition = Condition::default();
        let status = MenuItem::with_id(app, "status", condition.summary(), false, None::<&str>)?;
        let open = MenuItem::with_id(app, "open", "Open the board", true, None::<&str>)?;
        let kiosk = CheckMenuItem::with_id(app, "kiosk", "Kiosk mode (F11)", true, kiosk, None::<&str>)?;
        let quit = MenuItem::with_id(app, "quit", "Quit kds", true, None::<&str>)?;
        let separator = PredefinedMenuItem::separator(app)?;
        let menu = Menu::with_items(app, &[&status, &separator, &open, &kiosk, &quit])?;
        let icon = TrayIconBuilder::with_id("kds")
            .icon(image(condition.level()))
            .tooltip(format!("kds: {}", condition.summary()))
            .menu(&menu)
            .on_menu_event(|app, event| match event.id().as_ref() {
                "open" => crate::focus(app),
                "kiosk" => crate::toggle_kiosk_mode(app),
                "quit" => app.exit(0),
                _ => {}
            })
            .build(app)?;
        Ok(Tray { icon, status, kiosk })
    }

    /// Shows a new condition: icon colour, tooltip and the status line.
    pub fn show(&self, condition: &Condition) {
        let summary = condition.summary();
        let shown = self
            .icon
            .set_icon(Some(image(condition.level())))
            .and_then(|_| self.icon.set_tooltip(Some(format!("kds: {summary}"))))
            .and_then(|_| self.status.set_text(&summary));
        if let Err(e) = shown {
            tracing::warn!(error = %e, "cannot update the tray icon");
        }
    }

    /// Keeps the kiosk check mark in step with the window.
    pub fn show_kiosk(&self, on: bool) {
        let _ = self.kiosk.set_checked(on);
    }
}

/// The tray, if it could be built (a desktop without a tray still runs).
pub fn get(app: &AppHandle) -> Option<tauri::State<'_, Tray>> {
    app.try_state::<Tray>()
}
