//! The stop signal: one [`Trigger`] that says "kds is stopping", and any number of [`Shutdown`] listeners that wait for it.
//!
//! Owns the watch channel every long-lived task listens on (the listeners'
//! accept loops, the applier, the live streams, the tunnel supervisor). The
//! server creates one pair and hands out listeners; a supervisor that can be
//! stopped on its own (the tunnel) creates its own.
//!
//! Never decides *when* to stop, and never tears anything down itself: each
//! task ends its own work once [`Shutdown::wait`] returns.
//!
//! Dropping the trigger counts as stopping, so a task never outlives the
//! owner that could have stopped it.

use tokio::sync::watch;

/// Creates a trigger and its first listener.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger { tx }, Shutdown { rx })
}

/// The side that says "stop". Held by whoever owns the tasks.
#[derive(Debug)]
pub struct Trigger {
    tx: watch::Sender<bool>,
}

impl Trigger {
    /// Tells every listener to stop. Firing twice is harmless.
    pub fn fire(&self) {
        self.tx.send_replace(true);
    }

    /// Another listener for the same signal.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown { rx: self.tx.subscribe() }
    }
}

/// The side that waits. Cheap to clone; each task keeps its own.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

impl Shutdown {
    /// Resolves once the trigger fires (or is dropped); at once if it
    /// already has.
    pub async fn wait(&mut self) {
        let _ = self.rx.wait_for(|stop| *stop).await;
    }

    /// True once the trigger has fired (a dropped trigger that never fired
    /// reads false here, though [`Shutdown::wait`] returns for it).
    pub fn is_stopping(&self) -> bool {
        *self.rx.borrow()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::channel;

    #[tokio::test]
    async fn wait_returns_only_after_the_trigger_fires() {
        let (trigger, mut shutdown) = channel();
        let early = tokio::time::timeout(Duration::from_millis(20), shutdown.wait()).await;
        assert!(early.is_err(), "nothing has fired, so waiting must not end");
        assert!(!shutdown.is_stopping(), "nothing has fired yet");
        trigger.fire();
        tokio::time::timeout(Duration::from_secs(5), shutdown.wait()).await.expect("the trigger fired, so waiting must end");
        assert!(shutdown.is_stopping(), "the trigger fired");
    }

    #[tokio::test]
    async fn every_listener_hears_one_fire_even_one_subscribed_later() {
        let (trigger, first) = channel();
        let mut clone = first.clone();
        trigger.fire();
        let mut late = trigger.subscribe();
        tokio::time::timeout(Duration::from_secs(5), clone.wait()).await.expect("a clone shares the signal");
        tokio::time::timeout(Duration::from_secs(5), late.wait()).await.expect("a listener made after firing sees the fire at once");
    }

    #[tokio::test]
    async fn a_dropped_trigger_ends_waiting() {
        let (trigger, mut shutdown) = channel();
        drop(trigger);
        tokio::time::timeout(Duration::from_secs(5), shutdown.wait())
            .await
            .expect("no one can fire a dropped trigger, so waiting forever would hang the task");
    }
}
