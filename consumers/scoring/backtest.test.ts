import { describe, expect, it } from "vitest";
import { type BacktestDomain, backtestPolicy, type PastVerdict } from "./backtest.ts";
import { parseScoringPolicy } from "./options.ts";
import { decideFraud, decideModeration } from "./policy.ts";
import { scoredRecord, TEST_MODEL } from "./testing/scored.ts";

const model = TEST_MODEL;
const rules = { name: "fraud-rules", version: "1", provider: "rules" };
const modelThresholds = { thresholds: { review: 0.3, upper: 0.7 } };

/** Verdicts as the scoring stage made them under `policy` (decided by the same table). */
function made(policyInput: unknown, scores: number[], domain: BacktestDomain = "fraud") {
  const policy = parseScoringPolicy(policyInput);
  return scores.map((score) => {
    const scored = scoredRecord({ domain: domain === "fraud" ? "FRAUD" : "MODERATION", score });
    const r =
      domain === "fraud"
        ? decideFraud(scored, policy.fraud, modelThresholds)
        : decideModeration(scored, policy.moderation, modelThresholds);
    return {
      domain,
      verdict: { decision: r.decision, score: r.score, reasons: r.reasons, model } as PastVerdict,
    };
  });
}

const scores = [0.05, 0.2, 0.35, 0.5, 0.65, 0.75, 0.9];

describe("policy backtest", () => {
  it("the policy the verdicts were made under changes nothing", () => {
    const past = [...made({}, scores), ...made({}, scores, "moderation")];
    const report = backtestPolicy(past, parseScoringPolicy({}), () => modelThresholds);
    expect(report.fraud).toMatchObject({ verdicts: 7, redecided: 7, changed: 0, byRules: 0 });
    expect(report.moderation).toMatchObject({ verdicts: 7, redecided: 7, changed: 0 });
    // model.json thresholds 0.3 / 0.7: 2 approve, 3 review, 2 decline
    expect(report.fraud.transitions).toEqual({
      "APPROVE→APPROVE": 2,
      "REVIEW→REVIEW": 3,
      "DECLINE→DECLINE": 2,
    });
  });

  it("counts what new thresholds would move, and where", () => {
    const past = made({}, scores);
    const candidate = parseScoringPolicy({
      fraud: { useModelThresholds: false, thresholds: { review: 0.5, decline: 0.6 } },
    });
    const report = backtestPolicy(past, candidate, () => modelThresholds);
    expect(report.fraud.changed).toBe(2);
    expect(report.fraud.transitions).toEqual({
      "APPROVE→APPROVE": 2,
      "REVIEW→APPROVE": 1, // 0.35
      "REVIEW→REVIEW": 1, // 0.5
      "REVIEW→DECLINE": 1, // 0.65
      "DECLINE→DECLINE": 2,
    });
    expect(report.fraud.decisions).toEqual({ APPROVE: 3, REVIEW: 1, DECLINE: 3 });
  });

  it("keeps a rule's non-deciding hits and counts rule-decided verdicts as they were", () => {
    const flagged: PastVerdict = {
      decision: "REVIEW",
      score: 0.1,
      reasons: ["rule:new_device:REVIEW"],
      model,
    };
    const declined: PastVerdict = {
      decision: "DECLINE",
      score: null,
      reasons: ["rule:amount_above_hard_cap:DECLINE:12000>10000"],
      model: rules,
    };
    const report = backtestPolicy(
      [
        { domain: "fraud", verdict: flagged },
        { domain: "fraud", verdict: declined },
      ],
      parseScoringPolicy({ fraud: { thresholds: { review: 0.9, decline: 0.95 } } }),
      () => undefined,
    );
    // the REVIEW came from the rule hit, which the candidate keeps: unchanged despite the thresholds
    expect(report.fraud).toMatchObject({ verdicts: 2, byRules: 1, redecided: 1, changed: 0 });
    expect(report.fraud.decisions).toEqual({ REVIEW: 1, DECLINE: 1 });
  });
});
