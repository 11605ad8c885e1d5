//! What the desktop tests need around the real app: a private session bus
//! with a fake notification server, an X server (Xvfb), the app process with
//! its own data dir and ports, and a look at its process tree.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The webhook secret every test app is started with.
pub const SECRET: &str = "desktop-test-secret";

/// Polls `check` until it returns `Some`, or panics with `why` after `limit`.
pub fn wait_for<T>(limit: Duration, why: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {why}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Reads the first line a child writes to stdout (an address or display).
fn first_line(child: &mut Child, what: &str) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line).unwrap_or_else(|e| panic!("reading {what}: {e}"));
    assert!(!line.trim().is_empty(), "{what} printed nothing (is it installed? .ci/run installs it)");
    line.trim().to_string()
}

/// A child process killed, with everything it started, when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        for p in descendants(self.0.id()) {
            unsafe { libc::kill(p.pid as i32, libc::SIGKILL) };
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private session bus (`dbus-daemon --session`), gone when dropped.
pub struct Bus {
    pub address: String,
    _daemon: Guard,
}

impl Bus {
    pub fn start(dir: &Path) -> Bus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .arg(format!("--address=unix:path={}", dir.join("bus").display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon runs (apt package dbus; .ci/run installs it)");
        let address = first_line(&mut daemon, "dbus-daemon");
        Bus { address, _daemon: Guard(daemon) }
    }
}

/// One `Notify` call as the fake server recorded it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
}

struct FakeServer {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeServer {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        let id = shown.len() as u32 + 1;
        shown.push(Shown { id, app_name, summary, body, actions });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("fake".into(), "kds tests".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

/// A fake `org.freedesktop.Notifications` server on a bus, recording calls.
pub struct Notifications {
    shown: Arc<Mutex<Vec<Shown>>>,
    connection: zbus::blocking::Connection,
}

impl Notifications {
    pub fn serve(bus: &Bus) -> Notifications {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::blocking::connection::Builder::address(bus.address.as_str())
            .and_then(|b| b.name("org.freedesktop.Notifications"))
            .and_then(|b| b.serve_at("/org/freedesktop/Notifications", FakeServer { shown: shown.clone() }))
            .and_then(|b| b.build())
            .expect("the fake notification server starts on the private bus");
        Notifications { shown, connection }
    }

    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }

    /// Plays a click on notification `id`, as a notification server does.
    pub fn click(&self, id: u32) {
        self.connection
            .emit_signal(None::<&str>, "/org/freedesktop/Notifications", "org.freedesktop.Notifications", "ActionInvoked", &(id, "default"))
            .expect("the fake server emits ActionInvoked");
    }
}

/// An X server of its own (Xvfb), gone when dropped.
pub struct Display {
    pub name: String,
    _xvfb: Guard,
}

impl Display {
    pub fn start() -> Display {
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (apt package xvfb; .ci/run installs it)");
        let number = first_line(&mut xvfb, "Xvfb -displayfd");
        Display { name: format!(":{number}"), _xvfb: Guard(xvfb) }
    }
}

/// A free loopback port (bound, then released for the app to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Everything one desktop app instance runs in: a home and data dir of its
/// own, a display, a session bus with a fake notification server, ports.
pub struct Desk {
    pub dir: tempfile::TempDir,
    pub display: Display,
    pub bus: Bus,
    pub notifications: Notifications,
    pub listen: u16,
    pub webhook_listen: u16,
    pub extra_env: Vec<(String, String)>,
}

impl Desk {
    pub fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let display = Display::start();
        let bus = Bus::start(dir.path());
        let notifications = Notifications::serve(&bus);
        Desk { dir, display, bus, notifications, listen: free_port(), webhook_listen: free_port(), extra_env: Vec::new() }
    }

