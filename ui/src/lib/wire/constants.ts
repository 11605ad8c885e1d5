// Generated from src/api/wire by `KDS_WRITE_WIRE=1 cargo test -p kds --lib wire`
// (`npm run wire`). Do not edit: change the Rust types and regenerate.

import type { Column, DeliveryOutcome, LiveEventName, Settings } from "./types";

/** Every column, in the kitchen's forward order; cancelled stands apart. */
export const COLUMNS: readonly Column[] = ["scheduled","new","preparing","ready","done","cancelled"];

/** Each column by name, for comparisons: `t.column === COLUMN.cancelled`. */
export const COLUMN: { readonly [C in Column]: C } = {"cancelled":"cancelled","done":"done","new":"new","preparing":"preparing","ready":"ready","scheduled":"scheduled"};

/** The board's columns, left to right. Done is a recall list; cancelled tickets get a column only while any wait. */
export const BOARD_COLUMNS: readonly Column[] = ["scheduled","new","preparing","ready"];

/** The column a bump moves a ticket to; null where a bump does nothing. */
export const NEXT_COLUMN: Readonly<Record<Column, Column | null>> = {"cancelled":null,"done":null,"new":"preparing","preparing":"ready","ready":"done","scheduled":"new"};

/** Every delivery outcome the diagnostics view can show. */
export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ["received","applied","duplicate","unprocessable","invalid_signature","bad_request","too_large","unsupported_encoding","body_error","no_secret","store_unavailable","over_budget"];

/** The reasons a kitchen may give for rejecting or cancelling an order (`reason_code`). */
export const REASON_CODES: readonly string[] = ["out_of_items","kitchen_closed","store_too_busy","customer_requested","cannot_complete_request","other"];

/** The live stream's event names. */
export const LIVE_EVENTS: readonly LiveEventName[] = ["snapshot","ticket","health","ping"];

/** The settings before the server answers (config.toml's [board] defaults). */
export const DEFAULT_SETTINGS: Readonly<Settings> = {"secret_configured":false,"secret_source":"none","previous_secret_until":null,"secret_rotation_hours":24,"warn_after_minutes":5,"late_after_minutes":10,"chime":true,"chime_repeat":false,"tunnel":"off","status_names":{},"klikit_configured":false,"klikit_api_url":null,"branches":[],"retention":{"body_days":30,"dedupe_days":180,"ticket_days":400,"quiet_hour":4,"idle_minutes":10,"nightly_backup":true},"public_url":null,"tunnel_token_configured":false,"warnings":[]};
