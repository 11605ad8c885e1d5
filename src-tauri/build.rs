//! Tauri's build step, pointed at the root `tauri.conf.json`; the commands
//! the board page may invoke are declared here (see `capabilities/`).
fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(&["toggle_kiosk", "autostart_state", "set_autostart"]));
    tauri_build::try_build(attributes).expect("tauri build step (see tauri.conf.json at the repository root)");
}
