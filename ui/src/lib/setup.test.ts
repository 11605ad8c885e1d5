import { describe, expect, it } from "vitest";
import { operatorEmail, parseIds, seenIds } from "./setup";

describe("the first-run setup's email", () => {
  it("names the webhook URL and the ids seen, each once", () => {
    const { brands, branches } = seenIds([
      { brand_id: 23, brand_title: "Nasi Lemak Co", branch_id: 3307 },
      { brand_id: 23, brand_title: "Nasi Lemak Co", branch_id: 3308 },
      { brand_id: null, brand_title: null, branch_id: 3307 },
    ]);
    expect(brands).toEqual(["23 (Nasi Lemak Co)"]);
    expect(branches).toEqual([3307, 3308]);
    const mail = operatorEmail("https://orders.example.com/webhooks/klikit", brands, branches);
    expect(mail).toContain("  https://orders.example.com/webhooks/klikit\n");
    expect(mail).toContain("Brand id(s): 23 (Nasi Lemak Co)");
    expect(mail).toContain("Branch id(s): 3307, 3308");
  });

  it("asks for what is not known yet instead of inventing it", () => {
    const mail = operatorEmail(null, [], []);
    expect(mail).toContain("set up step 2 first");
    expect(mail).toContain("Brand id(s): (please fill in)");
  });

  it("reads typed ids and ignores anything else", () => {
    expect(parseIds(" 3307, 3308 abc 12x 9")).toEqual([3307, 3308, 9]);
  });
});
