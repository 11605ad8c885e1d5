//! The restart schedule: capped exponential backoff, `base · 2^n` up to `cap`.
//!
//! Pure arithmetic: it says how long to wait and never sleeps itself.

use std::time::Duration;

/// Capped exponential backoff: `base · 2^n`, at most `cap`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { base, cap: cap.max(base), attempt: 0 }
    }
    /// The next delay, and one step further along the schedule.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(30)).unwrap_or(u32::MAX);
        self.attempt = self.attempt.saturating_add(1);
        self.base.saturating_mul(factor).min(self.cap)
    }
    /// Back to `base`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let secs: Vec<u64> = (0..9).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60], "the documented schedule");
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1), "a long healthy run starts the schedule over");
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(10));
        assert_eq!(b.next_delay(), Duration::from_millis(100), "a cap below the base is raised to the base");
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..100 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), Duration::from_secs(60), "many attempts never overflow");
    }
}
