import { describe, expect, it } from "vitest";
import type { Scored } from "../../schemas/generated/types.ts";
import type { ModelInfo } from "./catalog.ts";
import { parseScoringPolicy } from "./options.ts";
import { decideFraud, decideModeration } from "./policy.ts";
import { scoredRecord, TEST_MODEL } from "./testing/scored.ts";

const policy = parseScoringPolicy({});
const model = TEST_MODEL;
const rules = { name: "fraud-rules", version: "1", provider: "rules" };
const scored = scoredRecord;

const reference: ModelInfo["reference"] = {
  TX_AMOUNT: { mean: 50, std: 40 },
  TERMINAL_ID_RISK_7DAY_WINDOW: { mean: 0.005, std: 0.05 },
  TX_DURING_NIGHT: { mean: 0.2, std: 0.4 },
};

interface Case {
  name: string;
  scored: Partial<Scored>;
  info?: ModelInfo;
  decision: string;
  score: number | null;
  review: boolean;
  reasons: string[];
}

// Policy defaults: fraud review 0.5 / decline 0.8; moderation review 0.5 / block 0.85.
const fraudCases: Case[] = [
  {
    name: "low score approves",
    scored: { score: 0.1 },
    decision: "APPROVE",
    score: 0.1,
    review: false,
    reasons: ["score:0.1<review:0.5"],
  },
  {
    name: "the uncertain band goes to review",
    scored: { score: 0.6 },
    decision: "REVIEW",
    score: 0.6,
    review: true,
    reasons: ["score:0.6>=review:0.5<decline:0.8"],
  },
  {
    name: "review threshold is inclusive",
    scored: { score: 0.5 },
    decision: "REVIEW",
    score: 0.5,
    review: true,
    reasons: ["score:0.5>=review:0.5<decline:0.8"],
  },
  {
    name: "a record the cascade's screen cleared approves, and says so",
    scored: {
      score: 0.00312,
      model,
      screen: { model, score: 0.00312, clearBelow: 0.008887, cleared: true },
    },
    decision: "APPROVE",
    score: 0.00312,
    review: false,
    reasons: ["score:0.003<review:0.5", "screen:fraud-mlp@1.0.0:0.00312<clear:0.00889"],
  },
  {
    name: "a record the screen escalated is decided by the decider's score",
    scored: {
      score: 0.93,
      model: { name: "fraud-gbt", version: "1.0.0", provider: "cpu" },
      screen: { model, score: 0.2, clearBelow: 0.008887, cleared: false },
    },
    decision: "DECLINE",
    score: 0.93,
    review: false,
    reasons: ["score:0.93>=decline:0.8", "screen:fraud-mlp@1.0.0:0.2>=clear:0.00889"],
  },
  {
    name: "high score declines",
    scored: { score: 0.93 },
    decision: "DECLINE",
    score: 0.93,
    review: false,
    reasons: ["score:0.93>=decline:0.8"],
  },
  {
    name: "the model version's own thresholds win over the policy's",
    scored: { score: 0.6 },
    info: { thresholds: { review: 0.3, upper: 0.55 } },
    decision: "DECLINE",
    score: 0.6,
    review: false,
    reasons: ["score:0.6>=decline:0.55"],
  },
  {
    name: "a rule decided alone: no score, rule reason",
    scored: { score: 1, model: rules, ruleHits: ["amount_above_hard_cap:DECLINE:12000>10000"] },
    decision: "DECLINE",
    score: null,
    review: false,
    reasons: ["rule:amount_above_hard_cap:DECLINE:12000>10000"],
  },
  {
    name: "rule approve",
    scored: { score: 0, model: rules, ruleHits: ["tiny_amount_established_customer:APPROVE:2"] },
    decision: "APPROVE",
    score: null,
    review: false,
    reasons: ["rule:tiny_amount_established_customer:APPROVE:2"],
  },
  {
    name: "the most severe deciding rule wins",
    scored: { model: rules, ruleHits: ["a:APPROVE", "b:REVIEW", "c:FLAG:x"] },
    decision: "REVIEW",
    score: null,
    review: true,
    reasons: ["rule:a:APPROVE", "rule:b:REVIEW", "rule:c:FLAG:x"],
  },
  {
    name: "flags decide nothing but are kept as reasons",
    scored: { score: 0.2, ruleHits: ["new_device:FLAG"] },
    decision: "APPROVE",
    score: 0.2,
    review: false,
    reasons: ["score:0.2<review:0.5", "rule:new_device:FLAG"],
  },
  {
    name: "decline explains with the features furthest from the training mean (heuristic)",
    scored: {
      score: 0.9,
      features: { TX_AMOUNT: 250, TERMINAL_ID_RISK_7DAY_WINDOW: 0.5, TX_DURING_NIGHT: 1 },
    },
    info: { reference },
    decision: "DECLINE",
    score: 0.9,
    review: false,
    reasons: [
      "score:0.9>=decline:0.8",
      "feature:TERMINAL_ID_RISK_7DAY_WINDOW:+9.9sd",
      "feature:TX_AMOUNT:+5.0sd",
      "feature:TX_DURING_NIGHT:+2.0sd",
    ],
  },
  {
    name: "review explains with the model's occlusion contributions where inference computed them",
    scored: {
      score: 0.62,
      features: { TX_AMOUNT: 250, TERMINAL_ID_RISK_7DAY_WINDOW: 0.5 },
      contributions: {
        TX_AMOUNT: 0.41,
        TERMINAL_ID_RISK_7DAY_WINDOW: 0.0123,
        TX_DURING_NIGHT: 0.004,
        X: -0.2,
      },
    },
    info: { reference },
    decision: "REVIEW",
    score: 0.62,
    review: true,
    reasons: [
      "score:0.62>=review:0.5<decline:0.8",
      "contribution:TX_AMOUNT:+0.41",
      "contribution:TERMINAL_ID_RISK_7DAY_WINDOW:+0.012",
    ],
  },
  {
    name: "approve carries no feature explanations",
    scored: { score: 0.1, features: { TX_AMOUNT: 250 } },
    info: { reference },
    decision: "APPROVE",
    score: 0.1,
    review: false,
    reasons: ["score:0.1<review:0.5"],
  },
];

