//! Alerts: what a person in the kitchen must notice now: a new order, a
//! cancelled one, the receiver or the tunnel going down or coming back.
//!
//! The kitchen engine and the tunnel supervisor raise them; the desktop
//! shell turns them into notifications, and the board into sound. This module
//! owns only the message types and the broadcast channel; it never decides
//! when to alert, and never does I/O.

use serde::Serialize;
use tokio::sync::broadcast;

/// Alerts waiting for a slow subscriber before it starts missing them.
const CAPACITY: usize = 256;

/// A ticket worth a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketAlert {
    pub order_id: String,
    /// The number on the docket (`short_id`, else `external_id`, else `id`).
    pub short_id: String,
    pub brand: Option<String>,
    pub item_count: u32,
    /// `pickup`, `delivery`, `dine_in` or `unknown`.
    pub order_type: String,
    /// Table number for dine-in orders.
    pub table_no: Option<String>,
}

/// Something a person must notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alert {
    NewOrder(TicketAlert),
    Cancelled(TicketAlert),
    ReceiverDown { reason: String },
    ReceiverUp,
    TunnelDown { reason: String },
    TunnelUp { url: Option<String> },
}

/// The alert channel. Cheap to clone; every clone sends to all subscribers.
#[derive(Clone)]
pub struct Alerts(broadcast::Sender<Alert>);

impl Default for Alerts {
    fn default() -> Self {
        Alerts(broadcast::channel(CAPACITY).0)
    }
}

impl Alerts {
    /// Sends an alert to every current subscriber (none is fine).
    pub fn raise(&self, alert: Alert) {
        let _ = self.0.send(alert);
    }

    /// A new subscription, receiving alerts raised from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Alert> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscriber_gets_each_alert() {
        let alerts = Alerts::default();
        let (mut a, mut b) = (alerts.subscribe(), alerts.subscribe());
        alerts.raise(Alert::ReceiverUp);
        assert_eq!(a.recv().await.unwrap(), Alert::ReceiverUp);
        assert_eq!(b.recv().await.unwrap(), Alert::ReceiverUp);
        alerts.clone().raise(Alert::TunnelDown { reason: "exited".into() });
        assert!(matches!(a.recv().await.unwrap(), Alert::TunnelDown { .. }), "clones send on the same channel");
    }
}
