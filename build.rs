//! Embeds the kitchen board (`ui/dist`) in the `kds` binary.
//!
//! When `ui/dist` is missing or older than the board's sources, and npm is on
//! PATH, this runs `npm ci` (only if `ui/node_modules` is missing) and
//! `npm run build` in `ui/`, so `cargo run -- serve` on a fresh clone gives a
//! working board. Set `KDS_UI_BUILD=0` to never run npm (then a missing
//! `ui/dist` embeds a page that says how to build it). It writes
//! `$OUT_DIR/board_assets.rs`: a table of (path, bytes, content type).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let ui = root.join("ui");
    let dist = ui.join("dist");
    for watched in ["ui/src", "ui/index.html", "ui/package-lock.json", "ui/vite.config.ts", "ui/dist"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    println!("cargo:rerun-if-env-changed=KDS_UI_BUILD");

    let may_build = std::env::var("KDS_UI_BUILD").map(|v| v != "0").unwrap_or(true);
    if may_build && ui.join("package.json").exists() && stale(&ui, &dist) {
        if let Err(why) = build_ui(&ui) {
            println!("cargo:warning=the board (ui/) was not rebuilt: {why}");
        }
    }

    let mut files = Vec::new();
    if dist.join("index.html").exists() {
        collect(&dist, &dist, &mut files);
    } else {
        println!("cargo:warning=ui/dist is missing: the binary serves a page saying how to build the board (cd ui && npm ci && npm run build)");
    }
    files.sort();

    let mut out = String::from("/// The board's files: (URL path, bytes, content type).\npub static ASSETS: &[(&str, &[u8], &str)] = &[\n");
    for (url, path) in &files {
        out.push_str(&format!("    ({url:?}, include_bytes!({:?}), {:?}),\n", path.display().to_string(), content_type(path)));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out_dir.join("board_assets.rs"), out).expect("OUT_DIR is writable");
}

/// Is `ui/dist` missing, or older than anything it is built from?
fn stale(ui: &Path, dist: &Path) -> bool {
    let Some(built) = modified(&dist.join("index.html")) else { return true };
    let mut newest = SystemTime::UNIX_EPOCH;
    for source in ["src", "index.html", "package-lock.json", "vite.config.ts", "svelte.config.js"] {
        newest_in(&ui.join(source), &mut newest);
    }
    newest > built
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn newest_in(path: &Path, newest: &mut SystemTime) {
    if path.is_dir() {
        for entry in fs::read_dir(path).into_iter().flatten().flatten() {
            newest_in(&entry.path(), newest);
        }
    } else if let Some(t) = modified(path) {
        *newest = (*newest).max(t);
    }
}

fn build_ui(ui: &Path) -> Result<(), String> {
    let npm = |args: &[&str]| -> Result<(), String> {
        let status = Command::new("npm")
            .args(args)
            .current_dir(ui)
            .status()
            .map_err(|e| format!("cannot run npm ({e}); install Node.js and npm, or build ui/dist by hand"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`npm {}` failed ({status})", args.join(" ")))
        }
    };
    if !ui.join("node_modules").exists() {
        npm(&["ci", "--no-audit", "--no-fund"])?;
    }
    npm(&["run", "build"])
}

fn collect(dir: &Path, base: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in fs::read_dir(dir).expect("ui/dist is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, base, files);
        } else {
            let rel = path.strip_prefix(base).expect("under dist").to_string_lossy().replace('\\', "/");
            files.push((format!("/{rel}"), path));
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "woff2" => "font/woff2",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
