//! Starting and stopping the `cloudflared` child so that it never outlives
//! kds: finding the program, building its command line, spawning it in its
//! own process group with the Linux parent-death signal, and terminating the
//! whole group.
//!
//! It never reads the child's output or decides anything about its state.
//!
//! Why a dedicated spawner thread: `PR_SET_PDEATHSIG` fires when the *thread*
//! that forked the child exits, not the process. Tokio may retire the thread
//! a task runs on, so every child is forked from one thread that lives as
//! long as the process; the signal then fires exactly when kds dies, however
//! it dies (including `SIGKILL`).

use std::ffi::OsStr;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::config::{Secret, TunnelMode};

/// The program's file name.
#[cfg(windows)]
const PROGRAM: &str = "cloudflared.exe";
#[cfg(not(windows))]
const PROGRAM: &str = "cloudflared";

/// Environment variables of kds that the child must not inherit: cloudflared
/// needs none of our secrets.
const SCRUBBED_ENV: &[&str] = &["KLIKIT_WEBHOOK_SECRET", "KLIKIT_WEBHOOK_SECRET_PREVIOUS", "KDS_API_TOKEN", "KDS_TUNNEL_TOKEN", "TUNNEL_TOKEN"];

/// Where `cloudflared` is: the configured path (a bare name is looked up on
/// `path_var`), else `cloudflared` on `path_var`. `None`: not installed.
pub fn find_program(configured: Option<&Path>, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let lookup = |name: &OsStr| path_var.into_iter().flat_map(std::env::split_paths).map(|dir| dir.join(name)).find(|p| is_executable(p));
    match configured {
        Some(path) if path.components().count() > 1 || path.is_absolute() => is_executable(path).then(|| path.to_owned()),
        Some(name) => lookup(name.as_os_str()),
        None => lookup(OsStr::new(PROGRAM)),
    }
}

fn is_executable(path: &Path) -> bool {
    match std::fs::metadata(path) {
        #[cfg(unix)]
        Ok(meta) => {
            use std::os::unix::fs::PermissionsExt;
            meta.is_file() && meta.permissions().mode() & 0o111 != 0
        }
        #[cfg(not(unix))]
        Ok(meta) => meta.is_file(),
        Err(_) => false,
    }
}

/// The arguments for `mode`, pointing at `target` (the intake listener) and
/// serving metrics on `metrics`. The named tunnel's token is *not* among
/// them: it travels in `TUNNEL_TOKEN`, so `ps` never shows it.
pub fn arguments(mode: TunnelMode, target: SocketAddr, metrics: SocketAddr) -> Vec<String> {
    let mut args: Vec<String> = vec!["tunnel".into(), "--no-autoupdate".into(), "--metrics".into(), metrics.to_string()];
    match mode {
        TunnelMode::Quick => args.extend(["--url".into(), format!("http://{target}")]),
        TunnelMode::Named => args.push("run".into()),
        TunnelMode::Off => {}
    }
    args
}

/// A loopback port that was free a moment ago, for cloudflared's metrics.
pub fn free_loopback_port() -> io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr()
}

/// Builds the command: piped output, scrubbed environment, the token (if
/// any) in `TUNNEL_TOKEN`, its own process group, killed when kds dies.
/// `stop_grace` is how long [`terminate`] waits before `SIGKILL`; cloudflared
/// is told (`TUNNEL_GRACE_PERIOD`, default 30 s) to finish in-flight requests
/// a second sooner, so it exits by itself.
pub fn command(program: &Path, args: &[String], token: Option<&Secret>, stop_grace: Duration) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for name in SCRUBBED_ENV {
        cmd.env_remove(name);
    }
    if let Some(token) = token {
        cmd.env("TUNNEL_TOKEN", token.expose());
    }
    let grace = stop_grace.saturating_sub(Duration::from_secs(1)).max(Duration::from_millis(500));
    cmd.env("TUNNEL_GRACE_PERIOD", format!("{}ms", grace.as_millis()));
    #[cfg(unix)]
    {
        cmd.process_group(0);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the closure runs in the forked child before exec and calls
        // only async-signal-safe functions (prctl, getppid, _exit).
        unsafe {
            cmd.pre_exec(move || {
                #[cfg(target_os = "linux")]
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
                // kds died between fork and prctl: the signal will never come.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    cmd
}

struct SpawnRequest {
    command: Command,
    runtime: tokio::runtime::Handle,
    reply: tokio::sync::oneshot::Sender<io::Result<Child>>,
}

/// Spawns `command` from the long-lived spawner thread (see the module doc).
pub async fn spawn(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("kds-tunnel-spawner".into())
            .spawn(move || {
                for mut req in rx {
                    let _runtime = req.runtime.enter();
                    let _ = req.reply.send(req.command.spawn());
                }
            })
            .expect("the OS starts a thread");
        Mutex::new(tx)
    });
    let (reply, answer) = tokio::sync::oneshot::channel();
    let request = SpawnRequest { command, runtime: tokio::runtime::Handle::current(), reply };
    sender.lock().unwrap().send(request).map_err(|_| io::Error::other("the spawner thread is gone"))?;
    answer.await.map_err(|_| io::Error::other("the spawner thread dropped the request"))?
}

/// Stops the child and its process group: `SIGTERM`, then after `grace`
/// `SIGKILL`. Returns once the child is reaped.
pub async fn terminate(child: &mut Child, grace: Duration) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        signal_group(pid, libc::SIGTERM);
        if tokio::time::timeout(grace, child.wait()).await.is_ok() {
            // The leader is gone; make sure nothing else of its group lingers.
            signal_group(pid, libc::SIGKILL);
            return;
        }
        signal_group(pid, libc::SIGKILL);
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

#[cfg(unix)]
fn signal_group(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) with a negative pid signals that process group; the
    // group is the child's own (process_group(0)), never kds's.
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_never_an_argument_and_the_target_is_the_intake() {
        let target: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let metrics: SocketAddr = "127.0.0.1:20241".parse().unwrap();
        assert_eq!(
            arguments(TunnelMode::Quick, target, metrics),
            ["tunnel", "--no-autoupdate", "--metrics", "127.0.0.1:20241", "--url", "http://127.0.0.1:8080"]
        );
        assert_eq!(arguments(TunnelMode::Named, target, metrics), ["tunnel", "--no-autoupdate", "--metrics", "127.0.0.1:20241", "run"]);
    }

    #[test]
    fn finds_the_program_on_path_or_where_configured() {
        let dir = tempfile::tempdir().unwrap();
        let path_var = std::env::join_paths([dir.path()]).unwrap();
        assert_eq!(find_program(None, Some(&path_var)), None, "an empty PATH has no cloudflared");
        assert_eq!(find_program(None, None), None);
        let program = dir.path().join(PROGRAM);
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            assert_eq!(find_program(None, Some(&path_var)), None, "a file that is not executable does not count");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(find_program(None, Some(&path_var)), Some(program.clone()));
        assert_eq!(find_program(Some(&program), None), Some(program.clone()), "a configured path needs no PATH");
        assert_eq!(find_program(Some(Path::new(PROGRAM)), Some(&path_var)), Some(program), "a bare name is looked up on PATH");
        assert_eq!(find_program(Some(&dir.path().join("missing")), Some(&path_var)), None);
    }
}