const moderationCases: Case[] = [
  {
    name: "allow",
    scored: { score: 0.2 },
    decision: "ALLOW",
    score: 0.2,
    review: false,
    reasons: ["score:0.2<review:0.5"],
  },
  {
    name: "review band",
    scored: { score: 0.7 },
    decision: "REVIEW",
    score: 0.7,
    review: true,
    reasons: ["score:0.7>=review:0.5<block:0.85"],
  },
  {
    name: "block",
    scored: { score: 0.85 },
    decision: "BLOCK",
    score: 0.85,
    review: false,
    reasons: ["score:0.85>=block:0.85"],
  },
  {
    name: "blocklist rule blocks without a model",
    scored: {
      model: { name: "moderation-rules", version: "1", provider: "rules" },
      score: 1,
      ruleHits: ["blocklist:BLOCK:2"],
    },
    decision: "BLOCK",
    score: null,
    review: false,
    reasons: ["rule:blocklist:BLOCK:2"],
  },
];

describe("fraud policy table", () => {
  it.each(fraudCases)("$name", (c) => {
    const r = decideFraud(scored(c.scored), policy.fraud, c.info);
    expect({ decision: r.decision, score: r.score, review: r.review, reasons: r.reasons }).toEqual({
      decision: c.decision,
      score: c.score,
      review: c.review,
      reasons: c.reasons,
    });
  });

  it("ignores model thresholds when useModelThresholds is false", () => {
    const p = parseScoringPolicy({ fraud: { useModelThresholds: false } });
    const r = decideFraud(scored({ score: 0.6 }), p.fraud, { thresholds: { review: 0.1, upper: 0.2 } });
    expect(r.decision).toBe("REVIEW");
  });
});

describe("moderation policy table", () => {
  it.each(moderationCases)("$name", (c) => {
    const r = decideModeration(scored({ domain: "MODERATION", ...c.scored }), policy.moderation, c.info);
    expect({ decision: r.decision, score: r.score, review: r.review, reasons: r.reasons }).toEqual({
      decision: c.decision,
      score: c.score,
      review: c.review,
      reasons: c.reasons,
    });
  });
});

describe("policy options", () => {
  it("refuses inverted thresholds with the path named", () => {
    expect(() => parseScoringPolicy({ fraud: { thresholds: { review: 0.9, decline: 0.5 } } })).toThrow(
      /scoring\.fraud\.thresholds: review must be ≤ decline/,
    );
    expect(() => parseScoringPolicy({ moderation: { rules: { nope: true } } })).toThrow(
      /scoring\.moderation\.rules/,
    );
  });
});