    pub fn app_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.listen)
    }

    pub fn intake_url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks/klikit", self.webhook_listen)
    }

    /// The environment the app runs with: nothing from the developer's
    /// session leaks in (home, config, data, bus, display are all private).
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.dir.path().join("home");
        let runtime = self.dir.path().join("run");
        for d in [&home, &runtime] {
            std::fs::create_dir_all(d).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut env: Vec<(String, String)> = [
            ("HOME", home.display().to_string()),
            ("XDG_CONFIG_HOME", home.join(".config").display().to_string()),
            ("XDG_DATA_HOME", home.join(".local/share").display().to_string()),
            ("XDG_CACHE_HOME", home.join(".cache").display().to_string()),
            ("XDG_RUNTIME_DIR", runtime.display().to_string()),
            ("DISPLAY", self.display.name.clone()),
            ("DBUS_SESSION_BUS_ADDRESS", self.bus.address.clone()),
            ("KDS_DATA_DIR", self.dir.path().join("data").display().to_string()),
            ("KDS_LISTEN", format!("127.0.0.1:{}", self.listen)),
            ("KDS_WEBHOOK_LISTEN", format!("127.0.0.1:{}", self.webhook_listen)),
            ("KLIKIT_WEBHOOK_SECRET", SECRET.to_string()),
            ("KDS_LOG", "info".to_string()),
            // Software rendering: Xvfb has no GPU.
            ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".to_string()),
            ("LIBGL_ALWAYS_SOFTWARE", "1".to_string()),
            ("NO_AT_BRIDGE", "1".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// Starts the desktop app directly, its log in `<dir>/<name>.log`.
    pub fn launch(&self, name: &str) -> App {
        self.launch_with(name, &[])
    }

    /// [`Desk::launch`] with command-line arguments.
    pub fn launch_with(&self, name: &str, args: &[&str]) -> App {
        self.run(Path::new(env!("CARGO_BIN_EXE_kds-desktop")), name, args)
    }

    /// Starts `binary` (the app built here, or an installed one) with `args`.
    pub fn run(&self, binary: &Path, name: &str, args: &[&str]) -> App {
        let log = self.dir.path().join(format!("{name}.log"));
        let child = Command::new(binary)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the kds-desktop binary starts");
        App { child: Some(child), log }
    }
}

/// A running app process and its log.
pub struct App {
    pub child: Option<Child>,
    pub log: PathBuf,
}

impl App {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn log_text(&self) -> String {
        read_log(&self.log)
    }

    /// Waits until the log has a line containing `text`.
    pub fn wait_log(&self, text: &str, limit: Duration) {
        wait_for(limit, &format!("{text:?} in the app log {}", self.log.display()), || self.log_text().contains(text).then_some(()));
    }

    /// Waits for the process to end.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("running");
        let status = wait_for(limit, "the app to exit", || child.try_wait().unwrap());
        self.child = None;
        status
    }

    pub fn signal(&self, signal: i32) {
        assert_eq!(unsafe { libc::kill(self.pid() as i32, signal) }, 0, "the app process exists to be signalled");
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            drop(Guard(child));
        }
    }
}

pub fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A process, told apart from a later one with the same pid by its start time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    pub started: u64,
}

/// (pid, ppid, comm, start time) of a live (not zombie) process.
fn stat(pid: u32) -> Option<(u32, String, u64, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text[open + 1..close].to_string();
    let fields: Vec<&str> = text[close + 2..].split(' ').collect();
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let started = fields.get(19)?.parse().ok()?;
    Some((ppid, name, started, state))
}

/// Every live descendant of `root`.
pub fn descendants(root: u32) -> Vec<Process> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if let Some((ppid, name, started, state)) = stat(pid) {
            if state != 'Z' {
                all.push((pid, ppid, name, started));
            }
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, ppid, name, started) in &all {
            if *ppid == parent {
                found.push(Process { pid: *pid, name: name.clone(), started: *started });
                frontier.push(*pid);
            }
        }
    }
    found
}

/// Whether that very process still runs.
pub fn alive(p: &Process) -> bool {
    matches!(stat(p.pid), Some((_, _, started, state)) if started == p.started && state != 'Z')
}

/// Resident memory (kB) of a process, from /proc.
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// Blocking HTTP for tests (a small runtime around reqwest).
pub struct Http {
    pub runtime: tokio::runtime::Runtime,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new() -> Http {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        Http { runtime, client }
    }

