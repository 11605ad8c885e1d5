//! The intake's memory budget: how many body bytes may be in flight at once.
//!
//! A body is buffered whole before its signature can be checked, so unsigned
//! traffic could otherwise take as much memory as it likes (a thousand slow
//! senders of 1 MiB each is a gigabyte). Each delivery reserves its
//! `Content-Length` (or the 1 MiB limit when it sends none) before its body
//! is read, and gives it back when it has been answered; a delivery that
//! does not fit is answered 503 with `Retry-After`.
//!
//! A quarter of the budget is kept for small bodies (up to
//! [`SMALL_BODY_BYTES`], which every real klikit order is), so senders of
//! large bodies can never crowd out a real delivery. It never reads a body
//! itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// A body up to this size is "small": it may use the whole budget.
pub const SMALL_BODY_BYTES: u64 = 64 * 1024;
/// Default budget: 64 MiB of bodies in flight.
pub const DEFAULT_BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// The budget and what is reserved from it now.
#[derive(Debug)]
pub struct BodyBudget {
    limit: u64,
    in_flight: Mutex<u64>,
    peak: AtomicU64,
    refused: AtomicU64,
}

/// The budget's figures, for health and the attack tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BudgetSnapshot {
    pub limit_bytes: u64,
    pub in_flight_bytes: u64,
    pub peak_in_flight_bytes: u64,
    pub refused: u64,
}

/// Bytes reserved by one delivery; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<BodyBudget>,
    bytes: u64,
}

impl BodyBudget {
    pub fn new(limit: u64) -> BodyBudget {
        BodyBudget { limit, in_flight: Mutex::new(0), peak: AtomicU64::new(0), refused: AtomicU64::new(0) }
    }

    /// Reserves `bytes`, or `None` when they do not fit: a large body may
    /// only use three quarters of the budget, a small one all of it.
    pub fn reserve(self: &Arc<Self>, bytes: u64) -> Option<Reservation> {
        let ceiling = if bytes <= SMALL_BODY_BYTES { self.limit } else { self.limit - self.limit / 4 };
        let mut in_flight = self.in_flight.lock().unwrap();
        if in_flight.saturating_add(bytes) > ceiling {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *in_flight += bytes;
        self.peak.fetch_max(*in_flight, Ordering::Relaxed);
        Some(Reservation { budget: self.clone(), bytes })
    }

    pub fn snapshot(&self) -> BudgetSnapshot {
        BudgetSnapshot {
            limit_bytes: self.limit,
            in_flight_bytes: *self.in_flight.lock().unwrap(),
            peak_in_flight_bytes: self.peak.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        *self.budget.in_flight.lock().unwrap() -= self.bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_bodies_leave_a_quarter_for_small_ones_and_bytes_come_back() {
        let budget = Arc::new(BodyBudget::new(4 * 1024 * 1024));
        let mib = 1024 * 1024;
        let large: Vec<_> = (0..3).map(|_| budget.reserve(mib).expect("three 1 MiB bodies fit in three quarters of 4 MiB")).collect();
        assert!(budget.reserve(mib).is_none(), "a fourth large body would eat the quarter kept for small ones");
        let small: Vec<_> = (0..16).map(|_| budget.reserve(SMALL_BODY_BYTES).expect("small bodies may use the last quarter")).collect();
        assert!(budget.reserve(1).is_none(), "the budget is full: nothing more, however small");
        let s = budget.snapshot();
        assert_eq!((s.in_flight_bytes, s.peak_in_flight_bytes, s.refused), (4 * mib, 4 * mib, 2));
        drop(large);
        drop(small);
        assert_eq!(budget.snapshot().in_flight_bytes, 0, "every reservation is given back when its delivery is done");
        assert!(budget.reserve(mib).is_some());
    }
}
