/**
 * Feature store options: schema, defaults, validation once at the edge (zod), frozen after.
 */
import { z } from "zod";
import { VerdictError } from "../../../lib/errors/index.ts";
import { TOPICS } from "../../../topology/index.ts";
import type { FeatureStoreOptions } from "./types.ts";

export const DAY_MS = 86_400_000;

export const STORE_DEFAULTS: Readonly<FeatureStoreOptions> = Object.freeze({
  // 30-day customer window + 7 days in which a replayed transaction is still recomputed exactly.
  customerRetentionMs: 37 * DAY_MS,
  // (t − 37 d, t − 7 d] terminal range + 7 days of slack for partition skew and replays.
  terminalRetentionMs: 44 * DAY_MS,
  labelPartitions: TOPICS.fraudLabelReported.partitions,
});

const positiveMs = z.number().int().positive();

export const storeOptionsSchema = z
  .object({
    customerRetentionMs: positiveMs.default(STORE_DEFAULTS.customerRetentionMs),
    terminalRetentionMs: positiveMs.default(STORE_DEFAULTS.terminalRetentionMs),
    labelPartitions: z.number().int().min(1).max(10_000).default(STORE_DEFAULTS.labelPartitions),
  })
  .strict();

export const redisStoreOptionsSchema = storeOptionsSchema
  .extend({
    /** redis:// or rediss:// URL. Default: REDIS_URL, else the local stack's redis://127.0.0.1:6379. */
    url: z
      .string()
      .regex(/^rediss?:\/\//, "expected redis:// or rediss://")
      .default(process.env.REDIS_URL ?? "redis://127.0.0.1:6379"),
    /**
     * Prefix of every key. Default "verdict:features:fraud-baseline@1:"; the feature-set version is in
     * it so a new definition never reads state written by an old one. Use a unique prefix per test.
     */
    keyPrefix: z.string().default("verdict:features:fraud-baseline@1:"),
    /** A command without a reply in this many ms fails (retriably). Default 5000. */
    commandTimeoutMs: positiveMs.default(5000),
    /** How long a reconnect may take before queued commands fail (retriably). Default 10000. */
    connectTimeoutMs: positiveMs.default(10_000),
  })
  .strict();

export type StoreOptionsInput = z.input<typeof storeOptionsSchema>;
export type RedisStoreOptions = z.output<typeof redisStoreOptionsSchema>;
export type RedisStoreOptionsInput = z.input<typeof redisStoreOptionsSchema>;

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): Readonly<z.output<S>> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid ${what} options:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data) as Readonly<z.output<S>>;
}

export function resolveStoreOptions(input?: StoreOptionsInput): Readonly<FeatureStoreOptions> {
  return parse(storeOptionsSchema, input, "feature store");
}

export function resolveRedisStoreOptions(input?: RedisStoreOptionsInput): Readonly<RedisStoreOptions> {
  return parse(redisStoreOptionsSchema, input, "Redis feature store");
}
