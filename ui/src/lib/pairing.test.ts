import { describe, expect, it } from "vitest";
import { pairingAddress } from "./pairing";

describe("pairing a tablet", () => {
  it("gives the board's network address with the token in the fragment", () => {
    expect(pairingAddress("http://192.168.1.20:8787", "192.168.1.20:8787", "s3cret/+")).toEqual({ url: "http://192.168.1.20:8787/#token=s3cret%2F%2B" });
  });

  it("shows no code from a loopback page (its address is no use to a tablet) or without a token", () => {
    for (const host of ["127.0.0.1:8787", "localhost:8787", "[::1]:8787"]) expect(pairingAddress(`http://${host}`, host, "t")).toHaveProperty("reason");
    expect(pairingAddress("http://10.0.0.5:8787", "10.0.0.5:8787", null)).toHaveProperty("reason");
  });
});
