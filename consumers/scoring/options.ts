/**
 * The scoring policy as data, validated once with zod: per domain the cascade's rules (cheap,
 * deterministic, evaluated before the model) and the score thresholds (the model decides the rest;
 * the band between review and decline/block goes to a human). Every option documents its default.
 */
import { z } from "zod";
import { settingPath, VerdictError } from "../../lib/errors/index.ts";

const probability = z.number().min(0).max(1);

const explainSchema = z
  .object({
    /** Features named in a non-approve verdict's reasons, at most. Default 3. */
    topFeatures: z.number().int().min(0).default(3),
    /** Only features at least this many reference std away from the training mean. Default 2. */
    minAbsZ: z.number().min(0).default(2),
    /** Only occlusion contributions of at least this many score points (Scored.contributions). Default 0.01. */
    minContribution: z.number().min(0).max(1).default(0.01),
  })
  .strict();

export const fraudPolicySchema = z
  .object({
    /** Used when the model's model.json has no thresholds (or `useModelThresholds` is false). */
    thresholds: z
      .object({ review: probability.default(0.5), decline: probability.default(0.8) })
      .strict()
      .refine((t) => t.review <= t.decline, "review must be ≤ decline")
      .default({ review: 0.5, decline: 0.8 }),
    /** Take thresholds from the scoring model version's model.json (they travel with the model). Default true. */
    useModelThresholds: z.boolean().default(true),
    rules: z
      .object({
        /** Decline amounts above this (major units) without asking the model. Default 10000; null = off. */
        declineAbove: z.number().positive().nullable().default(10_000),
        /**
         * Approve amounts up to `maxAmount` from established customers (≥ `minTx30d` transactions in the
         * last 30 days) at terminals with no recent fraud (7- and 30-day risk ≤ `maxTerminalRisk`).
         * Default 5 / 20 / 0; null = off.
         */
        approveTiny: z
          .object({
            maxAmount: z.number().positive().default(5),
            minTx30d: z.number().int().min(1).default(20),
            maxTerminalRisk: probability.default(0),
          })
          .strict()
          .nullable()
          .default({ maxAmount: 5, minTx30d: 20, maxTerminalRisk: 0 }),
      })
      .strict()
      .default({ declineAbove: 10_000, approveTiny: { maxAmount: 5, minTx30d: 20, maxTerminalRisk: 0 } }),
    explain: explainSchema.default({ topFeatures: 3, minAbsZ: 2, minContribution: 0.01 }),
  })
  .strict();

export const moderationPolicySchema = z
  .object({
    thresholds: z
      .object({ review: probability.default(0.5), block: probability.default(0.85) })
      .strict()
      .refine((t) => t.review <= t.block, "review must be ≤ block")
      .default({ review: 0.5, block: 0.85 }),
    useModelThresholds: z.boolean().default(true),
    rules: z
      .object({
        /** Block posts with any blocklist hit (from the features stage). Default true. */
        blockOnBlocklist: z.boolean().default(true),
        /**
         * Block long repetitive spam: at least `minChars` characters and either at most
         * `maxUniqueTokenRatio` distinct words per word, or one character repeated `maxCharRun` times
         * in a row. Default 300 / 0.2 / 50; null = off.
         */
        repeatedSpam: z
          .object({
            minChars: z.number().int().min(1).default(300),
            maxUniqueTokenRatio: probability.default(0.2),
            maxCharRun: z.number().int().min(2).default(50),
          })
          .strict()
          .nullable()
          .default({ minChars: 300, maxUniqueTokenRatio: 0.2, maxCharRun: 50 }),
      })
      .strict()
      .default({
        blockOnBlocklist: true,
        repeatedSpam: { minChars: 300, maxUniqueTokenRatio: 0.2, maxCharRun: 50 },
      }),
    explain: explainSchema.default({ topFeatures: 3, minAbsZ: 2, minContribution: 0.01 }),
  })
  .strict();

export const scoringPolicySchema = z
  .object({
    /** Version of this policy; rule-decided verdicts carry it as model.version. Default "1". */
    version: z.string().min(1).default("1"),
    fraud: fraudPolicySchema.default(fraudPolicySchema.parse({})),
    moderation: moderationPolicySchema.default(moderationPolicySchema.parse({})),
  })
  .strict();

export type ScoringPolicy = z.infer<typeof scoringPolicySchema>;
export type ScoringPolicyInput = z.input<typeof scoringPolicySchema>;
export type FraudPolicy = ScoringPolicy["fraud"];
export type ModerationPolicy = ScoringPolicy["moderation"];

export function parseScoringPolicy(input: unknown): Readonly<ScoringPolicy> {
  const parsed = scoringPolicySchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues
      .map((i) => `  - ${settingPath("scoring", i.path)}: ${i.message}`)
      .join("\n");
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid scoring policy:\n${lines}`);
  }
  return Object.freeze(parsed.data);
}