    /// Status and JSON body, or `None` when nothing answers.
    pub fn request(&self, method: reqwest::Method, url: &str, body: Option<serde_json::Value>) -> Option<(u16, serde_json::Value)> {
        self.runtime.block_on(async {
            let mut req = self.client.request(method, url);
            if let Some(body) = body {
                req = req.json(&body);
            }
            let res = req.send().await.ok()?;
            let status = res.status().as_u16();
            Some((status, res.json().await.unwrap_or(serde_json::Value::Null)))
        })
    }

    pub fn get(&self, url: &str) -> Option<(u16, serde_json::Value)> {
        self.request(reqwest::Method::GET, url, None)
    }

    /// Signs `body` with [`SECRET`] and posts it to the intake like klikit.
    pub fn deliver(&self, intake_url: &str, event_type: &str, body: &[u8]) -> u16 {
        let secret = kds::klikit::WebhookSecret::new(SECRET).unwrap();
        let delivery = kds::client::Delivery {
            event_id: kds::client::new_event_id(),
            event_type: kds::klikit::EventType::parse(event_type).expect("a known event type"),
            body: body.to_vec(),
        };
        self.runtime.block_on(kds::client::post(&self.client, intake_url, &secret, &delivery)).expect("the intake answers").status
    }
}

/// Delivers the single-order fixture (K7X2) to the app's intake, signed,
/// and waits for its notification on the session bus.
pub fn order_is_notified(desk: &Desk, http: &Http) -> Shown {
    let fixture = include_bytes!("../../../tests/fixtures/01-order-created-single.json");
    assert_eq!(http.deliver(&desk.intake_url(), "klikit.order.created.v2", fixture), 200, "a signed delivery is accepted");
    let shown = wait_for(Duration::from_secs(30), "a Notify call naming order K7X2 on the session bus", || {
        desk.notifications.shown().into_iter().find(|n| n.summary.contains("#K7X2"))
    });
    assert_eq!(shown.summary, "New order #K7X2 · Warung Sambal Ijo", "title: short id and brand");
    assert!(shown.body.contains("item") && shown.body.contains("delivery"), "body: item count and order type: {}", shown.body);
    shown
}

/// `WebKitWebDriver` (Debian's webkit2gtk-driver) driving the desktop app.
pub struct Driver {
    pub url: String,
    pub log: PathBuf,
    pub process: Guard,
    pub http: Http,
}

impl Driver {
    /// Starts the driver with the app's environment; the app's own log goes
    /// to the driver's stderr, `<dir>/driver.log`.
    pub fn start(desk: &Desk) -> Driver {
        let port = free_port();
        let log = desk.dir.path().join("driver.log");
        let child = Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(desk.env())
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("WebKitWebDriver runs (apt package webkit2gtk-driver; .ci/run installs it)");
        let driver = Driver { url: format!("http://127.0.0.1:{port}"), log, process: Guard(child), http: Http::new() };
        wait_for(Duration::from_secs(20), "WebKitWebDriver to answer /status", || driver.http.get(&format!("{}/status", driver.url)));
        driver
    }

