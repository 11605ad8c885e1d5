//! How to install `cloudflared` on the operating system kds runs on: the
//! help the setup shows when the tunnel is `not_installed`. Plain text, one
//! step per line; the board shows it as text and never builds its own.

/// The steps for `os` (as `std::env::consts::OS` names it).
pub fn help(os: &str) -> Vec<String> {
    let steps: &[&str] = match os {
        "linux" => &[
            "Debian or Ubuntu: add Cloudflare's package repository (pkg.cloudflare.com, \"cloudflared\" for your release) and run: sudo apt-get install cloudflared",
            "Or download the cloudflared .deb for your machine from Cloudflare's cloudflared releases and run: sudo apt-get install ./cloudflared-linux-amd64.deb",
            "Or put the cloudflared binary anywhere and set its path in config.toml (cloudflared = \"/path/to/cloudflared\") or KDS_CLOUDFLARED.",
        ],
        "macos" => &["Install Homebrew if you have not, then run: brew install cloudflared"],
        "windows" => &["Open PowerShell and run: winget install --id Cloudflare.cloudflared", "Then restart kds so it finds cloudflared on PATH."],
        _ => &["Install cloudflared for your system from Cloudflare's downloads, then put it on PATH or set KDS_CLOUDFLARED."],
    };
    let mut out: Vec<String> = steps.iter().map(|s| s.to_string()).collect();
    out.push("kds looks for cloudflared again within a minute; no restart is needed on Linux and macOS.".into());
    out
}

/// The operating system's name as a person knows it.
pub fn os_name(os: &str) -> &'static str {
    match os {
        "linux" => "Linux",
        "macos" => "macOS",
        "windows" => "Windows",
        _ => "this system",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_system_gets_its_own_steps() {
        assert!(help("linux")[0].contains("apt-get install cloudflared"));
        assert!(help("macos")[0].contains("brew install cloudflared"));
        assert!(help("windows")[0].contains("winget"));
        assert!(!help("plan9").is_empty(), "an unknown system still gets a way forward");
    }
}
