//! Keeping the screen awake while the board is open: asks the desktop's
//! screensaver (`org.freedesktop.ScreenSaver.Inhibit` on the session bus) not
//! to blank the screen. The inhibition lasts as long as the returned
//! [`Awake`] (its bus connection) lives.
//!
//! It never fails the app: where there is no such service (a bare X server, a
//! headless test) it logs and does nothing.

/// An active inhibition; dropping it lets the screen sleep again.
pub struct Awake {
    #[cfg(all(unix, not(target_os = "macos")))]
    _connection: zbus::blocking::Connection,
}

/// Asks the screensaver to stay off. Blocking (a D-Bus round trip).
#[cfg(all(unix, not(target_os = "macos")))]
pub fn keep_awake() -> Option<Awake> {
    let inhibit = || -> zbus::Result<Awake> {
        let connection = zbus::blocking::Connection::session()?;
        let reply = connection.call_method(
            Some("org.freedesktop.ScreenSaver"),
            "/org/freedesktop/ScreenSaver",
            Some("org.freedesktop.ScreenSaver"),
            "Inhibit",
            &("kds", "The kitchen display is open"),
        )?;
        let cookie: u32 = reply.body().deserialize()?;
        tracing::info!(cookie, "screen kept awake while the window is open");
        Ok(Awake { _connection: connection })
    };
    inhibit().map_err(|e| tracing::info!(error = %e, "cannot keep the screen awake (no screensaver service)")).ok()
}

/// Not implemented on this platform yet.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn keep_awake() -> Option<Awake> {
    tracing::info!("keeping the screen awake is not implemented on this platform");
    None
}
