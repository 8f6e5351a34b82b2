/**
 * Options of the post simulator: schema, defaults, validation. Documented field by field in types.ts
 * (PostSimulatorOptions).
 */
import { z } from "zod";
import { parseOptions, utcMidnight } from "../common/validate.ts";
import type { PostSimulatorOptions } from "./types.ts";

export const POST_DEFAULTS: Readonly<PostSimulatorOptions> = Object.freeze({
  count: 1000,
  seed: 42,
  abusiveShare: 0.1,
  authors: 500,
  trollShare: 0.05,
  startDate: "2018-04-01",
  meanIntervalMs: 1000,
});

const D = POST_DEFAULTS;

export const postOptionsSchema = z
  .object({
    count: z.number().int().min(0).max(100_000_000).default(D.count),
    seed: z.number().int().min(0).max(0xffffffff).default(D.seed),
    abusiveShare: z.number().min(0).max(1).default(D.abusiveShare),
    authors: z.number().int().min(1).max(100_000_000).default(D.authors),
    trollShare: z.number().min(0).max(1).default(D.trollShare),
    startDate: z
      .string()
      .refine((s) => !Number.isNaN(utcMidnight(s)), "expected a calendar date YYYY-MM-DD")
      .default(D.startDate),
    meanIntervalMs: z.number().min(0).max(86_400_000).default(D.meanIntervalMs),
  })
  .strict();

export type PostSimulatorInput = z.input<typeof postOptionsSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesInterface: Same<z.output<typeof postOptionsSchema>, PostSimulatorOptions> = true;
void _schemaMatchesInterface;

/** Validates and freezes; throws VerdictError(VERDICT_ERR_CONFIG) naming each bad option. */
export function resolvePostOptions(input: PostSimulatorInput = {}): Readonly<PostSimulatorOptions> {
  return parseOptions(postOptionsSchema, input, "post simulator");
}
