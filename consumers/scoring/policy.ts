/**
 * The decision table, pure: a Scored record (+ what the catalog knows of its model) in, a decision
 * with reasons out. Rules that decided (their hits ride in Scored.ruleHits) win; otherwise the score
 * against the thresholds: below review → approve/allow, [review, upper) → REVIEW (a human decides),
 * at or above upper → decline/block.
 */
import type { Scored } from "../../schemas/generated/types.ts";
import type { ModelInfo } from "./catalog.ts";
import { contributingFeatures, type ExplainOptions, unusualFeatures } from "./explain.ts";
import type { FraudPolicy, ModerationPolicy } from "./options.ts";
import { type Decision, formatHit, parseHit, type RuleHit, ruleDecision } from "./rules.ts";

export interface PolicyResult<D extends Decision> {
  decision: D;
  /** The model's score; null when a rule decided alone (no model ran). */
  score: number | null;
  reasons: string[];
  decidedBy: "rules" | "model";
  /** A human should look: a REVIEW decision. */
  review: boolean;
}

interface Labels<D extends Decision> {
  low: D;
  high: D;
  upperName: string;
}

const FRAUD: Labels<"APPROVE" | "REVIEW" | "DECLINE"> = {
  low: "APPROVE",
  high: "DECLINE",
  upperName: "decline",
};
const MODERATION: Labels<"ALLOW" | "REVIEW" | "BLOCK"> = { low: "ALLOW", high: "BLOCK", upperName: "block" };

/** The cascade's screen step: `screen:<model>@<version>:<score><clear:<cut>` (cleared) or `>=` (escalated). */
function screenReason(screen: NonNullable<Scored["screen"]>): string {
  const p3 = (x: number) => Number(x.toPrecision(3)).toString();
  const m = `${screen.model.name}@${screen.model.version}`;
  return `screen:${m}:${p3(screen.score)}${screen.cleared ? "<" : ">="}clear:${p3(screen.clearBelow)}`;
}

function decide<D extends Decision>(
  scored: Scored,
  labels: Labels<D>,
  fallback: { review: number; upper: number },
  useModelThresholds: boolean,
  explain: ExplainOptions,
  info: ModelInfo | undefined,
): PolicyResult<D | "REVIEW"> {
  const hits: RuleHit[] = scored.ruleHits.map((raw) => parseHit(raw) ?? { rule: raw, outcome: "FLAG" });
  const ruleReasons = hits.map((h) => `rule:${formatHit(h)}`);
  const byRule = ruleDecision(hits) as D | "REVIEW" | undefined;
  const ranModel = scored.model.provider !== "rules";
  if (byRule !== undefined) {
    return {
      decision: byRule,
      score: ranModel ? scored.score : null,
      reasons: ruleReasons,
      decidedBy: "rules",
      review: byRule === "REVIEW",
    };
  }
  const t = (useModelThresholds ? info?.thresholds : undefined) ?? fallback;
  const s = scored.score;
  const f3 = (x: number) => Number(x.toFixed(3)).toString();
  let decision: D | "REVIEW";
  let why: string;
  if (s >= t.upper) {
    decision = labels.high;
    why = `score:${f3(s)}>=${labels.upperName}:${f3(t.upper)}`;
  } else if (s >= t.review) {
    decision = "REVIEW";
    why = `score:${f3(s)}>=review:${f3(t.review)}<${labels.upperName}:${f3(t.upper)}`;
  } else {
    decision = labels.low;
    why = `score:${f3(s)}<review:${f3(t.review)}`;
  }
  // Only flagged verdicts are explained (most records approve: no work for them).
  const features =
    decision === labels.low
      ? []
      : Object.keys(scored.contributions ?? {}).length > 0
        ? contributingFeatures(scored.contributions, explain)
        : unusualFeatures(scored.features, info?.reference, explain);
  return {
    decision,
    score: s,
    reasons: scored.screen
      ? [why, screenReason(scored.screen), ...features, ...ruleReasons]
      : [why, ...features, ...ruleReasons],
    decidedBy: "model",
    review: decision === "REVIEW",
  };
}

export function decideFraud(scored: Scored, policy: FraudPolicy, info?: ModelInfo) {
  return decide(
    scored,
    FRAUD,
    { review: policy.thresholds.review, upper: policy.thresholds.decline },
    policy.useModelThresholds,
    policy.explain,
    info,
  );
}

export function decideModeration(scored: Scored, policy: ModerationPolicy, info?: ModelInfo) {
  return decide(
    scored,
    MODERATION,
    { review: policy.thresholds.review, upper: policy.thresholds.block },
    policy.useModelThresholds,
    policy.explain,
    info,
  );
}
