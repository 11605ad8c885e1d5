//! The notification side of the shell without a window: alerts become
//! `Notify` calls on the session bus, clicks on ours are heard, and a bus
//! without a notification server is logged once, not fatal.
//!
//! Needs `dbus-daemon` (apt package dbus), no X display.

mod support;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kds::alert::{Alert, TicketAlert};
use kds_desktop::notice::Notifier;
use support::{wait_for, Bus, Notifications};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn order() -> Alert {
    Alert::NewOrder(TicketAlert {
        order_id: "8120610".into(),
        short_id: "K7X2".into(),
        brand: Some("Warung Sambal Ijo".into()),
        item_count: 3,
        order_type: "delivery".into(),
        table_no: None,
    })
}

// One test: the session bus address is process-wide, so the two buses are
// used one after the other.
#[test]
fn alerts_become_notifications_and_a_missing_server_is_logged_once() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).init();

    // A bus with a notification server.
    let dir = tempfile::tempdir().unwrap();
    let bus = Bus::start(dir.path());
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let server = Notifications::serve(&bus);
    let notifier = Notifier::default();
    let clicks = Arc::new(AtomicUsize::new(0));
    let counter = clicks.clone();
    notifier.on_click(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });

    let id = notifier.show(&order()).expect("a notification server is on the bus, so the notification is shown");
    assert_eq!(notifier.show(&Alert::ReceiverUp), None, "a recovery changes the tray only; no notification");
    notifier.show(&Alert::TunnelDown { reason: "cloudflared exited".into() }).expect("outages are notified");
    let shown = server.shown();
    assert_eq!(shown.len(), 2, "exactly the order and the outage were notified: {shown:?}");
    assert_eq!(shown[0].summary, "New order #K7X2 · Warung Sambal Ijo");
    assert_eq!(shown[0].body, "3 items · delivery");
    assert_eq!(shown[0].app_name, "kds");
    assert!(shown[0].actions.contains(&"default".to_string()), "a click on the body must be reported back: {:?}", shown[0].actions);
    assert!(shown[1].summary.starts_with("Tunnel down") && shown[1].body.contains("cloudflared exited"), "{:?}", shown[1]);

    // The listener subscribes on a thread of its own: click until it hears,
    // each time first on a notification that is not ours.
    wait_for(Duration::from_secs(10), "a click on our notification to reach the app", || {
        server.click(999);
        server.click(id);
        std::thread::sleep(Duration::from_millis(50));
        (clicks.load(Ordering::SeqCst) > 0).then_some(())
    });
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains("id=999"), "a click on someone else's notification is ignored:\n{text}");

    // A bus with no notification server: logged once, never fatal.
    let quiet_dir = dir.path().join("quiet");
    std::fs::create_dir_all(&quiet_dir).unwrap();
    let quiet = Bus::start(&quiet_dir);
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &quiet.address);
    let notifier = Notifier::default();
    assert_eq!(notifier.show(&order()), None, "no server: nothing shown");
    assert_eq!(notifier.show(&order()), None);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("cannot show desktop notifications").count(), 1, "the failure is logged once, not per order:\n{text}");
}
