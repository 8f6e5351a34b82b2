export {
  type BacktestDomain,
  type BacktestReport,
  backtestPolicy,
  type DomainBacktest,
  type PastVerdict,
} from "./backtest.ts";
export { type ModelCatalog, type ModelInfo, registryCatalog } from "./catalog.ts";
export { type ExplainOptions, unusualFeatures } from "./explain.ts";
export { LivePolicy, livePolicy } from "./live-policy.ts";
export {
  type FraudPolicy,
  fraudPolicySchema,
  type ModerationPolicy,
  moderationPolicySchema,
  parseScoringPolicy,
  type ScoringPolicy,
  type ScoringPolicyInput,
  scoringPolicySchema,
} from "./options.ts";
export { decideFraud, decideModeration, type PolicyResult } from "./policy.ts";
export {
  createRuleGate,
  type Decision,
  formatHit,
  fraudRules,
  moderationRules,
  parseHit,
  type RuleHit,
  ruleDecision,
} from "./rules.ts";
export { createScoringStage, type ScoringDeps } from "./scoring.ts";
