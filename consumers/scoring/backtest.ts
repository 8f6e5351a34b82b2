/**
 * Policy backtest: what a candidate scoring policy would have decided for verdicts already made
 * (Stripe Radar's rule backtesting, for thresholds). Pure: past verdicts in, a transition table out.
 *
 * A verdict keeps what the decision table needs for the model's part (the score, the model version,
 * its non-deciding rule hits in the reasons), so a model-decided verdict is decided again under the
 * candidate's thresholds (its model.json's when `useModelThresholds`). Rule-decided verdicts are
 * counted, not re-decided: the rules read features, which verdicts do not carry, so a change of the
 * rules themselves is not backtested here.
 */
import type { FraudVerdict, ModerationVerdict, Scored } from "../../schemas/generated/types.ts";
import type { ModelInfo } from "./catalog.ts";
import type { ScoringPolicy } from "./options.ts";
import { decideFraud, decideModeration } from "./policy.ts";

export type BacktestDomain = "fraud" | "moderation";

export type PastVerdict = Pick<FraudVerdict | ModerationVerdict, "decision" | "score" | "reasons" | "model">;

export interface DomainBacktest {
  /** Verdicts read. */
  verdicts: number;
  /** Decided by rules alone: not re-decided (see above). */
  byRules: number;
  /** Model-decided verdicts decided again under the candidate. */
  redecided: number;
  /** Of those, how many would change. */
  changed: number;
  /** `<was>→<would be>`: count, for every pair seen (unchanged ones too). */
  transitions: Record<string, number>;
  /** Decisions the candidate would make, rule-decided verdicts as they were. */
  decisions: Record<string, number>;
}

export type BacktestReport = Record<BacktestDomain, DomainBacktest>;

const RULE_REASON = "rule:";

function emptyDomain(): DomainBacktest {
  return { verdicts: 0, byRules: 0, redecided: 0, changed: 0, transitions: {}, decisions: {} };
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** The Scored record a verdict was decided from, as far as the decision table reads it. */
function asScored(domain: BacktestDomain, v: PastVerdict, score: number): Scored {
  return {
    eventId: "",
    domain: domain === "fraud" ? "FRAUD" : "MODERATION",
    subjectId: "",
    key: "",
    occurredAt: 0,
    score,
    model: v.model,
    features: {},
    ruleHits: v.reasons.filter((r) => r.startsWith(RULE_REASON)).map((r) => r.slice(RULE_REASON.length)),
    timings: {},
    contributions: {},
    screen: null,
  };
}

/**
 * Decides `verdicts` again under `policy`. `info` gives a model version's thresholds (the scoring
 * stage's catalog), undefined where the policy's own apply.
 */
export function backtestPolicy(
  verdicts: Iterable<{ domain: BacktestDomain; verdict: PastVerdict }>,
  policy: ScoringPolicy,
  info: (model: PastVerdict["model"]) => ModelInfo | undefined,
): BacktestReport {
  const report: BacktestReport = { fraud: emptyDomain(), moderation: emptyDomain() };
  for (const { domain, verdict } of verdicts) {
    const r = report[domain];
    r.verdicts++;
    if (verdict.model.provider === "rules" || verdict.score === null) {
      r.byRules++;
      bump(r.decisions, verdict.decision);
      continue;
    }
    const scored = asScored(domain, verdict, verdict.score);
    const now =
      domain === "fraud"
        ? decideFraud(scored, policy.fraud, info(verdict.model)).decision
        : decideModeration(scored, policy.moderation, info(verdict.model)).decision;
    r.redecided++;
    if (now !== verdict.decision) r.changed++;
    bump(r.transitions, `${verdict.decision}→${now}`);
    bump(r.decisions, now);
  }
  return report;
}
