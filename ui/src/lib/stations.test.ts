import { describe, expect, it } from "vitest";
import type { StationSetup } from "./api";
import { emptyStation, formToSetup, formToStation, stationToForm } from "./stations";

const base: StationSetup = { stations: [], default_station: null, brands: [{ id: 777, color: "#123456", prep_minutes: 30 }], prep: { default_minutes: 20, pickup: null, delivery: null, dine_in: null } };

describe("the stations editor's form", () => {
  it("turns typed lists into a station and back", () => {
    const form = { name: " grill ", brands: "2041, 777", categories: "Mains,  Grill ", items: "Satay*, ", order_types: "Dine-in, pickup", channels: "GrabFood" };
    const r = formToStation(form, 0);
    expect(r).toEqual({ station: { name: "grill", brands: [2041, 777], categories: ["Mains", "Grill"], items: ["Satay*"], order_types: ["dine_in", "pickup"], channels: ["GrabFood"] } });
    if ("station" in r) expect(stationToForm(r.station)).toEqual({ name: "grill", brands: "2041, 777", categories: "Mains, Grill", items: "Satay*", order_types: "dine_in, pickup", channels: "GrabFood" });
  });

  it("says which station and what is wrong when a list is not of the right things", () => {
    expect(formToStation({ ...emptyStation(), name: "bar", brands: "Sushi Go" }, 1)).toEqual({ error: "Station 2 (bar): brands are klikit brand ids (numbers), like 2041, 777" });
    expect(formToStation({ ...emptyStation(), order_types: "takeaway" }, 0)).toEqual({ error: 'Station 1: "takeaway" is not an order type (pickup, delivery, dine_in)' });
  });

  it("keeps the brand and prep settings it does not edit, and an empty default is the server's", () => {
    const r = formToSetup([{ ...emptyStation(), name: "drinks", categories: "Drinks" }], "  ", base);
    expect(r).toEqual({ setup: { ...base, stations: [{ name: "drinks", brands: [], categories: ["Drinks"], items: [], order_types: [], channels: [] }], default_station: null } });
  });
});
