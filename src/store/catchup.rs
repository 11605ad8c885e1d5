//! The reads catch-up needs: the newest order the kitchen has seen, and
//! where one order stands, so only what is missing or newer is fetched in.

use rusqlite::OptionalExtension;
use time::OffsetDateTime;

use super::{Store, StoreError};

impl Store {
    /// When the newest order the kitchen knows was created (klikit's time).
    pub async fn newest_order_created_at(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        self.read(|c| {
            let secs: Option<i64> = c
                .query_row("SELECT max(unixepoch(json_extract(record, '$.ticket.placed_at'))) FROM tickets", [], |r| r.get(0))
                .optional()?
                .flatten();
            Ok(secs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()))
        })
        .await
    }
}
