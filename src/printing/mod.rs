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
//! the health strip ([`PrinterStatus`]), and the tasks above. The list of
//! printers can change while kds runs ([`Printing::reconfigure`], from the
//! settings view): no restart, no job lost. What it never
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
use std::sync::{Arc, Mutex, RwLock};

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
    /// Nothing sent yet since start (or since its settings changed).
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

/// One configured printer as its sender, the backup watch, the plan and the
/// API share it. Its settings can change while it runs (the sender reads
/// them afresh for every job); a removed printer is `retired` and its
/// sender ends.
pub struct Entry {
    printer: RwLock<Printer>,
    status: Mutex<PrinterStatus>,
    /// Wakes the sender: a job is waiting, or the settings changed.
    pub wake: Notify,
    /// Printing as the board's backup now.
    backup_on: AtomicBool,
    retired: AtomicBool,
}

impl Entry {
    fn new(printer: Printer) -> Entry {
        let status = PrinterStatus {
            name: printer.name.clone(),
            state: PrinterState::Unknown,
            last_error: None,
            last_printed_at: None,
            backup: printer.backup,
            backup_on: false,
            dropped: 0,
            last_dropped: None,
        };
        Entry { printer: RwLock::new(printer), status: Mutex::new(status), wake: Notify::new(), backup_on: AtomicBool::new(false), retired: AtomicBool::new(false) }
    }

    /// The printer's settings now.
    pub fn printer(&self) -> Printer {
        self.printer.read().unwrap().clone()
    }

    fn name(&self) -> String {
        self.printer.read().unwrap().name.clone()
    }

    fn update(&self, f: impl FnOnce(&mut PrinterStatus)) {
        f(&mut self.status.lock().unwrap());
    }

    /// Removed from the configuration: its sender stops.
    fn is_retired(&self) -> bool {
        self.retired.load(Ordering::SeqCst)
    }

    fn is_backup_on(&self) -> bool {
        self.backup_on.load(Ordering::SeqCst)
    }

    fn set_backup(&self, on: bool) {
        if self.backup_on.swap(on, Ordering::SeqCst) != on {
            tracing::warn!(printer = %self.name(), on, "printing: backup printing {}", if on { "started: no screen is watching the board" } else { "stopped: a screen is back" });
            self.update(|s| s.backup_on = on);
        }
    }

    /// New settings for the same printer: its state starts over, since
    /// what it said about the old address says nothing about the new one.
    fn reconfigure(&self, printer: Printer) {
        let backup = printer.backup;
        *self.printer.write().unwrap() = printer;
        if !backup {
            self.backup_on.store(false, Ordering::SeqCst);
        }
        self.update(|s| {
            s.state = PrinterState::Unknown;
            s.last_error = None;
            s.backup = backup;
            s.backup_on = backup && s.backup_on;
        });
        self.wake.notify_one();
    }
}

/// What `spawn` left running, so a printer added later gets a sender too.
struct Running {
    store: Store,
    shutdown: Shutdown,
    senders: Vec<JoinHandle<()>>,
}

struct Inner {
    /// The printers in configuration order.
    entries: RwLock<Vec<Arc<Entry>>>,
    running: Mutex<Option<Running>>,
}

/// The printers of this kds, and their tasks. Cloning shares them.
#[derive(Clone)]
pub struct Printing {
    inner: Arc<Inner>,
}

impl Printing {
    pub fn new(printers: Vec<Printer>) -> Printing {
        let entries = printers.into_iter().map(|p| Arc::new(Entry::new(p))).collect();
        Printing { inner: Arc::new(Inner { entries: RwLock::new(entries), running: Mutex::new(None) }) }
    }

    fn entries(&self) -> Vec<Arc<Entry>> {
        self.inner.entries.read().unwrap().clone()
    }

    fn entry(&self, name: &str) -> Option<Arc<Entry>> {
        self.inner.entries.read().unwrap().iter().find(|e| e.name() == name).cloned()
    }

