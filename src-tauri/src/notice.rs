//! Desktop notifications: shows an [`Alert`]'s notice through the desktop's
//! notification server (notify-rust), and hears clicks on them.
//!
//! The wording comes from the core ([`Alert::notice`]); this module only
//! talks to the desktop. It never fails the app: without a notification
//! server (no session bus, no daemon) it logs once and carries on.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kds::alert::Alert;

/// Notification ids remembered for click handling.
const REMEMBERED: usize = 256;

/// Shows notifications and remembers their ids, so a click on one of ours
/// (and only ours) can focus the window.
#[derive(Clone, Default)]
pub struct Notifier {
    shown: Arc<Mutex<VecDeque<u32>>>,
    warned: Arc<AtomicBool>,
}

impl Notifier {
    /// Shows the alert's notice, if it has one. Blocking (a D-Bus round
    /// trip): call it off the async runtime. Returns the notification id.
    pub fn show(&self, alert: &Alert) -> Option<u32> {
        let notice = alert.notice()?;
        let mut n = notify_rust::Notification::new();
        n.appname("kds").summary(&notice.title).body(&notice.body).icon("kds-desktop");
        // "default" is the action a click on the notification's body invokes.
        n.action("default", "Open the board");
        #[cfg(all(unix, not(target_os = "macos")))]
        n.urgency(if notice.urgent { notify_rust::Urgency::Critical } else { notify_rust::Urgency::Normal });
        match n.show() {
            Ok(handle) => {
                let id = handle.id();
                let mut shown = self.shown.lock().expect("notifier lock");
                if shown.len() == REMEMBERED {
                    shown.pop_front();
                }
                shown.push_back(id);
                if self.warned.swap(false, Ordering::Relaxed) {
                    tracing::info!("desktop notifications work again");
                }
                Some(id)
            }
            Err(e) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "cannot show desktop notifications (no notification server?); the board still shows every order");
                } else {
                    tracing::debug!(error = %e, "desktop notification failed again");
                }
                None
            }
        }
    }

    /// Whether `id` is a notification this app showed.
    pub fn is_ours(&self, id: u32) -> bool {
        self.shown.lock().expect("notifier lock").contains(&id)
    }

    /// Runs `on_click` for each click on one of our notifications, on a
    /// thread of its own, for as long as the session bus is there.
    #[cfg(all(unix, not(target_os = "macos")))]
    pub fn on_click(&self, on_click: impl Fn() + Send + 'static) {
        let notifier = self.clone();
        let listen = move || -> zbus::Result<()> {
            let connection = zbus::blocking::Connection::session()?;
            let rule = zbus::MatchRule::builder()
                .msg_type(zbus::message::Type::Signal)
                .interface("org.freedesktop.Notifications")?
                .member("ActionInvoked")?
                .build();
            for message in zbus::blocking::MessageIterator::for_match_rule(rule, &connection, Some(64))? {
                let Ok((id, action)) = message?.body().deserialize::<(u32, String)>() else { continue };
                if action == "default" && notifier.is_ours(id) {
                    tracing::info!(id, "notification clicked: focusing the window");
                    on_click();
                }
            }
            Ok(())
        };
        let spawned = std::thread::Builder::new().name("notification-clicks".into()).spawn(move || {
            if let Err(e) = listen() {
                tracing::info!(error = %e, "notification clicks are not available (no session bus?)");
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the notification click listener");
        }
    }

    /// Clicks on notifications are not delivered on this platform.
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    pub fn on_click(&self, _on_click: impl Fn() + Send + 'static) {}
}
