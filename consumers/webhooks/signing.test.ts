import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { webhookIdFor } from "./ids.ts";
import { generateSecret, secretKey, sign, signatureHeader } from "./signing.ts";
import { verifyWebhook } from "./verify/index.ts";

interface Vector {
  name: string;
  secrets: string[];
  headers: Record<string, string>;
  body: string;
  now: number;
  valid: boolean;
  signedWith?: string;
}
const vectors: { cases: Vector[] } = JSON.parse(
  readFileSync(new URL("./verify/vectors.json", import.meta.url), "utf8"),
);

describe("sign", () => {
  it("reproduces every single-signature vector computed by the independent Python generator", () => {
    const single = vectors.cases.filter((v) => v.signedWith);
    expect(single.length).toBeGreaterThan(4);
    for (const v of single) {
      const ts = Number(v.headers["webhook-timestamp"]);
      expect(sign(v.signedWith!, v.headers["webhook-id"]!, ts, v.body), v.name).toBe(
        v.headers["webhook-signature"],
      );
    }
  });

  it("signs with every active secret, space-delimited, and each verifies alone", () => {
    const a = generateSecret();
    const b = generateSecret();
    const header = signatureHeader([a, b], "msg_x", 1_700_000_000, "{}");
    expect(header.split(" ")).toHaveLength(2);
    const now = () => 1_700_000_000_000;
    for (const s of [a, b]) {
      expect(
        verifyWebhook(
          s,
          { "webhook-id": "msg_x", "webhook-timestamp": "1700000000", "webhook-signature": header },
          "{}",
          { now },
        ).id,
      ).toBe("msg_x");
    }
  });

  it("refuses malformed secrets without echoing them", () => {
    expect(() => secretKey("nope")).toThrow(/must start with whsec_/);
    expect(() => secretKey("whsec_c2hvcnQ=")).toThrow(/24\.\.64 bytes \(got 5\)/);
    try {
      secretKey("whsec_!!!!secretmaterial");
    } catch (e) {
      expect(String(e)).not.toContain("secretmaterial");
    }
    expect(secretKey(generateSecret())).toHaveLength(32);
  });
});

describe("webhookIdFor", () => {
  it("is stable per (event, endpoint), distinct across endpoints, and has no '.'", () => {
    const a = webhookIdFor("evt-1", "ep_a");
    expect(webhookIdFor("evt-1", "ep_a")).toBe(a);
    expect(webhookIdFor("evt-1", "ep_b")).not.toBe(a);
    expect(webhookIdFor("evt-2", "ep_a")).not.toBe(a);
    expect(a).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });
});
