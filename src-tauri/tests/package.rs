//! The installed `.deb`'s app, run for real: `scripts/test-package` builds
//! and installs the package, then runs this test against the installed
//! binary (`KDS_INSTALLED_APP`, normally `/usr/bin/kds-desktop`) under Xvfb
//! with a private session bus and a fake notification server, exactly as
//! the desktop tests run the binary built here.
//!
//! It also writes every shared library the app's processes have mapped
//! (`KDS_LOADED_LIBRARIES`), so the script can check the package's declared
//! dependencies against what the app really loads, `dlopen`ed ones included.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::{descendants, wait_for, Desk, Http};

#[test]
#[ignore = "needs the installed package, Xvfb and dbus-daemon: run by scripts/test-package"]
fn the_installed_app_notifies_and_shows_a_signed_order() {
    let binary = PathBuf::from(std::env::var("KDS_INSTALLED_APP").expect("KDS_INSTALLED_APP names the installed binary (scripts/test-package sets it)"));
    assert!(binary.is_file(), "{} is installed", binary.display());
    let desk = Desk::new();
    let app = desk.run(&binary, "installed", &[]);
    app.wait_log("window opened on the board", Duration::from_secs(90));

    let http = Http::new();
    support::order_is_notified(&desk, &http);
    let tickets = wait_for(Duration::from_secs(30), "the ticket in the installed app's API", || {
        http.get(&format!("{}/api/tickets", desk.app_url())).filter(|(status, body)| *status == 200 && body.to_string().contains("K7X2"))
    });
    assert!(tickets.1.to_string().contains("Warung Sambal Ijo"), "the ticket carries its brand: {}", tickets.1);

    // The first start wrote the login entry, pointing at the installed binary.
    let entry = desk.dir.path().join("home/.config/autostart/kds.desktop");
    let text = std::fs::read_to_string(&entry).unwrap_or_else(|e| panic!("the first start writes {}: {e}\n{}", entry.display(), app.log_text()));
    assert!(text.lines().any(|l| l.trim_end() == format!("Exec={} --autostart", binary.display())), "the login entry starts the installed binary:\n{text}");

    // Every shared library the app and its WebKit processes have mapped.
    let mut pids = vec![app.pid()];
    pids.extend(wait_for(Duration::from_secs(30), "WebKit's processes under the installed app", || {
        let found: Vec<u32> = descendants(app.pid()).iter().filter(|p| p.name.starts_with("WebKit")).map(|p| p.pid).collect();
        (found.len() >= 2).then_some(found)
    }));
    let mut libraries: Vec<String> = pids
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/maps")).ok())
        .flat_map(|maps| maps.lines().filter_map(|l| l.split_whitespace().nth(5).map(str::to_string)).collect::<Vec<_>>())
        .filter(|path| path.starts_with('/') && is_library(path))
        .collect();
    libraries.sort();
    libraries.dedup();
    assert!(libraries.iter().any(|l| l.contains("libwebkit2gtk-4.1")), "the app maps WebKitGTK: {libraries:?}");
    if let Some(out) = std::env::var_os("KDS_LOADED_LIBRARIES") {
        std::fs::write(out, libraries.join("\n") + "\n").unwrap();
    }
}

/// A shared library's path: `libx.so` or `libx.so.1.2.3` (not, say,
/// `/etc/ld.so.cache`, which the loader maps too).
fn is_library(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".so") || name.split_once(".so.").is_some_and(|(_, version)| version.split('.').all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

#[test]
fn a_library_path_is_told_from_other_mapped_files() {
    assert!(is_library("/usr/lib/x86_64-linux-gnu/libgtk-3.so.0.2406.32"), "a versioned library");
    assert!(is_library("/usr/lib/x86_64-linux-gnu/gio/modules/libgiognutls.so"), "a module");
    assert!(!is_library("/etc/ld.so.cache"), "the loader's cache is no library");
    assert!(!is_library("/usr/share/icons/hicolor/icon-theme.cache"), "nor a theme cache");
}
