// The stations editor's form: a station's rules as the comma-separated
// text a person types, and back to the `StationSetup` the server checks.
// Pure. It never decides routing (the server does) nor validates names and
// patterns (the server's 422 names the field); it only turns text to lists.

import type { OrderType, Station, StationSetup } from "./api";

/// One station as the form edits it: each rule list as text.
export interface StationForm {
  name: string;
  brands: string;
  categories: string;
  items: string;
  order_types: string;
  channels: string;
}

const ORDER_TYPES: readonly OrderType[] = ["pickup", "delivery", "dine_in", "unknown"];

const list = (text: string): string[] =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

export function stationToForm(s: Station): StationForm {
  return {
    name: s.name,
    brands: s.brands.join(", "),
    categories: s.categories.join(", "),
    items: s.items.join(", "),
    order_types: s.order_types.join(", "),
    channels: s.channels.join(", "),
  };
}

/// The station the form describes, or what in it is not a list of the right
/// things (brand ids are numbers; order types are klikit's four).
export function formToStation(f: StationForm, index: number): { station: Station } | { error: string } {
  const where = `Station ${index + 1}${f.name.trim() ? ` (${f.name.trim()})` : ""}`;
  const brands = list(f.brands).map(Number);
  if (brands.some((b) => !Number.isInteger(b))) return { error: `${where}: brands are klikit brand ids (numbers), like 2041, 777` };
  const types = list(f.order_types).map((t) => t.toLowerCase().replace(/[- ]/g, "_"));
  const bad = types.find((t) => !ORDER_TYPES.includes(t as OrderType));
  if (bad !== undefined) return { error: `${where}: "${bad}" is not an order type (pickup, delivery, dine_in)` };
  return {
    station: { name: f.name.trim(), brands, categories: list(f.categories), items: list(f.items), order_types: types as OrderType[], channels: list(f.channels) },
  };
}

/// The whole setup to send: the stations in order, the default station, and
/// the brand and prep settings as they were (this form does not edit them).
export function formToSetup(forms: StationForm[], defaultStation: string, base: StationSetup): { setup: StationSetup } | { error: string } {
  const stations: Station[] = [];
  for (const [i, f] of forms.entries()) {
    const r = formToStation(f, i);
    if ("error" in r) return r;
    stations.push(r.station);
  }
  return { setup: { ...base, stations, default_station: defaultStation.trim() || null } };
}

export function emptyStation(): StationForm {
  return { name: "", brands: "", categories: "", items: "", order_types: "", channels: "" };
}
