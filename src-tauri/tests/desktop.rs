//! End-to-end tests of the real `kds-desktop` binary under Xvfb, each with a
//! private session bus (and a fake notification server on it), its own home,
//! data dir and ports.
//!
//! They need Xvfb, dbus-daemon and WebKitWebDriver (see `.ci/run`), so they
//! are ignored by a plain `cargo test` and run by `scripts/test-desktop`.

mod support;

use std::net::TcpListener;
use std::time::Duration;

use support::{alive, descendants, output_dir, wait_for, Desk, Driver, Http};

const START: Duration = Duration::from_secs(90);

#[test]
#[ignore = "needs Xvfb, dbus-daemon and WebKitWebDriver: run by scripts/test-desktop"]
fn a_new_order_is_notified_and_shown_in_the_window() {
    let mut desk = Desk::new();
    // A quick tunnel with no cloudflared installed: the tunnel is down from the start.
    desk.extra_env = vec![("KDS_TUNNEL".into(), "quick".into()), ("KDS_CLOUDFLARED".into(), "/nonexistent/cloudflared".into())];
    let driver = Driver::start(&desk);
    let session = board_session(&desk, &driver);

    let http = Http::new();
    let shown = support::order_is_notified(&desk, &http);

    let down = wait_for(Duration::from_secs(30), "a Notify call saying the tunnel is down", || {
        desk.notifications.shown().into_iter().find(|n| n.summary.starts_with("Tunnel down"))
    });
    assert_eq!(desk.notifications.shown().iter().filter(|n| n.summary.starts_with("Tunnel down")).count(), 1, "an outage is notified once: {down:?}");

    wait_for(Duration::from_secs(30), "the board in the window to show ticket K7X2", || {
        driver.execute(&session, "return document.body ? document.body.innerText : ''").as_str().filter(|t| t.contains("K7X2")).map(|_| ())
    });
    // A screenshot can lag the DOM: wait two animation frames first.
    driver.execute_async(&session, "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));");
    let png = driver.screenshot(&session);
    assert!(png.starts_with(b"\x89PNG"), "the driver returns a PNG");
    std::fs::write(output_dir().join("desktop-board.png"), &png).unwrap();

    // A click on the notification brings the window forward.
    wait_for(Duration::from_secs(10), "the app to hear the notification click", || {
        desk.notifications.click(shown.id);
        std::thread::sleep(Duration::from_millis(100));
        support::read_log(&driver.log).contains("notification clicked").then_some(())
    });

    // F11 toggles kiosk mode, through the page's key handler and the one command it may invoke.
    driver.press(&session, "\u{E03B}");
    wait_for(Duration::from_secs(10), "F11 to switch kiosk mode on", || support::read_log(&driver.log).contains("kiosk mode on=true").then_some(()));
}

#[test]
#[ignore = "needs Xvfb, dbus-daemon and WebKitWebDriver: run by scripts/test-desktop"]
fn the_chime_runs_web_audio_only_while_it_plays() {
    // A running AudioContext renders silence all the time (2.4% of a core
    // measured): the board suspends it between chimes, and WebKitGTK lets a
    // chime resume it without a touch.
    let desk = Desk::new();
    let driver = Driver::start(&desk);
    let session = board_session(&desk, &driver);
    let audio_threads = || {
        descendants(driver.process.0.id())
            .iter()
            .filter(|p| p.name.starts_with("WebKitWebProc"))
            .flat_map(|p| std::fs::read_dir(format!("/proc/{}/task", p.pid)).into_iter().flatten().flatten())
            .filter(|task| std::fs::read_to_string(task.path().join("comm")).is_ok_and(|name| name.starts_with("webaudio")))
            .count()
    };
    wait_for(Duration::from_secs(15), "Web Audio to be suspended while nothing plays", || (audio_threads() == 0).then_some(()));
    driver.execute(&session, "window.kds.ring(); return true");
    wait_for(Duration::from_secs(5), "a chime to run Web Audio", || (audio_threads() > 0).then_some(()));
    wait_for(Duration::from_secs(10), "Web Audio to be suspended again after the chime", || (audio_threads() == 0).then_some(()));
}

#[test]
#[ignore = "needs Xvfb, dbus-daemon and WebKitWebDriver: run by scripts/test-desktop"]
fn start_at_login_is_on_from_the_first_start_and_switched_off_stays_off() {
    let desk = Desk::new();
    let entry = desk.dir.path().join("home/.config/autostart/kds.desktop");
    let choice = desk.dir.path().join("data/desktop-autostart");
    assert!(!entry.exists(), "a fresh home has no login entry");
    let driver = Driver::start(&desk);
    let session = board_session(&desk, &driver);

    // The first start writes the login entry, pointing at this very binary.
    let text = wait_for(Duration::from_secs(30), "the first start to write ~/.config/autostart/kds.desktop", || std::fs::read_to_string(&entry).ok());
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_kds-desktop")).unwrap();
    let exec = text.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap_or_else(|| panic!("the entry has an Exec line:\n{text}"));
    assert_eq!(exec.trim_end(), format!("{} --autostart", binary.display()), "the entry starts the running binary, marked as a start at login");
    assert_eq!(std::fs::read_to_string(&choice).unwrap(), "on\n", "the first start remembers that it switched autostart on");

    // Settings shows the switch on; turning it off removes the entry.
    driver.execute(&session, "document.querySelector('[data-testid=tab-settings]').click(); return true");
    let switch = "document.querySelector('[data-testid=start-at-login-switch]')";
    wait_for(Duration::from_secs(20), "Settings to show the start-at-login switch, on and enabled", || {
        let state = driver.execute(&session, &format!("const s = {switch}; return s ? [s.checked, s.disabled] : null"));
        (state == serde_json::json!([true, false])).then_some(())
    });
    driver.execute(&session, &format!("{switch}.click(); return true"));
    wait_for(Duration::from_secs(20), "the switch to remove the login entry", || (!entry.exists()).then_some(()));
    wait_for(Duration::from_secs(10), "the switch to show off", || {
        (driver.execute(&session, &format!("return {switch}.checked")) == serde_json::json!(false)).then_some(())
    });
    assert_eq!(std::fs::read_to_string(&choice).unwrap(), "off\n", "the choice is remembered");
    driver.close_window(&session);
    drop(driver);

    // A later start leaves it off; a start at login quits at once.
    let app = desk.launch("again");
    app.wait_log("start at login", START);
    app.wait_log("window opened on the board", START);
    assert!(!entry.exists(), "a restart does not put the entry back after the user switched it off:\n{}", app.log_text());
    drop(app);
    let mut login = desk.launch_with("login", &["--autostart"]);
    let status = login.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "a start at login with autostart off exits cleanly: {status:?}\n{}", login.log_text());
    let log = login.log_text();
    assert!(log.contains("start at login is switched off") && !log.contains("kds started"), "it quits before starting a receiver:\n{log}");
}

