import { describe, expect, it } from "vitest";
import { VerdictError } from "../../lib/errors/index.ts";
import type { PostSubmitted, TransactionCreated } from "../../schemas/generated/types.ts";
import { memoryDedupe } from "./dedupe.ts";
import { parseIngestSettings } from "./options.ts";
import { normalizePost, normalizeTransaction } from "./validate.ts";

const settings = parseIngestSettings({});
const now = Date.UTC(2026, 0, 1);
const tx: TransactionCreated = {
  eventId: "e1",
  transactionId: "t1",
  customerId: "c1",
  terminalId: "term1",
  amount: 12.345,
  currency: "eur",
  occurredAt: now - 1000,
};
const post: PostSubmitted = {
  eventId: "e2",
  postId: "p1",
  authorId: "a1",
  text: "  hello\u0007 world ",
  language: "en",
  occurredAt: now,
};

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VerdictError);
    expect((err as VerdictError).code).toBe("VERDICT_ERR_VALIDATION");
    expect((err as VerdictError).retriable).toBe(false);
    return (err as Error).message;
  }
  throw new Error("expected a rejection");
}

describe("normalizeTransaction", () => {
  it("normalizes currency and rounds the amount", () => {
    expect(normalizeTransaction(tx, now, settings)).toMatchObject({
      currency: "EUR",
      amount: 12.35,
      ingestedAt: now,
    });
  });
  it.each([
    [{ amount: -5 }, /must not be negative/],
    [{ amount: Number.NaN }, /not a finite number/],
    [{ amount: 5e9 }, /exceeds the maximum/],
    [{ currency: "XXX" }, /not an accepted ISO 4217/],
    [{ occurredAt: now + 86_400_000 * 365 }, /in the future/],
    [{ customerId: "  " }, /customerId is empty/],
  ])("rejects %o with a clear reason", (patch, expected) => {
    expect(reason(() => normalizeTransaction({ ...tx, ...patch }, now, settings))).toMatch(expected);
  });
  it("accepts a zero amount (card-verification authorizations)", () => {
    expect(normalizeTransaction({ ...tx, amount: 0 }, now, settings).amount).toBe(0);
  });
  it("accepts old event times (replays of history are legitimate)", () => {
    expect(() =>
      normalizeTransaction({ ...tx, occurredAt: Date.UTC(2018, 3, 1) }, now, settings),
    ).not.toThrow();
  });
});

describe("normalizePost", () => {
  it("trims, strips control characters, NFC-normalizes", () => {
    const cafe = "cafe\u0301";
    expect(normalizePost({ ...post, text: cafe }, now, settings).text).toBe("caf\u00e9");
    expect(normalizePost(post, now, settings).text).toBe("hello world");
  });
  it.each([
    [{ text: "   " }, /empty/],
    [{ text: "x".repeat(1_000_000) }, /1000000 characters long/],
    [{ text: "bad \uFFFD bytes" }, /not valid UTF-8/],
    [{ text: "lone \uD800 surrogate" }, /not valid UTF-8/],
    [{ language: "not a tag!" }, /BCP 47/],
  ])("rejects %#", (patch, expected) => {
    expect(reason(() => normalizePost({ ...post, ...patch }, now, settings))).toMatch(expected);
  });
});

describe("memoryDedupe", () => {
  it("drops a duplicate id at another position, but not a redelivery at the same position", async () => {
    const d = memoryDedupe();
    expect(await d.isDuplicate("e", "t/0/1", 1000, 0)).toBe(false);
    expect(await d.isDuplicate("e", "t/0/1", 1000, 10)).toBe(false); // redelivery after a crash
    expect(await d.isDuplicate("e", "t/0/7", 1000, 20)).toBe(true); // the upstream app sent it twice
    expect(await d.isDuplicate("e", "t/0/9", 1000, 2000)).toBe(false); // outside the window
  });
});
