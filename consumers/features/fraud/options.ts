/**
 * Options of the fraud feature stage: schema, defaults, validation once (zod), frozen.
 */
import { z } from "zod";
import { VerdictError } from "../../../lib/errors/index.ts";

export const labelGateSchema = z
  .object({
    /**
     * How long (processing time) a transaction may wait for the label watermark to pass its event
     * time before it is computed anyway (and counted as `incomplete`). 0 (default) = never wait:
     * right for live traffic, where a label is stored within the consumer lag of becoming known. Set
     * it (e.g. 30000) for fast replays through Kafka with labels consumed concurrently, where
     * partitions drift apart in event time; see README "Lateness".
     */
    maxWaitMs: z.number().int().min(0).default(0),
    /**
     * Labels that became known less than this long before a transaction may be missing from its
     * features without counting as incomplete: the gate opens when watermark > t − allowedLatenessMs.
     * Default 0 (strict: features equal the offline replay's).
     */
    allowedLatenessMs: z.number().int().min(0).default(0),
    /** Poll interval of the watermark while waiting, ms. Default 5. */
    pollMs: z.number().int().min(1).default(5),
  })
  .strict();

export const fraudStageOptionsSchema = z
  .object({
    /** Stage name in logs and metrics. Default "features.fraud". */
    name: z.string().min(1).default("features.fraud"),
    labelGate: labelGateSchema.default({ maxWaitMs: 0, allowedLatenessMs: 0, pollMs: 5 }),
  })
  .strict();

export type LabelGateOptions = z.output<typeof labelGateSchema>;
export type FraudStageOptions = z.output<typeof fraudStageOptionsSchema>;
export type FraudStageOptionsInput = z.input<typeof fraudStageOptionsSchema>;

export function resolveFraudStageOptions(input?: FraudStageOptionsInput): Readonly<FraudStageOptions> {
  const parsed = fraudStageOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid fraud feature stage options:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}
