/**
 * The scoring stage: one Scored in, exactly one verdict out (verdicts.fraud.v1 / verdicts.moderation.v1,
 * keyed like the input), plus a review request when the decision is REVIEW. Stateless and pure apart
 * from the model catalog lookup (cached), so "per-key" concurrency is safe.
 */
import type { Logger } from "../../lib/log/index.ts";
import { silentLogger } from "../../lib/log/index.ts";
import type {
  FraudVerdict,
  ModerationVerdict,
  ReviewRequest,
  Scored,
} from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import { input, type Stage, type StageContext, type StageOutput } from "../runtime/index.ts";
import type { ModelCatalog } from "./catalog.ts";
import { parseScoringPolicy, type ScoringPolicy, type ScoringPolicyInput } from "./options.ts";
import { decideFraud, decideModeration, type PolicyResult } from "./policy.ts";
import type { Decision } from "./rules.ts";

export interface ScoringDeps {
  /** The policy (zod-validated here). Default: the defaults of options.ts. */
  policy?: ScoringPolicyInput | ScoringPolicy;
  /** Thresholds and reference distributions per model version. Default: none (policy thresholds). */
  catalog?: ModelCatalog;
  logger?: Logger;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function createScoringStage(
  deps: ScoringDeps = {},
): Stage & { readonly policy: Readonly<ScoringPolicy> } {
  const policy = parseScoringPolicy(deps.policy);
  const logger = (deps.logger ?? silentLogger()).child({ stage: "scoring" });

  function timings(
    scored: Scored,
    ctx: StageContext,
    started: number,
    decidedAt: number,
  ): Record<string, number> {
    return {
      ...scored.timings,
      scoring_ms: round(performance.now() - started),
      scoring_input_age_ms: Math.max(0, decidedAt - ctx.timestamp),
      event_age_ms: Math.max(0, decidedAt - scored.occurredAt),
    };
  }

  function review(scored: Scored, result: PolicyResult<Decision>, decidedAt: number): StageOutput {
    const value: ReviewRequest = {
      eventId: scored.eventId,
      domain: scored.domain,
      subjectId: scored.subjectId,
      key: scored.key,
      score: result.score,
      reasons: result.reasons,
      model: scored.model,
      requestedAt: decidedAt,
    };
    return { topic: TOPICS.reviewRequests, key: scored.key, value };
  }

  async function info(scored: Scored) {
    return scored.model.provider === "rules" ? undefined : deps.catalog?.describe(scored.model);
  }

  return {
    name: "scoring",
    concurrency: "per-key",
    produces: [TOPICS.fraudVerdicts, TOPICS.moderationVerdicts, TOPICS.reviewRequests],
    policy,
    inputs: [
      input(TOPICS.transactionScored, async (scored, ctx) => {
        const started = performance.now();
        const result = decideFraud(scored, policy.fraud, await info(scored));
        const decidedAt = ctx.now();
        const verdict: FraudVerdict = {
          eventId: scored.eventId,
          transactionId: scored.subjectId,
          customerId: scored.key,
          decision: result.decision,
          score: result.score,
          reasons: result.reasons,
          model: scored.model,
          occurredAt: scored.occurredAt,
          decidedAt,
          timings: timings(scored, ctx, started, decidedAt),
        };
        if (result.decision !== "APPROVE") {
          logger.debug(
            { eventId: scored.eventId, decision: result.decision, by: result.decidedBy },
            "fraud verdict",
          );
        }
        return [
          { topic: TOPICS.fraudVerdicts, key: scored.key, value: verdict },
          ...(result.review ? [review(scored, result, decidedAt)] : []),
        ];
      }),
      input(TOPICS.postScored, async (scored, ctx) => {
        const started = performance.now();
        const result = decideModeration(scored, policy.moderation, await info(scored));
        const decidedAt = ctx.now();
        const verdict: ModerationVerdict = {
          eventId: scored.eventId,
          postId: scored.subjectId,
          authorId: scored.key,
          decision: result.decision,
          score: result.score,
          reasons: result.reasons,
          model: scored.model,
          occurredAt: scored.occurredAt,
          decidedAt,
          timings: timings(scored, ctx, started, decidedAt),
        };
        return [
          { topic: TOPICS.moderationVerdicts, key: scored.key, value: verdict },
          ...(result.review ? [review(scored, result, decidedAt)] : []),
        ];
      }),
    ],
  };
}
