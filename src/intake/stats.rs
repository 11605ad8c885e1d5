//! The intake's counters since start and its latest refused attempts.
//!
//! It owns counting each outcome and the in-memory ring of refusals that
//! health and diagnostics show. It never decides an outcome and never
//! persists anything.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Accepted, IntakeError, Outcome};

/// How many refused attempts are remembered for diagnostics.
const RECENT_REFUSALS: usize = 200;

/// Counters since start, and the latest refused attempts.
#[derive(Default)]
pub(super) struct IntakeStats {
    received: AtomicU64,
    duplicates: AtomicU64,
    unprocessable: AtomicU64,
    invalid_signature: AtomicU64,
    bad_request: AtomicU64,
    too_large: AtomicU64,
    store_unavailable: AtomicU64,
    no_secret: AtomicU64,
    pub(super) no_secret_logged: AtomicBool,
    refusals: Mutex<VecDeque<Refusal>>,
}

/// A refused delivery attempt, remembered (in memory only) for diagnostics.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub outcome: Outcome,
    pub detail: String,
}

/// A copy of the intake counters.
#[derive(Debug, Clone, Serialize)]
pub struct IntakeSnapshot {
    pub received: u64,
    pub duplicates: u64,
    pub unprocessable: u64,
    pub invalid_signature: u64,
    pub bad_request: u64,
    pub too_large: u64,
    pub store_unavailable: u64,
    pub no_secret: u64,
    pub recent_refusals: Vec<Refusal>,
}

impl IntakeStats {
    pub(super) fn count(&self, result: &Result<Accepted, IntakeError>) {
        let counter = match result {
            Ok(Accepted::Received { unprocessable: None }) => &self.received,
            Ok(Accepted::Received { unprocessable: Some(_) }) => &self.unprocessable,
            Ok(Accepted::Duplicate) => &self.duplicates,
            Err(IntakeError::InvalidSignature(_)) => &self.invalid_signature,
            Err(IntakeError::TooLarge) => &self.too_large,
            Err(IntakeError::Store(_)) => &self.store_unavailable,
            Err(IntakeError::NoSecret) => &self.no_secret,
            Err(_) => &self.bad_request,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn remember(&self, refusal: Refusal) {
        let mut q = self.refusals.lock().unwrap();
        if q.len() == RECENT_REFUSALS {
            q.pop_front();
        }
        q.push_back(refusal);
    }

    pub(super) fn snapshot(&self) -> IntakeSnapshot {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        IntakeSnapshot {
            received: n(&self.received),
            duplicates: n(&self.duplicates),
            unprocessable: n(&self.unprocessable),
            invalid_signature: n(&self.invalid_signature),
            bad_request: n(&self.bad_request),
            too_large: n(&self.too_large),
            store_unavailable: n(&self.store_unavailable),
            no_secret: n(&self.no_secret),
            recent_refusals: self.refusals.lock().unwrap().iter().rev().cloned().collect(),
        }
    }
}

