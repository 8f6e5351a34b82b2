/**
 * The cascade's first tier: cheap deterministic rules that may decide alone. They run in the
 * inference stage, before a record joins a batch (`createRuleGate` is its PreCheck), so a decided
 * record costs no inference; the hits travel in Scored.ruleHits as `<rule>:<OUTCOME>[:detail]` and
 * the scoring stage turns them into the verdict. Keeping the encoding here, next to the rules, means
 * one module owns both ends.
 */
import type { PostFeatures, TransactionFeatures } from "../../schemas/generated/types.ts";
import type { PreCheck, RuleOutcome } from "../inference/index.ts";
import { type LivePolicy, livePolicy } from "./live-policy.ts";
import type { FraudPolicy, ModerationPolicy, ScoringPolicy } from "./options.ts";

export type FraudDecision = "APPROVE" | "REVIEW" | "DECLINE";
export type ModerationDecision = "ALLOW" | "REVIEW" | "BLOCK";
export type Decision = FraudDecision | ModerationDecision;
/** FLAG = worth saying in the reasons, decides nothing. */
export type RuleOutcomeKind = Decision | "FLAG";

export interface RuleHit {
  rule: string;
  outcome: RuleOutcomeKind;
  detail?: string;
}

const OUTCOMES = new Set<RuleOutcomeKind>(["APPROVE", "REVIEW", "DECLINE", "ALLOW", "BLOCK", "FLAG"]);
/** Higher wins when several rules decide. */
const SEVERITY: Record<Decision, number> = { APPROVE: 0, ALLOW: 0, REVIEW: 1, DECLINE: 2, BLOCK: 2 };

export function formatHit(hit: RuleHit): string {
  return [hit.rule, hit.outcome, ...(hit.detail ? [hit.detail] : [])].join(":");
}

export function parseHit(s: string): RuleHit | undefined {
  const [rule, outcome, ...rest] = s.split(":");
  if (!rule || !outcome || !OUTCOMES.has(outcome as RuleOutcomeKind)) return undefined;
  return { rule, outcome: outcome as RuleOutcomeKind, ...(rest.length ? { detail: rest.join(":") } : {}) };
}

/** The decision of the most severe deciding hit, if any. */
export function ruleDecision(hits: readonly RuleHit[]): Decision | undefined {
  let best: Decision | undefined;
  for (const h of hits) {
    if (h.outcome === "FLAG") continue;
    if (best === undefined || SEVERITY[h.outcome] > SEVERITY[best]) best = h.outcome;
  }
  return best;
}

export function fraudRules(tx: TransactionFeatures, policy: FraudPolicy): RuleHit[] {
  const hits: RuleHit[] = [];
  const { declineAbove, approveTiny } = policy.rules;
  if (declineAbove !== null && tx.amount > declineAbove) {
    hits.push({ rule: "amount_above_hard_cap", outcome: "DECLINE", detail: `${tx.amount}>${declineAbove}` });
  } else if (approveTiny) {
    const f = tx.features;
    const history = f.CUSTOMER_ID_NB_TX_30DAY_WINDOW ?? 0;
    const risk = Math.max(f.TERMINAL_ID_RISK_7DAY_WINDOW ?? 1, f.TERMINAL_ID_RISK_30DAY_WINDOW ?? 1);
    if (
      tx.amount <= approveTiny.maxAmount &&
      history >= approveTiny.minTx30d &&
      risk <= approveTiny.maxTerminalRisk
    ) {
      hits.push({ rule: "tiny_amount_established_customer", outcome: "APPROVE", detail: `${tx.amount}` });
    }
  }
  return hits;
}

/** Longest run of one repeated character. */
function longestRun(text: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = i > 0 && text[i] === text[i - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  return best;
}

export function moderationRules(post: PostFeatures, policy: ModerationPolicy): RuleHit[] {
  const hits: RuleHit[] = [];
  if (policy.rules.blockOnBlocklist && post.blocklistHits.length > 0) {
    hits.push({ rule: "blocklist", outcome: "BLOCK", detail: String(post.blocklistHits.length) });
  }
  const spam = policy.rules.repeatedSpam;
  const text = post.normalizedText;
  if (spam && text.length >= spam.minChars) {
    const tokens = text.toLowerCase().split(/\s+/).filter(Boolean);
    const ratio = tokens.length ? new Set(tokens).size / tokens.length : 1;
    const run = longestRun(text);
    if (ratio <= spam.maxUniqueTokenRatio || run >= spam.maxCharRun) {
      hits.push({
        rule: "repeated_spam",
        outcome: "BLOCK",
        detail: ratio <= spam.maxUniqueTokenRatio ? `unique_ratio=${ratio.toFixed(2)}` : `char_run=${run}`,
      });
    }
  }
  return hits;
}

const RULE_SCORE: Record<Decision, number> = { APPROVE: 0, ALLOW: 0, REVIEW: 0.5, DECLINE: 1, BLOCK: 1 };

function outcome(hits: RuleHit[], ruleSet: RuleOutcome["ruleSet"]): RuleOutcome {
  const decision = ruleDecision(hits);
  return {
    decided: decision !== undefined,
    hits: hits.map(formatHit),
    ...(decision !== undefined ? { score: RULE_SCORE[decision] } : {}),
    ruleSet,
  };
}

/** The rules pre-check for the inference stage: decided records skip the model. A LivePolicy's
 * replacement applies from the next record. */
export function createRuleGate(policy: LivePolicy | ScoringPolicy): PreCheck {
  const live = livePolicy(policy);
  return {
    fraud: (tx) => {
      const p = live.current;
      return outcome(fraudRules(tx, p.fraud), { name: "fraud-rules", version: p.version });
    },
    moderation: (post) => {
      const p = live.current;
      return outcome(moderationRules(post, p.moderation), { name: "moderation-rules", version: p.version });
    },
  };
}
