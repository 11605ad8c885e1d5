//! One printer's sender: the task that takes the printer's jobs from the
//! store in order and sends each one, alone on its own task so that a slow
//! or dead printer never holds up intake, the applier or the board.
//!
//! For each job, oldest first:
//! 1. Older than the printer's `max_age`: dropped (marked in the store and
//!    shown on the board's health strip), never printed.
//! 2. Connect (a network printer's raw port, or the device file). A network
//!    printer is asked its status (`DLE EOT 2`, `DLE EOT 4`); a cover open or
//!    paper out holds the job. A printer that does not answer is sent to anyway.
//! 3. Mark the job `sending` (durably), send every byte, mark it `printed`.
//!    A printer that answered the status queries is asked once more after
//!    the job (`DLE EOT 1`); its answer means every byte arrived.
//!    A job found `sending` (the send failed midway, or kds died) may have
//!    printed in part, so it goes out again marked REPRINT.
//!
//! Any failure holds the queue and retries after a backoff (0.2 s doubling
//! to 5 s); jobs never overtake each other.
//!
//! What it never does: decide what to print (the plan wrote the jobs) or
//! run SQL (the store does, off the async runtime).

use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::escpos::{self, Condition};
use super::layout::{self, Marks, Page};
use super::printer::{Address, Printer};
use std::sync::Arc;

use super::{Dropped, Entry, PrinterState};
use crate::shutdown::Shutdown;
use crate::store::{PrintJob, PrintOutcome, Store};

const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const STATUS_TIMEOUT: Duration = Duration::from_millis(500);
const SEND_TIMEOUT: Duration = Duration::from_secs(15);
/// How often an idle sender looks at its queue even without a wake-up.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Why one attempt did not print.
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("cannot reach the printer: {0}")]
    Offline(String),
    #[error("the printer's cover is open")]
    CoverOpen,
    #[error("the printer is out of paper")]
    PaperOut,
    #[error("the send was cut off: {0}")]
    Interrupted(String),
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// The bytes of one job for `printer`.
pub fn render(job: &PrintJob, printer: &Printer, now: OffsetDateTime) -> Vec<u8> {
    let marks = Marks { reprint: job.reprint || job.interrupted, backup: job.backup };
    let page = Page { columns: printer.columns(), utc_offset: printer.utc_offset, printer: printer.name.clone(), station: printer.station_label() };
    // A station printer's ticket holds only its stations' lines.
    let ticket = job.ticket.clone().map(|mut t| {
        t.lines.retain(|l| printer.prints_station(&l.station));
        t
    });
    let doc = layout::document(job.kind, ticket.as_ref(), marks, &page, now);
    escpos::encode(&doc, printer)
}

