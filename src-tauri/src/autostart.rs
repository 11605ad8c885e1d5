//! Starting the app at login: switched on once at the first start, then as
//! the user left it in Settings.
//!
//! The login entry itself belongs to the Tauri autostart plugin: on Linux it
//! writes `~/.config/autostart/kds.desktop` whose `Exec=` is this very binary
//! with [`ARG`]. This file owns what the plugin does not know:
//! - the user's remembered choice, `desktop-autostart` in the data dir
//!   (`on` or `off`), so that the first start can switch autostart on once and
//!   no later start switches it back on after the user turned it off;
//! - the two commands the board's Settings switch invokes;
//! - the check that makes a start at login ([`ARG`]) exit at once when the
//!   user switched autostart off (the `.deb` also ships a system-wide entry,
//!   `/etc/xdg/autostart/kds.desktop`, which only this check can silence).
//!
//! It never writes the login entry by hand, and it never decides anything
//! from the entry alone: the remembered choice wins at every start.

use std::io::Write;
use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager, Runtime};

/// The argument every login entry starts the app with.
pub const ARG: &str = "--autostart";

/// The remembered choice's file name in the data dir.
const FILE: &str = "desktop-autostart";

/// The user's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    On,
    Off,
}

impl Choice {
    fn word(self) -> &'static str {
        match self {
            Choice::On => "on",
            Choice::Off => "off",
        }
    }
}

/// What can go wrong while switching autostart.
#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    #[error("cannot read the remembered autostart choice {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the remembered autostart choice {path} says {found:?}, not on or off")]
    Garbled { path: PathBuf, found: String },
    #[error("cannot remember the autostart choice in {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot change the login entry: {0}")]
    Entry(String),
}

/// The login entry: written, removed and looked for by the autostart plugin
/// (the trait lets the tests use `auto-launch` directly, the library the
/// plugin wraps, without a Tauri app).
pub trait LoginEntry {
    fn enable(&self) -> Result<(), String>;
    fn disable(&self) -> Result<(), String>;
    fn is_enabled(&self) -> Result<bool, String>;
}

impl LoginEntry for tauri_plugin_autostart::AutoLaunchManager {
    fn enable(&self) -> Result<(), String> {
        tauri_plugin_autostart::AutoLaunchManager::enable(self).map_err(|e| e.to_string())
    }
    fn disable(&self) -> Result<(), String> {
        tauri_plugin_autostart::AutoLaunchManager::disable(self).map_err(|e| e.to_string())
    }
    fn is_enabled(&self) -> Result<bool, String> {
        tauri_plugin_autostart::AutoLaunchManager::is_enabled(self).map_err(|e| e.to_string())
    }
}

/// The remembered choice in one data dir, and the rules around it.
#[derive(Debug, Clone)]
pub struct Autostart {
    file: PathBuf,
}

impl Autostart {
    pub fn new(data_dir: &Path) -> Autostart {
        Autostart { file: data_dir.join(FILE) }
    }

    /// The remembered choice; `None` before the first start ever switched it.
    pub fn choice(&self) -> Result<Option<Choice>, AutostartError> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(AutostartError::Read { path: self.file.clone(), source }),
        };
        match text.trim() {
            "on" => Ok(Some(Choice::On)),
            "off" => Ok(Some(Choice::Off)),
            other => Err(AutostartError::Garbled { path: self.file.clone(), found: other.chars().take(40).collect() }),
        }
    }

    /// Writes the choice whole or not at all (a temporary file renamed over it).
    fn remember(&self, choice: Choice) -> Result<(), AutostartError> {
        let fail = |source| AutostartError::Write { path: self.file.clone(), source };
        if let Some(dir) = self.file.parent() {
            // The data dir: owner only when this is what creates it.
            kds::privacy::create_dir(dir).map_err(fail)?;
        }
        let tmp = self.file.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp).map_err(fail)?;
        writeln!(file, "{}", choice.word()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &self.file).map_err(fail)
    }

    /// At every start of the app: the first start (nothing remembered)
    /// switches autostart on and remembers that; later starts apply the
    /// remembered choice again, which also points an existing entry at this
    /// binary (it may have moved, say from a build dir to `/usr/bin`).
    pub fn apply_at_start(&self, entry: &impl LoginEntry) -> Result<Choice, AutostartError> {
        let choice = match self.choice()? {
            Some(choice) => choice,
            None => {
                self.remember(Choice::On)?;
                Choice::On
            }
        };
        apply(entry, choice)?;
        Ok(choice)
    }

    /// The Settings switch: remembers the choice first (so a failure to
    /// change the entry is retried at the next start), then changes the entry.
    pub fn set(&self, entry: &impl LoginEntry, on: bool) -> Result<bool, AutostartError> {
        let choice = if on { Choice::On } else { Choice::Off };
        self.remember(choice)?;
        apply(entry, choice)?;
        self.is_on(entry)
    }

    /// What the Settings switch shows: the remembered choice, or (with
    /// nothing remembered yet) whether the entry is there.
    pub fn is_on(&self, entry: &impl LoginEntry) -> Result<bool, AutostartError> {
        match self.choice()? {
            Some(choice) => Ok(choice == Choice::On),
            None => entry.is_enabled().map_err(AutostartError::Entry),
        }
    }

    /// Whether a start at login should quit at once: only when the user
    /// switched autostart off (an unreadable choice starts the app: better
    /// a board nobody asked for than a kitchen without one).
    pub fn switched_off(&self) -> bool {
        matches!(self.choice(), Ok(Some(Choice::Off)))
    }
}

