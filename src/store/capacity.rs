//! The database's size cap (`PRAGMA max_page_count`): how kds, its tests and
//! its fault benchmarks simulate a full disk and the room coming back.

use super::{Store, StoreError};

/// SQLite's own default cap (pages), used when the cap is lifted.
const SQLITE_DEFAULT_MAX_PAGES: u32 = 1_073_741_823;

impl Store {
    /// Caps the database at `pages` pages (`None`: SQLite's default, i.e. no
    /// practical cap) on the writer connection, from the next write on. A
    /// write that needs more room fails with [`StoreError::Full`] and
    /// nothing of it is kept; writes succeed again once the cap is raised.
    /// Returns the cap now in force.
    pub async fn set_max_page_count(&self, pages: Option<u32>) -> Result<u32, StoreError> {
        let pages = pages.unwrap_or(SQLITE_DEFAULT_MAX_PAGES);
        self.write(move |c| Ok(c.query_row(&format!("PRAGMA max_page_count={pages}"), [], |r| r.get::<_, u32>(0))?)).await
    }

    /// The database's current size in pages.
    pub async fn page_count(&self) -> Result<u32, StoreError> {
        self.read(|c| Ok(c.query_row("PRAGMA page_count", [], |r| r.get::<_, u32>(0))?)).await
    }
}
