/**
 * Offline replay options: the simulator's knobs plus the output. Validated once (zod), frozen.
 */
import { z } from "zod";
import { VerdictError } from "../../../lib/errors/index.ts";
import { TRANSACTION_DEFAULTS } from "../../../producers/simulators/transactions/index.ts";

export const DEFAULT_FRAUD_OUTPUT = "training/data/fraud-features.csv";
export const DEFAULT_MODERATION_OUTPUT = "training/data/moderation-features.csv";

export const replayOptionsSchema = z
  .object({
    /** Simulated days. Default 183 (the handbook's dataset). */
    days: z.number().int().min(1).default(TRANSACTION_DEFAULTS.days),
    /** Customers. Default 5,000. */
    customers: z.number().int().min(1).default(TRANSACTION_DEFAULTS.customers),
    /** Terminals. Default 10,000. */
    terminals: z.number().int().min(1).default(TRANSACTION_DEFAULTS.terminals),
    /** Simulator seed. Default 42. */
    seed: z.number().int().min(0).max(0xffffffff).default(TRANSACTION_DEFAULTS.seed),
    /** First day, YYYY-MM-DD (UTC). Default 2018-04-01. */
    startDate: z.string().default(TRANSACTION_DEFAULTS.startDate),
    /** Days from a transaction to its label event. Default 7. */
    labelDelayDays: z.number().min(0).default(TRANSACTION_DEFAULTS.labelDelayDays),
  })
  .strict();

export type ReplayOptions = z.output<typeof replayOptionsSchema>;
export type ReplayOptionsInput = z.input<typeof replayOptionsSchema>;

export function resolveReplayOptions(input?: ReplayOptionsInput): Readonly<ReplayOptions> {
  const parsed = replayOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid feature replay options:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}
