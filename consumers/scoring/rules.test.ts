import { describe, expect, it } from "vitest";
import type { PostFeatures, TransactionFeatures } from "../../schemas/generated/types.ts";
import { LivePolicy } from "./live-policy.ts";
import { parseScoringPolicy } from "./options.ts";
import { createRuleGate, parseHit } from "./rules.ts";

const policy = parseScoringPolicy({});
const gate = createRuleGate(policy);

function tx(amount: number, features: Record<string, number> = {}): TransactionFeatures {
  return {
    eventId: "e",
    transactionId: "t",
    customerId: "c",
    terminalId: "term",
    amount,
    occurredAt: 0,
    featureSet: "fraud-baseline@1",
    features: {
      TX_AMOUNT: amount,
      CUSTOMER_ID_NB_TX_30DAY_WINDOW: 40,
      TERMINAL_ID_RISK_7DAY_WINDOW: 0,
      TERMINAL_ID_RISK_30DAY_WINDOW: 0,
      ...features,
    },
  };
}

function post(text: string, blocklistHits: string[] = []): PostFeatures {
  return {
    eventId: "e",
    postId: "p",
    authorId: "a",
    occurredAt: 0,
    normalizedText: text,
    featureSet: "moderation@1",
    features: {},
    blocklistHits,
  };
}

// Defaults: decline above 10000; approve ≤ 5 with ≥ 20 tx in 30 days and no terminal fraud;
// block on blocklist hits; block ≥ 300 chars with ≤ 0.2 unique-word ratio or a 50-char run.
const fraudTable: { name: string; input: TransactionFeatures; decided: boolean; hits: string[] }[] = [
  { name: "ordinary amount goes to the model", input: tx(120), decided: false, hits: [] },
  {
    name: "above the hard cap declines",
    input: tx(12_000),
    decided: true,
    hits: ["amount_above_hard_cap:DECLINE:12000>10000"],
  },
  { name: "exactly the cap goes to the model", input: tx(10_000), decided: false, hits: [] },
  {
    name: "tiny amount, established customer, clean terminal approves",
    input: tx(3.5),
    decided: true,
    hits: ["tiny_amount_established_customer:APPROVE:3.5"],
  },
  {
    name: "tiny amount from a new customer goes to the model",
    input: tx(3.5, { CUSTOMER_ID_NB_TX_30DAY_WINDOW: 2 }),
    decided: false,
    hits: [],
  },
  {
    name: "tiny amount at a terminal with recent fraud goes to the model",
    input: tx(3.5, { TERMINAL_ID_RISK_7DAY_WINDOW: 0.2 }),
    decided: false,
    hits: [],
  },
  {
    name: "tiny amount without terminal features goes to the model (missing = risky)",
    input: { ...tx(3.5), features: { CUSTOMER_ID_NB_TX_30DAY_WINDOW: 40 } },
    decided: false,
    hits: [],
  },
];

const spam = "buy now ".repeat(60);
const moderationTable: { name: string; input: PostFeatures; decided: boolean; hits: string[] }[] = [
  {
    name: "ordinary text goes to the model",
    input: post("what a lovely day at the beach"),
    decided: false,
    hits: [],
  },
  {
    name: "blocklist hits block",
    input: post("some text", ["slur1", "slur2"]),
    decided: true,
    hits: ["blocklist:BLOCK:2"],
  },
  {
    name: "long repeated spam blocks",
    input: post(spam),
    decided: true,
    hits: ["repeated_spam:BLOCK:unique_ratio=0.02"],
  },
  {
    name: "a long run of one character blocks",
    input: post(`hey ${"!".repeat(400)}`),
    decided: true,
    hits: ["repeated_spam:BLOCK:char_run=400"],
  },
  { name: "short repetition goes to the model", input: post("no no no no no"), decided: false, hits: [] },
  {
    name: "long varied text goes to the model",
    input: post(Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ")),
    decided: false,
    hits: [],
  },
];

describe("cascade rules (the pre-check the inference stage runs)", () => {
  it.each(fraudTable)("fraud: $name", ({ input, decided, hits }) => {
    const out = gate.fraud!(input);
    expect({ decided: out.decided, hits: out.hits }).toEqual({ decided, hits });
    expect(out.ruleSet).toEqual({ name: "fraud-rules", version: "1" });
    if (decided) expect(out.score).toBe(hits[0]!.includes(":DECLINE") ? 1 : 0);
  });

  it.each(moderationTable)("moderation: $name", ({ input, decided, hits }) => {
    const out = gate.moderation!(input);
    expect({ decided: out.decided, hits: out.hits }).toEqual({ decided, hits });
  });

  it("rules can be switched off", () => {
    const off = createRuleGate(
      parseScoringPolicy({
        fraud: { rules: { declineAbove: null, approveTiny: null } },
        moderation: { rules: { blockOnBlocklist: false, repeatedSpam: null } },
      }),
    );
    expect(off.fraud!(tx(50_000)).decided).toBe(false);
    expect(off.moderation!(post(spam, ["x"])).decided).toBe(false);
  });

  it("hits round-trip through their string form", () => {
    expect(parseHit("repeated_spam:BLOCK:unique_ratio=0.02")).toEqual({
      rule: "repeated_spam",
      outcome: "BLOCK",
      detail: "unique_ratio=0.02",
    });
    expect(parseHit("weird")).toBeUndefined();
    expect(parseHit("x:MAYBE")).toBeUndefined();
  });

  it("a replaced LivePolicy's rules gate the next record, under its version", () => {
    const live = new LivePolicy();
    const liveGate = createRuleGate(live);
    expect(liveGate.fraud!(tx(6000)).decided).toBe(false); // declineAbove 10,000 by default
    live.replace({ version: "limits-2", fraud: { rules: { declineAbove: 5000 } } });
    expect(liveGate.fraud!(tx(6000))).toMatchObject({
      decided: true,
      score: 1,
      ruleSet: { name: "fraud-rules", version: "limits-2" },
    });
  });

  it("an invalid replacement is refused, naming the setting, and the current policy stays", () => {
    const live = new LivePolicy({ version: "1" });
    expect(() => live.replace({ versio: "2" } as never)).toThrow(/- scoring: Unrecognized key: "versio"/);
    expect(() => live.replace({ fraud: { thresholds: { review: 2 } } } as never)).toThrow(
      /scoring\.fraud\.thresholds\.review/,
    );
    expect(live.current.version).toBe("1");
    expect(live.current.fraud.thresholds.review).toBe(0.5);
  });
});
