//! `kds service install` / `uninstall`: keeps a headless kitchen PC's kds
//! running after every reboot or crash, as a systemd user service.
//!
//! It owns the unit file (`~/.config/systemd/user/kds.service`, or under
//! `$XDG_CONFIG_HOME`): `kds serve` with this binary's absolute path and
//! the data dir, restarted on failure, started at login (and at boot with
//! lingering). With systemd running it enables and starts the unit with
//! `systemctl --user`; without it (a container, another init) it writes
//! the file and prints what to do instead. It never touches the data dir
//! and never needs root.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

/// The unit's name.
pub const UNIT: &str = "kds.service";

/// Where the user's systemd units live: `$XDG_CONFIG_HOME/systemd/user`,
/// else `$HOME/.config/systemd/user`.
pub fn unit_dir() -> Result<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))
        .context("neither XDG_CONFIG_HOME nor HOME is set: cannot tell where the user's systemd units go")?;
    Ok(config.join("systemd/user"))
}

/// The unit file for `kds serve` run from `program` on `data_dir`.
pub fn unit(program: &Path, data_dir: &Path) -> String {
    format!(
        "# Written by `kds service install`; `kds service uninstall` removes it.\n\
         [Unit]\n\
         Description=kds kitchen display (klikit order webhooks)\n\
         After=network-online.target\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={program} serve --data-dir {data_dir}\n\
         Restart=on-failure\n\
         RestartSec=2\n\
         # kds drains in-flight deliveries and stops cloudflared on SIGTERM.\n\
         KillSignal=SIGTERM\n\
         TimeoutStopSec=30\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        program = quote(program),
        data_dir = quote(data_dir),
    )
}

/// A path as one systemd command-line word (quoted when it has spaces).
fn quote(path: &Path) -> String {
    let s = path.display().to_string();
    if s.contains(char::is_whitespace) || s.contains('"') {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s
    }
}

/// Whether systemd manages this machine (as `sd_booted()` decides) and
/// `systemctl` can be run.
fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir() && Command::new("systemctl").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// `systemctl --user ARGS`; the error names the command.
fn systemctl(args: &[&str]) -> Result<()> {
    let out = Command::new("systemctl").arg("--user").args(args).output().context("cannot run systemctl")?;
    anyhow::ensure!(out.status.success(), "`systemctl --user {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    Ok(())
}

/// Writes the unit and, with systemd running, enables and starts it.
pub fn install(data_dir: &Path) -> Result<()> {
    let program = std::env::current_exe().context("cannot tell where this kds binary is")?;
    let program = program.canonicalize().unwrap_or(program);
    let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let dir = unit_dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(UNIT);
    std::fs::write(&path, unit(&program, &data_dir)).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    if systemd_running() {
        systemctl(&["daemon-reload"])?;
        systemctl(&["enable", "--now", UNIT])?;
        println!("enabled and started {UNIT}: it starts at every login and restarts if it fails");
        println!("to start it at boot before anyone logs in: loginctl enable-linger $USER");
    } else {
        println!("systemd is not running here, so nothing was enabled. Instead:");
        println!("  - on a machine with systemd: systemctl --user daemon-reload && systemctl --user enable --now {UNIT}");
        println!("  - otherwise start `{} serve --data-dir {}` from your init system or session autostart", quote(&program), quote(&data_dir));
    }
    Ok(())
}

/// Stops and disables the unit (with systemd running) and removes the file.
pub fn uninstall() -> Result<()> {
    let path = unit_dir()?.join(UNIT);
    if systemd_running() {
        // Already stopped or never enabled is fine: the file goes either way.
        if let Err(e) = systemctl(&["disable", "--now", UNIT]) {
            eprintln!("kds: {e:#}");
        }
    }
    match std::fs::remove_file(&path) {
        Ok(()) => println!("removed {}", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => println!("nothing to remove: {} does not exist", path.display()),
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
    if systemd_running() {
        systemctl(&["daemon-reload"])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_runs_this_binary_on_the_data_dir_and_restarts_on_failure() {
        let u = unit(Path::new("/opt/kds/bin/kds"), Path::new("/home/cook/kitchen data"));
        assert!(u.contains("\nExecStart=/opt/kds/bin/kds serve --data-dir \"/home/cook/kitchen data\"\n"), "{u}");
        assert!(u.contains("\nRestart=on-failure\n"));
        assert!(u.contains("\nWantedBy=default.target\n"), "enabled units start with the user's session");
    }
}
