//! Kitchen printers: ESC/POS receipt printers that print tickets, CHANGED
//! and CANCELLED chits, reprints and test pages, and print as the board's
//! backup while no screen is watching it.
//!
//! How a ticket reaches paper:
//! 1. A ticket change is committed with its print jobs in the same
//!    transaction: the store runs every change through the [`plan`] set by
//!    [`Printing::install`], and writes the jobs it asks for
//!    (`store::print_jobs`). A reprint or test page is a job written by the API.
//! 2. One [`sender`] per printer takes its jobs in order, lays each out
//!    ([`layout`]), encodes it ([`escpos`], with [`raster`] for what the code
//!    page cannot hold) and sends it, retrying with backoff; jobs survive a
//!    restart, and a job too old to matter is dropped with a notice.
//! 3. The [`backup`] watch turns a backup printer on after the board has had
//!    no live screen for a while, and off when one is back.
//!
//! What it owns: the printers' settings ([`printer`]), their live state for
//! the health strip ([`PrinterStatus`]), and the tasks above. What it never
//! does: block the pipeline. Senders and the backup watch are tasks of their
//! own; the plan runs inside the store's write job and is pure and quick.

pub mod backup;
pub mod escpos;
pub mod layout;
pub mod plan;
pub mod printer;
pub mod raster;
pub mod sender;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::shutdown::Shutdown;
use crate::store::{PrintKind, Store};
pub use printer::{Address, CodePage, PrintMode, PrintOn, Printer, PrinterConfig};

/// What the board shows for a printer.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterState {
    /// Nothing sent yet since start.
    Unknown,
    Ready,
    Offline,
    PaperOut,
    CoverOpen,
}

/// The last job dropped as too old.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Dropped {
    pub order_id: Option<String>,
    pub short_id: Option<String>,
    pub kind: PrintKind,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub queued_at: OffsetDateTime,
}

/// A printer's state since start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrinterStatus {
    pub name: String,
    pub state: PrinterState,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_printed_at: Option<OffsetDateTime>,
    /// A backup printer (prints only while the board has no screen).
    pub backup: bool,
    /// A backup printer that is printing now.
    pub backup_on: bool,
    /// Jobs dropped as too old since start.
    pub dropped: u64,
    pub last_dropped: Option<Dropped>,
}

/// What the senders, the backup watch, the plan and the API share.
#[derive(Clone)]
pub struct Shared {
    inner: Arc<SharedInner>,
}

pub struct SharedInner {
    pub printers: Vec<Printer>,
    states: Vec<Mutex<PrinterStatus>>,
    pub wakes: Vec<Notify>,
    /// Per printer: printing as the board's backup now.
    backup_on: Vec<AtomicBool>,
}

impl std::ops::Deref for Shared {
    type Target = SharedInner;
    fn deref(&self) -> &SharedInner {
        &self.inner
    }
}

impl Shared {
    fn update(&self, index: usize, f: impl FnOnce(&mut PrinterStatus)) {
        f(&mut self.states[index].lock().unwrap());
    }

    fn set_backup(&self, index: usize, on: bool) {
        if self.backup_on[index].swap(on, Ordering::SeqCst) != on {
            tracing::warn!(printer = %self.printers[index].name, on, "printing: backup printing {}", if on { "started: no screen is watching the board" } else { "stopped: a screen is back" });
            self.update(index, |s| s.backup_on = on);
        }
    }
}

/// The printers of this kds, and their tasks.
#[derive(Clone)]
pub struct Printing {
    shared: Shared,
}

impl Printing {
    pub fn new(printers: Vec<Printer>) -> Printing {
        let states = printers
            .iter()
            .map(|p| {
                Mutex::new(PrinterStatus {
                    name: p.name.clone(),
                    state: PrinterState::Unknown,
                    last_error: None,
                    last_printed_at: None,
                    backup: p.backup,
                    backup_on: false,
                    dropped: 0,
                    last_dropped: None,
                })
            })
            .collect();
        let wakes = printers.iter().map(|_| Notify::new()).collect();
        let backup_on = printers.iter().map(|_| AtomicBool::new(false)).collect();
        Printing { shared: Shared { inner: Arc::new(SharedInner { printers, states, wakes, backup_on }) } }
    }

    /// Whether any printer is configured.
    pub fn is_empty(&self) -> bool {
        self.shared.printers.is_empty()
    }

    pub fn printers(&self) -> &[Printer] {
        &self.shared.printers
    }

    /// Gives the store the print plan, so every later ticket change writes
    /// its print jobs in its own transaction. Without printers, nothing.
    pub fn install(&self, store: &Store) {
        if self.is_empty() {
            return;
        }
        let shared = self.shared.clone();
        store.set_print_plan(Arc::new(move |ticket, events| {
            let backup_on: Vec<bool> = shared.backup_on.iter().map(|b| b.load(Ordering::SeqCst)).collect();
            plan::plan(&shared.printers, &backup_on, ticket, events)
        }));
    }

    /// Starts a sender per printer, and the backup watch if a printer is a
    /// backup printer. `screens` counts the board's live screens.
    pub fn spawn(&self, store: &Store, screens: crate::api::Screens, shutdown: Shutdown) -> Vec<JoinHandle<()>> {
        let mut tasks: Vec<JoinHandle<()>> =
            (0..self.shared.printers.len()).map(|i| tokio::spawn(sender::run(store.clone(), self.shared.clone(), i, shutdown.clone()))).collect();
        if self.shared.printers.iter().any(|p| p.backup) {
            tasks.push(tokio::spawn(backup::watch(self.shared.clone(), screens, shutdown)));
        }
        tasks
    }

    /// Every printer's state, in configuration order.
    pub fn statuses(&self) -> Vec<PrinterStatus> {
        self.shared.states.iter().map(|s| s.lock().unwrap().clone()).collect()
    }

    /// The named printer, if configured.
    pub fn printer(&self, name: &str) -> Option<&Printer> {
        self.shared.printers.iter().find(|p| p.name == name)
    }

    /// Tells the named printer's sender a job is waiting.
    pub fn wake(&self, name: &str) {
        if let Some(i) = self.shared.printers.iter().position(|p| p.name == name) {
            self.shared.wakes[i].notify_one();
        }
    }

    /// The printers a reprint from a card goes to: every one but the backup printers.
    pub fn reprint_printers(&self) -> Vec<String> {
        self.shared.printers.iter().filter(|p| !p.backup).map(|p| p.name.clone()).collect()
    }
}
