import { describe, expect, it } from "vitest";
import type { Pairing } from "./api";
import { pairingChoice, pairingUrl } from "./pairing";

const lan: Pairing = { listen: "0.0.0.0:8787", beyond_loopback: true, addresses: ["http://192.168.1.20:8787", "http://10.0.0.7:8787"], hint: null };

describe("pairing a tablet", () => {
  it("puts the token, percent-encoded, in the fragment of the address", () => {
    expect(pairingUrl("http://192.168.1.20:8787", "s3cret/+")).toBe("http://192.168.1.20:8787/#token=s3cret%2F%2B");
  });

  it("offers the server's addresses, the likeliest first, even on a loopback page (the desktop window)", () => {
    expect(pairingChoice(lan, "http://127.0.0.1:8787", "t")).toEqual({ addresses: lan.addresses, first: "http://192.168.1.20:8787" });
  });

  it("shows a page opened on the network its own address first", () => {
    expect(pairingChoice(lan, "http://10.0.0.7:8787", "t")).toEqual({ addresses: lan.addresses, first: "http://10.0.0.7:8787" });
  });

  it("gives the server's reason when there is no address, and asks for a token when the page has none", () => {
    const loopback: Pairing = { listen: "127.0.0.1:8787", beyond_loopback: false, addresses: [], hint: "set KDS_LISTEN" };
    expect(pairingChoice(loopback, "http://127.0.0.1:8787", null)).toEqual({ reason: "set KDS_LISTEN" });
    expect(pairingChoice(lan, "http://127.0.0.1:8787", null)).toHaveProperty("reason");
  });
});
