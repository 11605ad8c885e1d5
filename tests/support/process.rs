//! Running the real `kds` binary as a child process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `kds serve` child process and the addresses it printed.
pub struct KdsProcess {
    pub child: Child,
    pub intake_url: String,
    pub app_url: String,
}

pub fn kds_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kds")
}

/// Starts `kds serve` on port 0 in `data_dir` and waits for its listening line.
pub fn serve(data_dir: &Path, secret: &str, extra_env: &[(&str, &str)]) -> KdsProcess {
    serve_via(&[], data_dir, secret, extra_env)
}

/// As [`serve`], with `kds` run through `prefix` (e.g. `setpriv` to drop
/// privileges).
pub fn serve_via(prefix: &[&str], data_dir: &Path, secret: &str, extra_env: &[(&str, &str)]) -> KdsProcess {
    let mut cmd = match prefix.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(kds_bin());
            c
        }
        None => Command::new(kds_bin()),
    };
    cmd.args(["serve", "--webhook-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("KLIKIT_WEBHOOK_SECRET", secret)
        .env("KDS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("kds starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(listening) = kds::server::Listening::parse(&line) {
                let _ = tx.send(listening);
            }
        }
    });
    let listening = rx.recv_timeout(Duration::from_secs(30)).expect("kds serve prints its listening line");
    KdsProcess { intake_url: listening.intake_url, app_url: listening.app_url, child }
}

impl KdsProcess {
    /// SIGKILL: no chance to flush or close anything.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit status (bounded).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("kds did not exit within 20 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for KdsProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
