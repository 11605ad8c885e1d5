//! Placeholder until the Tauri shell lands (issue 5): the workspace must build.
fn main() {
    eprintln!("kds-desktop: the desktop shell is not built yet; run `kds serve`");
    std::process::exit(2);
}