    /// Whether any printer is configured.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.read().unwrap().is_empty()
    }

    /// The printers' settings now, in configuration order.
    pub fn printers(&self) -> Vec<Printer> {
        self.entries().iter().map(|e| e.printer()).collect()
    }

    /// Gives the store the print plan, so every later ticket change writes
    /// its print jobs in its own transaction. It reads the printers as they
    /// are at that moment, so printers added or changed later are planned
    /// for at once (without printers, it plans nothing).
    pub fn install(&self, store: &Store) {
        let inner = self.inner.clone();
        store.set_print_plan(Arc::new(move |ticket, events| {
            let entries = inner.entries.read().unwrap();
            if entries.is_empty() {
                return Vec::new();
            }
            let printers: Vec<Printer> = entries.iter().map(|e| e.printer()).collect();
            let backup_on: Vec<bool> = entries.iter().map(|e| e.is_backup_on()).collect();
            plan::plan(&printers, &backup_on, ticket, events)
        }));
    }

    /// Starts a sender per printer and the backup watch. The one task
    /// returned ends on `shutdown` once every sender (including those of
    /// printers added later) has ended. `screens` counts the board's live screens.
    pub fn spawn(&self, store: &Store, screens: crate::api::Screens, shutdown: Shutdown) -> JoinHandle<()> {
        let senders = self.entries().into_iter().map(|e| tokio::spawn(sender::run(store.clone(), e, shutdown.clone()))).collect();
        *self.inner.running.lock().unwrap() = Some(Running { store: store.clone(), shutdown: shutdown.clone(), senders });
        let printing = self.clone();
        tokio::spawn(async move {
            backup::watch(printing.clone(), screens, shutdown).await;
            let senders = printing.inner.running.lock().unwrap().take().map(|r| r.senders).unwrap_or_default();
            for s in senders {
                let _ = s.await;
            }
        })
    }

    /// Applies a new, checked list of printers without a restart: a new
    /// name gets a sender, a changed one its sender uses the new settings
    /// from its next job, and a removed one's sender stops (after the job
    /// it may be sending). Returns the names removed.
    pub fn reconfigure(&self, printers: Vec<Printer>) -> Vec<String> {
        let mut entries = self.inner.entries.write().unwrap();
        let mut next = Vec::with_capacity(printers.len());
        for p in printers {
            match entries.iter().find(|e| e.name() == p.name) {
                Some(e) => {
                    if e.printer() != p {
                        tracing::info!(printer = %p.name, "printing: printer settings changed");
                        e.reconfigure(p);
                    }
                    next.push(e.clone());
                }
                None => {
                    tracing::info!(printer = %p.name, address = %p.address, "printing: printer added");
                    let e = Arc::new(Entry::new(p));
                    if let Some(running) = self.inner.running.lock().unwrap().as_mut() {
                        running.senders.retain(|s| !s.is_finished());
                        running.senders.push(tokio::spawn(sender::run(running.store.clone(), e.clone(), running.shutdown.clone())));
                    }
                    next.push(e);
                }
            }
        }
        let mut removed = Vec::new();
        for e in entries.iter().filter(|e| !next.iter().any(|n| Arc::ptr_eq(n, e))) {
            tracing::info!(printer = %e.name(), "printing: printer removed");
            e.retired.store(true, Ordering::SeqCst);
            e.wake.notify_one();
            removed.push(e.name());
        }
        *entries = next;
        removed
    }

    /// Every printer's state, in configuration order.
    pub fn statuses(&self) -> Vec<PrinterStatus> {
        self.entries().iter().map(|e| e.status.lock().unwrap().clone()).collect()
    }

    /// The named printer's settings, if configured.
    pub fn printer(&self, name: &str) -> Option<Printer> {
        self.entry(name).map(|e| e.printer())
    }

    /// Tells the named printer's sender a job is waiting.
    pub fn wake(&self, name: &str) {
        if let Some(e) = self.entry(name) {
            e.wake.notify_one();
        }
    }

    /// The printers a reprint of `ticket` goes to: every one but the backup
    /// printers, and of the station printers those with lines in it.
    pub fn reprint_printers(&self, ticket: &crate::kitchen::Ticket) -> Vec<String> {
        self.printers().into_iter().filter(|p| !p.backup && ticket.lines.iter().any(|l| p.prints_station(&l.station))).map(|p| p.name).collect()
    }
}
