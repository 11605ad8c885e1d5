//! Writes the board's TypeScript from the wire types, and fails while the
//! committed copy is stale.
//!
//! `cargo test -p kds --lib wire` compares; `KDS_WRITE_WIRE=1 cargo test -p
//! kds --lib wire` (or `npm run wire` in `ui/`) rewrites
//! `ui/src/lib/wire/types.ts` (the types, from ts-rs) and
//! `ui/src/lib/wire/constants.ts` (the values: column order, next column,
//! outcome names, default settings, from a small writer here). It owns
//! nothing at run time: this file is compiled for tests only.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::{Config, TS};

use super::*;

const HEADER: &str = "// Generated from src/api/wire by `KDS_WRITE_WIRE=1 cargo test -p kds --lib wire`\n// (`npm run wire`). Do not edit: change the Rust types and regenerate.\n";

/// One `export type` per wire type, with its doc comment.
macro_rules! declarations {
    ($cfg:expr; $($t:ty),* $(,)?) => {{
        let mut out = String::new();
        $(
            out.push('\n');
            if let Some(docs) = <$t as TS>::docs() {
                out.push_str(&docs);
            }
            out.push_str("export ");
            out.push_str(&<$t as TS>::decl($cfg));
            out.push('\n');
        )*
        out
    }};
}

fn types() -> String {
    // Every integer on the wire fits a JavaScript number.
    let cfg = Config::new().with_large_int("number");
    let mut out = HEADER.to_string();
    out.push_str(&declarations!(&cfg;
        Column, Driver, LineChange, OrderType, Brand, Modifier, TicketLine, StationProgress, Ticket, TicketList, TicketEvent, DoneList, HistoryList, LogEntry, Timeline,
        Action, ActionRequest, RushRequest, ErrorBody, Station, BrandSetting, PrepTimes, StationSetup, BrandInfo, StationSettings,
        AllDayItem, AllDay, ConnectedScreen, ScreenList, Outcome, Delivery, DeliveryList,
        Health, IntakeHealth, StoreStatus, StoreHealth, ApplierHealth, TunnelState, TunnelMode, TunnelHealth, KlikitHealth, PrintQueued, PrinterList, PrinterConfig, PrintMode, CodePage, PrintOn, PrinterHealth, PrinterState, Dropped, PrintKind, HealthUnavailable, StoreDown,
        SecretSource, RetentionSettings, Settings, SettingsUpdate, crate::selftest::Outcome, Hop, SelftestReport, LiveEventName,
        ReportFilter, ReportOptions, HourlyOrders, OrdersPerHour, ColumnTime, StationTime, LateShare, CancellationCount, DaySummary, DayReport,
        About, Pairing, Setup, SeenIds,
    ));
    out
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("wire constants serialize")
}

fn constants() -> String {
    let named: BTreeMap<&str, Column> = Column::ALL.iter().map(|c| (c.as_str(), *c)).collect();
    let next: BTreeMap<&str, Option<Column>> = Column::ALL.iter().map(|c| (c.as_str(), c.next())).collect();
    let mut out = HEADER.to_string();
    out.push_str("\nimport type { Column, DeliveryOutcome, LiveEventName, Settings } from \"./types\";\n");
    let mut constant = |doc: &str, decl: &str, value: String| out.push_str(&format!("\n/** {doc} */\nexport const {decl} = {value};\n"));
    constant("Every column, in the kitchen's forward order; cancelled stands apart.", "COLUMNS: readonly Column[]", json(&Column::ALL));
    constant("Each column by name, for comparisons: `t.column === COLUMN.cancelled`.", "COLUMN: { readonly [C in Column]: C }", json(&named));
    constant(
        "The board's columns, left to right. Done is a recall list; cancelled tickets get a column only while any wait.",
        "BOARD_COLUMNS: readonly Column[]",
        json(&BOARD_COLUMNS),
    );
    constant("The column a bump moves a ticket to; null where a bump does nothing.", "NEXT_COLUMN: Readonly<Record<Column, Column | null>>", json(&next));
    constant("Every delivery outcome the diagnostics view can show.", "DELIVERY_OUTCOMES: readonly DeliveryOutcome[]", json(&Outcome::ALL));
    constant(
        "The reasons a kitchen may give for rejecting or cancelling an order (`reason_code`).",
        "REASON_CODES: readonly string[]",
        json(&crate::kitchen::sync::REASON_CODES),
    );
    constant("The live stream's event names.", "LIVE_EVENTS: readonly LiveEventName[]", json(&LiveEventName::ALL));
    constant("The settings before the server answers (config.toml's [board] defaults).", "DEFAULT_SETTINGS: Readonly<Settings>", json(&Settings::default()));
    out
}

fn wire_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/wire")
}

#[test]
fn wire_typescript_is_current() {
    let files = [("types.ts", types()), ("constants.ts", constants())];
    let dir = wire_dir();
    if std::env::var("KDS_WRITE_WIRE").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        return;
    }
    for (name, text) in &files {
        let path = dir.join(name);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == *text,
            "{} is stale: the wire types in src/api/wire changed. Regenerate it with `KDS_WRITE_WIRE=1 cargo test -p kds --lib wire` (or `cd ui && npm run wire`) and commit it",
            path.display()
        );
    }
}

#[test]
fn wire_constant_lists_name_every_variant() {
    let cfg = Config::new();
    let union = |decl: String| -> Vec<String> {
        let body = decl.split_once('=').unwrap().1.trim().trim_end_matches(';');
        let mut names: Vec<String> = body.split('|').map(|s| s.trim().trim_matches('"').to_string()).collect();
        names.sort();
        names
    };
    let names = |v: String| -> Vec<String> {
        let mut n: Vec<String> = serde_json::from_str(&v).unwrap();
        n.sort();
        n
    };
    assert_eq!(union(Column::decl(&cfg)), names(json(&Column::ALL)), "Column::ALL must list every column, or the board misses one");
    assert_eq!(union(Outcome::decl(&cfg)), names(json(&Outcome::ALL)), "Outcome::ALL must list every outcome");
    assert_eq!(union(LiveEventName::decl(&cfg)), names(json(&LiveEventName::ALL)), "LiveEventName::ALL must list every event");
    for c in Column::ALL {
        assert_eq!(json(&c), format!("\"{}\"", c.as_str()), "a column's JSON name is its as_str");
    }
    for o in Outcome::ALL {
        assert_eq!(json(&o), format!("\"{}\"", o.as_str()), "an outcome's JSON name is its as_str (used in logs)");
    }
}
