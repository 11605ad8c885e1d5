//! The expo's rush mark: a ticket flag that sorts it first on every screen.
//!
//! What it owns: setting and clearing the flag, refused when it would
//! change nothing (so two taps at once log one change) or on a ticket that
//! has left the board. It never sorts anything itself: `screen` does.

use serde_json::json;
use time::OffsetDateTime;

use super::{Event, EventKind, Kitchen, Record, Refusal, Source};

impl Kitchen {
    /// Sets (`rush: true`) or clears the rush mark.
    pub fn set_rush(&self, record: &Record, rush: bool, now: OffsetDateTime) -> Result<(Record, Event), Refusal> {
        let t = &record.ticket;
        let refuse = |reason: String| Err(Refusal { reason, ticket: t.clone() });
        if !t.open {
            return refuse("the ticket is no longer on the board".into());
        }
        if t.rush == rush {
            return refuse(if rush { "the ticket is already rush".into() } else { "the ticket is not rush".into() });
        }
        let mut next = record.clone();
        next.ticket.rush = rush;
        next.ticket.updated_at = now;
        self.settle(&mut next);
        Ok((next, Event { at: now, source: Source::Screen, kind: EventKind::Rush, detail: json!({"rush": rush}) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::Action;

    #[test]
    fn rush_is_set_once_cleared_once_and_only_on_the_board() {
        let k = Kitchen::default();
        let body = br#"{"orders": [{"id": 5, "status": 1, "cart_v2": [{"name": "Kopi", "quantity": 1}]}]}"#;
        let order = crate::klikit::decode_orders(body).unwrap().remove(0);
        let now = OffsetDateTime::UNIX_EPOCH;
        let r = k.apply(None, &order, now).record;
        let (rushed, event) = k.set_rush(&r, true, now).unwrap();
        assert!(rushed.ticket.rush);
        assert_eq!((event.kind, event.detail["rush"].as_bool()), (EventKind::Rush, Some(true)));
        assert!(k.set_rush(&rushed, true, now).is_err(), "a second rush changes nothing: refused, not logged twice");
        assert!(!k.set_rush(&rushed, false, now).unwrap().0.ticket.rush);
        let mut done = rushed;
        for _ in 0..3 {
            done = k.act(&done, Action::Bump, None, now).unwrap().0;
        }
        assert!(k.set_rush(&done, false, now).is_err(), "a done ticket is off the board");
    }
}
