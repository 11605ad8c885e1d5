//! Alerts: what a person in the kitchen must notice now: a new order, a
//! cancelled one, the receiver or the tunnel going down or coming back.
//!
//! The kitchen engine and the tunnel supervisor raise them; the desktop
//! shell turns them into notifications, and the board into sound. This module
//! owns the message types, the broadcast channel, the wording of a
//! notification ([`Alert::notice`]) and the running condition a status icon
//! shows ([`Condition`]); it never decides when to alert, and never does I/O.

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
    /// klikit refused an action in a way a person must look at (credentials
    /// rejected, an idempotency conflict).
    KlikitProblem { reason: String },
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

/// The text of a desktop notification for an alert. Plain text: fields that
/// come from klikit are stripped of markup characters, because some
/// notification servers render the body as markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The summary line, e.g. `New order #P2D8 · Warung Sambal Ijo`.
    pub title: String,
    /// The body, e.g. `3 items · pickup`.
    pub body: String,
    /// Needs attention until dismissed (the receiver or tunnel is down).
    pub urgent: bool,
}

impl Alert {
    /// The notification to show for this alert, or `None` for alerts that only
    /// change the status icon (the receiver or tunnel coming back).
    pub fn notice(&self) -> Option<Notice> {
        let ticket = |what: &str, t: &TicketAlert| {
            let mut title = format!("{what} #{}", plain(&t.short_id));
            if let Some(brand) = t.brand.as_deref().map(plain).filter(|b| !b.is_empty()) {
                title.push_str(" · ");
                title.push_str(&brand);
            }
            let items = if t.item_count == 1 { "1 item".to_string() } else { format!("{} items", t.item_count) };
            let kind = match (t.order_type.as_str(), t.table_no.as_deref().map(plain)) {
                ("dine_in", Some(table)) if !table.is_empty() => format!("dine-in, table {table}"),
                ("dine_in", _) => "dine-in".to_string(),
                ("pickup" | "delivery", _) => t.order_type.clone(),
                _ => "order type unknown".to_string(),
            };
            Notice { title, body: format!("{items} · {kind}"), urgent: false }
        };
        match self {
            Alert::NewOrder(t) => Some(ticket("New order", t)),
            Alert::Cancelled(t) => Some(ticket("Cancelled", t)),
            Alert::ReceiverDown { reason } => {
                Some(Notice { title: "Receiver down: orders are not arriving".into(), body: plain(reason), urgent: true })
            }
            Alert::TunnelDown { reason } => {
                Some(Notice { title: "Tunnel down: klikit cannot reach this kitchen".into(), body: plain(reason), urgent: true })
            }
            Alert::KlikitProblem { reason } => {
                Some(Notice { title: "klikit: actions are not reaching klikit".into(), body: plain(reason), urgent: true })
            }
            Alert::ReceiverUp | Alert::TunnelUp { .. } => None,
        }
    }
}

/// Text without the characters a markup-rendering notification server would
/// interpret, and without control characters.
fn plain(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, '<' | '>' | '&') && !c.is_control()).collect::<String>().trim().to_string()
}

/// What a status icon shows, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    ReceiverDown,
    TunnelDown,
    Ok,
}

/// The running condition, folded from the alerts seen so far: is the
/// receiver or the tunnel down, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    receiver_down: Option<String>,
    tunnel_down: Option<String>,
}

impl Condition {
    /// Folds one alert in. Returns whether the condition changed.
    pub fn apply(&mut self, alert: &Alert) -> bool {
        let before = self.clone();
        match alert {
            Alert::ReceiverDown { reason } => self.receiver_down = Some(reason.clone()),
            Alert::ReceiverUp => self.receiver_down = None,
            Alert::TunnelDown { reason } => self.tunnel_down = Some(reason.clone()),
            Alert::TunnelUp { .. } => self.tunnel_down = None,
            Alert::NewOrder(_) | Alert::Cancelled(_) | Alert::KlikitProblem { .. } => {}
        }
        *self != before
    }

