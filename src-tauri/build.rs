//! Tauri's build step, pointed at the root `tauri.conf.json`; the one command
//! the board page may invoke is declared here (see `capabilities/kiosk.json`).
fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(&["toggle_kiosk"]));
    tauri_build::try_build(attributes).expect("tauri build step (see tauri.conf.json at the repository root)");
}
