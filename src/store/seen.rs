//! What klikit ids this kitchen has seen: the brand and branch ids of the
//! stored tickets, newest first, for the setup's email to the klikit
//! operator. Self-test tickets are left out (their ids are made up).
//!
//! It owns one read; it never writes and never decides which ids matter.

use rusqlite::params;

use super::{Store, StoreError};

/// A brand and branch that orders came in for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenIds {
    pub brand_id: Option<i64>,
    pub brand_title: Option<String>,
    pub branch_id: Option<i64>,
}

impl Store {
    /// The distinct (brand, branch) pairs of real tickets, most recently
    /// changed first, at most `limit`.
    pub async fn seen_ids(&self, limit: usize) -> Result<Vec<SeenIds>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT json_extract(record, '$.ticket.brand.id') AS brand, max(json_extract(record, '$.ticket.brand.title')), \
                        json_extract(record, '$.ticket.branch_id') AS branch, max(seq) AS last \
                 FROM tickets WHERE NOT coalesce(json_extract(record, '$.ticket.test'), 0) \
                 GROUP BY brand, branch ORDER BY last DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit as i64], |r| Ok(SeenIds { brand_id: r.get(0)?, brand_title: r.get(1)?, branch_id: r.get(2)? }))?;
            let seen = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(seen)
        })
        .await
    }
}