    /// The worst thing wrong now.
    pub fn level(&self) -> Level {
        if self.receiver_down.is_some() {
            Level::ReceiverDown
        } else if self.tunnel_down.is_some() {
            Level::TunnelDown
        } else {
            Level::Ok
        }
    }

    /// One line for a status menu or tooltip.
    pub fn summary(&self) -> String {
        match (&self.receiver_down, &self.tunnel_down) {
            (Some(reason), _) => format!("Receiver down: {}", plain(reason)),
            (None, Some(reason)) => format!("Tunnel down: {}", plain(reason)),
            (None, None) => "Receiving orders".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(brand: Option<&str>, items: u32, order_type: &str, table: Option<&str>) -> TicketAlert {
        TicketAlert {
            order_id: "8120610".into(),
            short_id: "P2D8".into(),
            brand: brand.map(Into::into),
            item_count: items,
            order_type: order_type.into(),
            table_no: table.map(Into::into),
        }
    }

    #[test]
    fn new_order_notice_names_short_id_brand_items_and_type() {
        let n = Alert::NewOrder(ticket(Some("Warung Sambal Ijo"), 3, "pickup", None)).notice().unwrap();
        assert_eq!(n.title, "New order #P2D8 · Warung Sambal Ijo");
        assert_eq!(n.body, "3 items · pickup");
        assert!(!n.urgent, "a new order is routine, not an outage");
        let n = Alert::NewOrder(ticket(None, 1, "dine_in", Some("7"))).notice().unwrap();
        assert_eq!(n.title, "New order #P2D8", "no brand: no dangling separator");
        assert_eq!(n.body, "1 item · dine-in, table 7", "singular for one item, and the table for dine-in");
        let n = Alert::Cancelled(ticket(Some("  "), 2, "weird", None)).notice().unwrap();
        assert_eq!(n.title, "Cancelled #P2D8", "a blank brand is left out");
        assert_eq!(n.body, "2 items · order type unknown");
    }

    #[test]
    fn klikit_text_in_a_notice_carries_no_markup() {
        let mut t = ticket(Some("<b>Bold</b> & Co"), 2, "dine_in", Some("<i>9</i>"));
        t.short_id = "<a href='x'>P1</a>".into();
        let n = Alert::NewOrder(t).notice().unwrap();
        for text in [&n.title, &n.body] {
            assert!(!text.contains(['<', '>', '&']), "a server rendering body markup must get none from klikit: {text}");
        }
        assert!(n.title.contains("Bold"), "the words themselves stay: {}", n.title);
    }

    #[test]
    fn outages_notify_urgently_and_recoveries_only_change_the_condition() {
        let down = Alert::ReceiverDown { reason: "port 8080 in use".into() };
        let n = down.notice().unwrap();
        assert!(n.urgent && n.body.contains("port 8080"), "{n:?}");
        assert!(Alert::TunnelDown { reason: "exited".into() }.notice().unwrap().urgent);
        assert_eq!(Alert::ReceiverUp.notice(), None);
        assert_eq!(Alert::TunnelUp { url: None }.notice(), None);

        let mut c = Condition::default();
        assert_eq!(c.level(), Level::Ok);
        assert!(c.apply(&Alert::TunnelDown { reason: "exited".into() }));
        assert_eq!(c.level(), Level::TunnelDown);
        assert!(c.apply(&down));
        assert_eq!(c.level(), Level::ReceiverDown, "the receiver being down is worse than the tunnel");
        assert!(c.summary().contains("port 8080"));
        assert!(!c.apply(&Alert::NewOrder(ticket(None, 1, "pickup", None))), "orders do not change the condition");
        assert!(c.apply(&Alert::ReceiverUp));
        assert_eq!(c.level(), Level::TunnelDown, "the tunnel is still down after the receiver recovers");
        assert!(c.apply(&Alert::TunnelUp { url: None }));
        assert_eq!((c.level(), c.summary().as_str()), (Level::Ok, "Receiving orders"));
    }

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