/// Opens a WebDriver session (which launches the app) and waits for the
/// window to show the board from the app listener.
fn board_session(desk: &Desk, driver: &Driver) -> String {
    let session = driver.session();
    let app_url = desk.app_url();
    wait_for(START, "the window to load the board from the app listener", || {
        let href = driver.execute(&session, "return document.readyState === 'complete' ? location.href : ''");
        href.as_str().filter(|h| h.starts_with(&app_url)).map(|_| ())
    });
    session
}

#[test]
#[ignore = "needs Xvfb, dbus-daemon and WebKitWebDriver: run by scripts/test-desktop"]
fn a_second_launch_focuses_the_first_and_starts_no_receiver() {
    let desk = Desk::new();
    let first = desk.launch("first");
    first.wait_log("window opened on the board", START);
    let http = Http::new();
    assert_eq!(http.get(&format!("{}/api/health", desk.app_url())).map(|r| r.0), Some(200), "the first instance serves the API");

    let mut second = desk.launch("second");
    let status = second.wait_exit(START);
    assert!(status.success(), "the second launch hands over and exits cleanly: {status:?}\n{}", second.log_text());
    first.wait_log("second launch: focusing the running window", Duration::from_secs(10));
    let log = second.log_text();
    assert!(!log.contains("kds started") && !log.contains("cannot listen"), "the second launch never starts a receiver:\n{log}");
    assert_eq!(http.get(&format!("{}/api/health", desk.app_url())).map(|r| r.0), Some(200), "the first instance still serves");
}

#[test]
#[ignore = "needs Xvfb, dbus-daemon and WebKitWebDriver: run by scripts/test-desktop"]
fn quitting_shuts_the_core_down_and_leaves_no_child_process() {
    let mut desk = Desk::new();
    // A stand-in cloudflared that never exits on its own: the tunnel's child.
    let cloudflared = desk.dir.path().join("cloudflared");
    std::fs::write(&cloudflared, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&cloudflared, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    desk.extra_env = vec![("KDS_TUNNEL".into(), "quick".into()), ("KDS_CLOUDFLARED".into(), cloudflared.display().to_string())];
    let mut app = desk.launch("app");
    app.wait_log("window opened on the board", START);
    // WebKit runs its web and network processes as children of the app, and
    // the tunnel supervisor runs cloudflared.
    let children = wait_for(START, "WebKit's web process and the tunnel's cloudflared to start under the app", || {
        let found = descendants(app.pid());
        let webkit = found.iter().any(|p| p.name.starts_with("WebKitWebProces"));
        let tunnel = found.iter().any(|p| p.name == "sleep");
        (webkit && tunnel).then_some(found)
    });

    app.signal(libc::SIGTERM);
    assert_quit_cleanly(&mut app, &children, "SIGTERM quits like the tray's Quit");
    for port in [desk.listen, desk.webhook_listen] {
        assert!(TcpListener::bind(("127.0.0.1", port)).is_ok(), "port {port} is free again once the app has quit");
    }
}

#[test]
#[ignore = "needs Xvfb, dbus-daemon and WebKitWebDriver: run by scripts/test-desktop"]
fn closing_the_window_quits_and_shuts_the_core_down() {
    let desk = Desk::new();
    let mut app = desk.launch("app");
    app.wait_log("window opened on the board", START);
    let children = wait_for(START, "WebKit's web process to start under the app", || {
        let found = descendants(app.pid());
        found.iter().any(|p| p.name.starts_with("WebKitWebProces")).then_some(found)
    });
    // The window may not be mapped yet: ask until it has been found.
    wait_for(START, "the window titled kds to be asked to close", || (support::close_windows(&desk.display.name, "kds") > 0).then_some(()));
    assert_quit_cleanly(&mut app, &children, "closing the window quits");
}

/// The app exits successfully after shutting the core down, and every
/// process it started is gone.
fn assert_quit_cleanly(app: &mut support::App, children: &[support::Process], how: &str) {
    let status = app.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{how}: {status:?}\n{}", app.log_text());
    let log = app.log_text();
    assert!(log.contains("quitting: shutting the core down") && log.contains("kds stopped"), "{how}, shutting the core down cleanly:\n{log}");
    for child in children {
        wait_for(Duration::from_secs(10), &format!("{child:?} to exit after the app"), || (!alive(child)).then_some(()));
    }
}
