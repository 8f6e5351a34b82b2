import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookVerificationError } from "./index.ts";

interface Vector {
  name: string;
  secrets: string[];
  headers: Record<string, string>;
  body: string;
  now: number;
  valid: boolean;
  error?: string;
}
const file: { toleranceSeconds: number; cases: Vector[] } = JSON.parse(
  readFileSync(new URL("./vectors.json", import.meta.url), "utf8"),
);

describe("verifyWebhook against the fixed vectors (computed with Python's hmac/base64)", () => {
  it.each(file.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const headers = Object.fromEntries(Object.entries(c.headers).filter(([, v]) => v !== ""));
    const run = () =>
      verifyWebhook(c.secrets, headers, c.body, {
        now: () => c.now * 1000,
        toleranceSeconds: file.toleranceSeconds,
      });
    if (c.valid) {
      expect(run().id).toBe(c.headers["webhook-id"]);
    } else {
      expect(run).toThrow(WebhookVerificationError);
      try {
        run();
      } catch (e) {
        expect((e as WebhookVerificationError).code).toBe(c.error);
      }
    }
  });

  it("finds headers whatever their casing in a plain object", () => {
    const c = file.cases.find((v) => v.name === "valid, one secret")!;
    const title = (k: string) =>
      k.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
    const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [title(k), v]));
    expect(Object.keys(headers)).toContain("Webhook-Id");
    expect(verifyWebhook(c.secrets, headers, c.body, { now: () => c.now * 1000 }).id).toBe(
      c.headers["webhook-id"],
    );
  });

  it("accepts a fetch Headers object and a Buffer body", () => {
    const c = file.cases.find((v) => v.name === "valid, one secret")!;
    const headers = new Headers(c.headers);
    expect(verifyWebhook(c.secrets[0]!, headers, Buffer.from(c.body), { now: () => c.now * 1000 }).id).toBe(
      c.headers["webhook-id"],
    );
  });
});