fn apply(entry: &impl LoginEntry, choice: Choice) -> Result<(), AutostartError> {
    match choice {
        Choice::On => entry.enable(),
        Choice::Off => entry.disable(),
    }
    .map_err(AutostartError::Entry)
}

/// Whether this process was started by a login entry.
pub fn started_at_login() -> bool {
    std::env::args().skip(1).any(|a| a == ARG)
}

/// The plugin, set up to write its entry with [`ARG`] under the name `kds`.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new().app_name("kds").arg(ARG).build()
}

/// Applies the remembered choice at start; a failure is logged, never fatal.
pub fn at_start<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) {
    use tauri_plugin_autostart::ManagerExt;
    let autostart = Autostart::new(data_dir);
    match autostart.apply_at_start(&*app.autolaunch()) {
        Ok(choice) => tracing::info!(autostart = choice.word(), "start at login"),
        Err(e) => tracing::warn!(error = %e, "start at login left as it was"),
    }
    app.manage(autostart);
}

/// The Settings switch's state (the board shows the switch only in the app).
/// Both commands are `async` so that Tauri runs them off the main thread
/// (they touch files, the choice is synced to disk).
#[tauri::command]
pub async fn autostart_state(app: AppHandle) -> Result<bool, String> {
    use tauri_plugin_autostart::ManagerExt;
    app.state::<Autostart>().is_on(&*app.autolaunch()).map_err(to_board)
}

/// The Settings switch: turns autostart on or off and returns the new state.
#[tauri::command]
pub async fn set_autostart(app: AppHandle, on: bool) -> Result<bool, String> {
    use tauri_plugin_autostart::ManagerExt;
    let result = app.state::<Autostart>().set(&*app.autolaunch(), on);
    if result.is_ok() {
        tracing::info!(on, "start at login switched");
    }
    result.map_err(to_board)
}

/// Logs the details; the board gets a sentence without paths or causes.
fn to_board(e: AutostartError) -> String {
    tracing::error!(error = %e, "start at login");
    "Start at login could not be changed; the app's log says why.".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A login entry in memory, counting what was asked of it.
    #[derive(Default)]
    struct Entry {
        present: RefCell<bool>,
        fail: bool,
    }

    impl LoginEntry for Entry {
        fn enable(&self) -> Result<(), String> {
            if self.fail {
                return Err("no home".into());
            }
            *self.present.borrow_mut() = true;
            Ok(())
        }
        fn disable(&self) -> Result<(), String> {
            *self.present.borrow_mut() = false;
            Ok(())
        }
        fn is_enabled(&self) -> Result<bool, String> {
            Ok(*self.present.borrow())
        }
    }

    #[test]
    fn the_first_start_switches_it_on_once_and_a_switch_off_lasts_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = Autostart::new(dir.path());
        let entry = Entry::default();
        assert_eq!(autostart.apply_at_start(&entry).unwrap(), Choice::On, "nothing remembered: the first start switches autostart on");
        assert!(*entry.present.borrow(), "and writes the login entry");
        assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), "on\n", "and remembers it");

        assert!(!autostart.set(&entry, false).unwrap(), "the switch turns it off");
        assert!(!*entry.present.borrow(), "the entry is gone");
        assert_eq!(autostart.apply_at_start(&entry).unwrap(), Choice::Off, "a later start respects the user's off");
        assert!(!*entry.present.borrow(), "and does not write the entry back");
        assert!(autostart.switched_off(), "a start at login quits");

        assert!(autostart.set(&entry, true).unwrap(), "switched on again");
        assert!(!autostart.switched_off(), "a start at login goes ahead");
    }

    #[test]
    fn a_start_puts_back_an_entry_the_choice_wants() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = Autostart::new(dir.path());
        let entry = Entry::default();
        autostart.apply_at_start(&entry).unwrap();
        *entry.present.borrow_mut() = false;
        autostart.apply_at_start(&entry).unwrap();
        assert!(*entry.present.borrow(), "a remembered on rewrites the entry (and so its Exec follows the binary)");
    }

    #[test]
    fn a_garbled_choice_is_an_error_that_leaves_the_entry_alone_and_the_switch_rewrites_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "maybe\n").unwrap();
        let autostart = Autostart::new(dir.path());
        let entry = Entry::default();
        let err = autostart.apply_at_start(&entry).unwrap_err();
        assert!(matches!(err, AutostartError::Garbled { ref found, .. } if found == "maybe"), "a garbled file is named, not guessed: {err}");
        assert!(!*entry.present.borrow(), "a garbled choice does not switch anything on");
        assert!(!autostart.switched_off(), "a start at login goes ahead when the choice cannot be read");
        assert!(autostart.set(&entry, true).unwrap(), "the switch still works");
        assert_eq!(autostart.choice().unwrap(), Some(Choice::On), "and rewrites the file");
    }

    #[test]
    fn a_failing_entry_keeps_the_choice_for_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = Autostart::new(dir.path());
        let broken = Entry { fail: true, ..Entry::default() };
        assert!(matches!(autostart.set(&broken, true), Err(AutostartError::Entry(_))), "the entry's failure is reported");
        assert_eq!(autostart.choice().unwrap(), Some(Choice::On), "the choice is remembered anyway");
        let entry = Entry::default();
        autostart.apply_at_start(&entry).unwrap();
        assert!(*entry.present.borrow(), "the next start writes the entry");
    }
}