/// Runs one printer's sender until `shutdown`, or until the printer is
/// removed. Its settings are read afresh for every job, so a change made in
/// the settings view applies from the next one.
pub async fn run(store: Store, entry: Arc<Entry>, mut shutdown: Shutdown) {
    let mut changes = store.subscribe_changes();
    let mut backoff = MIN_BACKOFF;
    loop {
        if entry.is_retired() {
            return;
        }
        let printer = entry.printer();
        while !matches!(changes.try_recv(), Err(tokio::sync::broadcast::error::TryRecvError::Empty | tokio::sync::broadcast::error::TryRecvError::Closed)) {}
        let job = match store.next_print_job(&printer.name).await {
            Ok(job) => job,
            Err(e) => {
                tracing::error!(printer = %printer.name, error = %e, "printing: cannot read the print queue");
                if pause(&mut shutdown, &entry, MAX_BACKOFF).await {
                    return;
                }
                continue;
            }
        };
        let Some(job) = job else {
            tokio::select! {
                _ = changes.recv() => {}
                _ = entry.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.wait() => return,
            }
            continue;
        };
        let now = OffsetDateTime::now_utc();
        let age = now - job.created_at;
        if age > printer.max_age {
            if let Err(e) = store.mark_print_job(job.id, PrintOutcome::Dropped, Some(format!("not printed: {}s old", age.whole_seconds())), now).await {
                tracing::error!(printer = %printer.name, error = %e, "printing: cannot mark a stale job");
                if pause(&mut shutdown, &entry, MAX_BACKOFF).await {
                    return;
                }
                continue;
            }
            tracing::warn!(printer = %printer.name, job = job.id, order_id = ?job.order_id, age_s = age.whole_seconds(), "printing: job too old, dropped");
            entry.update(|s| {
                s.dropped += 1;
                s.last_dropped = Some(Dropped {
                    order_id: job.order_id.clone(),
                    short_id: job.ticket.as_ref().map(|t| t.short_id.clone()),
                    kind: job.kind,
                    queued_at: job.created_at,
                });
            });
            continue;
        }
        // Shutdown does not wait for a slow printer: a job cut off here is
        // still `sending`, and prints again after the restart marked REPRINT.
        let sent = tokio::select! {
            sent = send(&store, &printer, &job) => sent,
            _ = shutdown.wait() => return,
        };
        match sent {
            Ok(()) => {
                backoff = MIN_BACKOFF;
                entry.update(|s| {
                    s.state = PrinterState::Ready;
                    s.last_error = None;
                    s.last_printed_at = Some(OffsetDateTime::now_utc());
                });
            }
            Err(e) => {
                tracing::warn!(printer = %printer.name, job = job.id, error = %e, retry_in = ?backoff, "printing: not printed; holding the queue");
                entry.update(|s| {
                    s.state = match e {
                        SendError::CoverOpen => PrinterState::CoverOpen,
                        SendError::PaperOut => PrinterState::PaperOut,
                        _ => PrinterState::Offline,
                    };
                    s.last_error = Some(e.to_string());
                });
                if pause(&mut shutdown, &entry, backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Sleeps `d`, or less if woken (the settings changed, or a new job: try
/// again now); true if shutdown came first.
async fn pause(shutdown: &mut Shutdown, entry: &Entry, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = entry.wake.notified() => false,
        _ = shutdown.wait() => true,
    }
}

/// A connection to a printer.
enum Connection {
    Tcp(tokio::net::TcpStream),
    File(tokio::fs::File),
}

async fn connect(address: &Address) -> Result<Connection, SendError> {
    match address {
        Address::Tcp { host, port } => {
            let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect((host.as_str(), *port)))
                .await
                .map_err(|_| SendError::Offline(format!("no answer within {CONNECT_TIMEOUT:?}")))?
                .map_err(|e| SendError::Offline(e.to_string()))?;
            let _ = stream.set_nodelay(true);
            Ok(Connection::Tcp(stream))
        }
        Address::File(path) => {
            let file = tokio::fs::OpenOptions::new().append(true).open(path).await.map_err(|e| SendError::Offline(format!("{}: {e}", path.display())))?;
            Ok(Connection::File(file))
        }
    }
}

/// Asks a network printer's condition; `None` when it does not answer
/// (not every printer does).
async fn ask_condition(stream: &mut tokio::net::TcpStream) -> Option<Condition> {
    let mut answers = [0u8; 2];
    for (i, query) in [escpos::STATUS_OFFLINE_CAUSE, escpos::STATUS_PAPER].iter().enumerate() {
        stream.write_all(query).await.ok()?;
        answers[i] = tokio::time::timeout(STATUS_TIMEOUT, stream.read_u8()).await.ok()?.ok()?;
    }
    Some(escpos::condition(answers[0], answers[1]))
}

async fn send(store: &Store, printer: &Printer, job: &PrintJob) -> Result<(), SendError> {
    let mut connection = connect(&printer.address).await?;
    let mut answers_status = false;
    if let Connection::Tcp(stream) = &mut connection {
        match ask_condition(stream).await {
            Some(Condition::CoverOpen) => return Err(SendError::CoverOpen),
            Some(Condition::PaperOut) => return Err(SendError::PaperOut),
            Some(Condition::Ready) => answers_status = true,
            None => {}
        }
    }
    let (job_copy, printer_copy) = (job.clone(), printer.clone());
    // Rasterising a line takes a few milliseconds: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || render(&job_copy, &printer_copy, OffsetDateTime::now_utc()))
        .await
        .map_err(|e| SendError::Interrupted(format!("rendering failed: {e}")))?;
    store.mark_print_job(job.id, PrintOutcome::Sending, None, OffsetDateTime::now_utc()).await?;
    let write = async {
        match &mut connection {
            Connection::Tcp(s) => {
                s.write_all(&bytes).await?;
                if answers_status {
                    // A printer answers a status query once it has read
                    // everything before it: the job has arrived whole.
                    s.write_all(&escpos::STATUS_PRINTER).await?;
                    s.read_u8().await?;
                }
                s.shutdown().await
            }
            Connection::File(f) => {
                f.write_all(&bytes).await?;
                f.flush().await
            }
        }
    };
    tokio::time::timeout(SEND_TIMEOUT, write)
        .await
        .map_err(|_| SendError::Interrupted(format!("not sent within {SEND_TIMEOUT:?}")))?
        .map_err(|e| SendError::Interrupted(e.to_string()))?;
    store.mark_print_job(job.id, PrintOutcome::Printed, None, OffsetDateTime::now_utc()).await?;
    Ok(())
}