    /// Opens a session: the driver launches the desktop app.
    pub fn session(&self) -> String {
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "webkitgtk:browserOptions": {"binary": env!("CARGO_BIN_EXE_kds-desktop"), "args": []}
        }}});
        let (status, body) = self.http.request(reqwest::Method::POST, &format!("{}/session", self.url), Some(caps)).expect("the driver answers");
        assert_eq!(status, 200, "a WebDriver session starts the app: {body}\n{}", read_log(&self.log));
        body["value"]["sessionId"].as_str().expect("a session id").to_string()
    }

    /// Runs `script` in the page and returns its value.
    pub fn execute(&self, session: &str, script: &str) -> serde_json::Value {
        let url = format!("{}/session/{session}/execute/sync", self.url);
        let (status, body) = self.http.request(reqwest::Method::POST, &url, Some(serde_json::json!({"script": script, "args": []}))).expect("the driver answers");
        if status != 200 {
            return serde_json::Value::Null;
        }
        body["value"].clone()
    }

    /// Runs an async script (it calls `arguments[0]` when done).
    pub fn execute_async(&self, session: &str, script: &str) -> serde_json::Value {
        let url = format!("{}/session/{session}/execute/async", self.url);
        let (_, body) = self.http.request(reqwest::Method::POST, &url, Some(serde_json::json!({"script": script, "args": []}))).expect("the driver answers");
        body["value"].clone()
    }

    /// Presses and releases one key (a WebDriver key code such as F11's `\u{E03B}`).
    pub fn press(&self, session: &str, key: &str) {
        let actions = serde_json::json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}
        ]}]});
        let (status, body) = self.http.request(reqwest::Method::POST, &format!("{}/session/{session}/actions", self.url), Some(actions)).expect("the driver answers");
        assert_eq!(status, 200, "the driver performs key actions: {body}");
    }

    /// The window's screenshot as PNG bytes.
    pub fn screenshot(&self, session: &str) -> Vec<u8> {
        use base64::Engine;
        let (status, body) = self.http.get(&format!("{}/session/{session}/screenshot", self.url)).expect("the driver answers");
        assert_eq!(status, 200, "the driver takes a screenshot: {body}");
        base64::engine::general_purpose::STANDARD.decode(body["value"].as_str().expect("base64 PNG")).expect("valid base64")
    }

    /// Closes the app's only window.
    pub fn close_window(&self, session: &str) {
        let _ = self.http.request(reqwest::Method::DELETE, &format!("{}/session/{session}/window", self.url), None);
    }
}

/// Where screenshots are kept: `test-output/` at the repository root (gitignored).
pub fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-output");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asks every top-level window titled `title` on `display` to close, the way
/// a window manager's close button does (a `WM_DELETE_WINDOW` message).
/// Returns how many windows were asked.
pub fn close_windows(display: &str, title: &str) -> usize {
    use std::ffi::{CStr, CString};
    use x11_dl::xlib;
    let x = xlib::Xlib::open().expect("libX11 loads (a GTK dependency)");
    let name = CString::new(display).unwrap();
    unsafe {
        let dpy = (x.XOpenDisplay)(name.as_ptr());
        assert!(!dpy.is_null(), "X display {display} opens");
        let protocols = (x.XInternAtom)(dpy, c"WM_PROTOCOLS".as_ptr(), xlib::False);
        let delete = (x.XInternAtom)(dpy, c"WM_DELETE_WINDOW".as_ptr(), xlib::False);
        let root = (x.XDefaultRootWindow)(dpy);
        let (mut root_out, mut parent, mut children, mut count) = (0, 0, std::ptr::null_mut(), 0);
        (x.XQueryTree)(dpy, root, &mut root_out, &mut parent, &mut children, &mut count);
        let mut asked = 0;
        for i in 0..count as usize {
            let window = *children.add(i);
            let mut fetched: *mut std::os::raw::c_char = std::ptr::null_mut();
            if (x.XFetchName)(dpy, window, &mut fetched) == 0 || fetched.is_null() {
                continue;
            }
            let matches = CStr::from_ptr(fetched).to_string_lossy() == title;
            (x.XFree)(fetched.cast());
            if !matches {
                continue;
            }
            let mut event: xlib::XEvent = std::mem::zeroed();
            event.client_message.type_ = xlib::ClientMessage;
            event.client_message.window = window;
            event.client_message.message_type = protocols;
            event.client_message.format = 32;
            event.client_message.data.set_long(0, delete as std::os::raw::c_long);
            event.client_message.data.set_long(1, xlib::CurrentTime as std::os::raw::c_long);
            (x.XSendEvent)(dpy, window, xlib::False, xlib::NoEventMask, &mut event);
            asked += 1;
        }
        if !children.is_null() {
            (x.XFree)(children.cast());
        }
        (x.XFlush)(dpy);
        (x.XCloseDisplay)(dpy);
        asked
    }
}
