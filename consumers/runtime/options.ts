/**
 * Runner settings, validated once with zod. Every option documents its default. The error policy is
 * data: what happens to poison records and to failures that stay retriable.
 */
import { z } from "zod";
import { VerdictError } from "../../lib/errors/index.ts";

export const errorPolicySchema = z
  .object({
    /**
     * Records that can never succeed (undecodable, invalid, non-retriable stage error):
     * "dlq" (default) = dead-letter topic with reason and original bytes, then move on;
     * "skip" = log and move on (data loss: only for topics where that is acceptable);
     * "fail" = stop the consumer and exit non-zero.
     */
    onPoison: z.enum(["dlq", "skip", "fail"]).default("dlq"),
    /** In-place attempts for a retriable failure before `onRetriesExhausted`. Default 5. */
    attempts: z.number().int().min(1).default(5),
    /** First backoff delay, ms. Default 200. */
    initialDelayMs: z.number().int().min(0).default(200),
    /** Cap on one backoff delay, ms. Default 30000. */
    maxDelayMs: z.number().int().min(1).default(30_000),
    /**
     * A failure still retriable after `attempts` (broker, registry or feature store down):
     * "block" (default) = keep retrying with capped backoff, nothing committed past the record, so
     * nothing is lost; "dlq" = dead-letter it; "fail" = stop the consumer and exit non-zero.
     */
    onRetriesExhausted: z.enum(["block", "dlq", "fail"]).default("block"),
  })
  .strict();

export const runnerSettingsSchema = z
  .object({
    /** Consumer group id. Default "verdict.<stage>". */
    groupId: z.string().min(1).optional(),
    /**
     * "at-least-once" (default): outputs acknowledged, then offsets committed; a crash may repeat
     * outputs, which carry the input's event id so consumers dedupe. "exactly-once": outputs and
     * offsets in one Kafka transaction; read_committed consumers see each output once.
     */
    delivery: z.enum(["at-least-once", "exactly-once"]).default("at-least-once"),
    /** Stable per instance: the transactional id is `<groupId>.<instanceId>`. Default: hostname-pid-free id "0". */
    instanceId: z.string().min(1).default("0"),
    /** Partitions processed concurrently by this process. Default 3. */
    partitionsConsumedConcurrently: z.number().int().min(1).default(3),
    /** Records per produce+commit unit (bounds memory and in-flight work). Default 500. */
    chunkSize: z.number().int().min(1).default(500),
    /**
     * Records of one chunk run concurrently at most (per-key mode). Default 500, a whole default
     * chunk: a smaller bound splits a chunk into waves that each wait a micro-batch round trip
     * (measured: 256 → 500 gave +5-8 % fused throughput, BENCHMARKS.md).
     */
    maxInFlight: z.number().int().min(1).default(500),
    /**
     * At-least-once: chunks of a partition that may still be processing or awaiting the broker's
     * acknowledgement while the consumer fetches on (offsets are committed only once acknowledged, in
     * order). Default 1. 0 = every chunk is processed and acknowledged before the next fetch (no
     * overlap). Measured (BENCHMARKS.md, third pass): 0 → 1 gave +3-5 % fused throughput, 2 no more;
     * latency alike within noise. Exactly-once always waits (one transaction per chunk).
     */
    pipelineDepth: z.number().int().min(0).default(1),
    /**
     * At-least-once: commit acknowledged offsets at most this often, ms (Kafka's
     * auto.commit.interval.ms; Kafka Streams commits every 100 ms under exactly-once). Default 100:
     * the offsets of every partition acknowledged meanwhile go in one request, and up to an interval's
     * delivered outputs repeat after a crash or an unclean rebalance (same event ids). 0 = as soon as
     * the previous commit returned: measured ~500 commit requests/s at 5.5k events/s, each one a write
     * on the broker's offsets log (BENCHMARKS.md, fifth pass). Exactly-once commits in every transaction.
     */
    commitIntervalMs: z.number().int().min(0).default(100),
    /**
     * At-least-once: a produce request waits until its oldest chunk is this old, or until it is full,
     * before it goes out, ms (Kafka's linger.ms). Default 2: at moderate load fewer, larger requests
     * (with the 100 ms commit interval: broker CPU −20 %, pipeline CPU −6 % at 5.5k events/s, p50
     * unchanged; BENCHMARKS.md, fifth pass). 0 = send at once when no request is in flight.
     */
    lingerMs: z.number().min(0).default(2),
    /**
     * At-least-once: what happens when the broker refuses a chunk's outputs for good (e.g. a record
     * over the output topic's max.message.bytes). "dead-letter" (default): after
     * `refusalsBeforeDeadLetter` refusals in a row, the chunk's records are sent one at a time and the
     * refused one goes to its input's DLQ (VERDICT_ERR_OUTPUT_REFUSED, original bytes, 30 days'
     * retention) so the partition moves on; `verdict dlq replay` sends it back once the topic is fixed.
     * "retry": the partition is re-read from that chunk with backoff until the topic is fixed (as Kafka
     * Streams' default production handler stops rather than skip). The partition then waits, and an
     * input record still waiting when its topic's retention (7 days) runs out is lost: why
     * dead-lettering is the default.
     */
    onRefusedOutput: z.enum(["retry", "dead-letter"]).default("dead-letter"),
    refusalsBeforeDeadLetter: z.number().int().min(1).default(3),
    /** Where a new group starts. Default "earliest" (never skip data). */
    fromBeginning: z.boolean().default(true),
    sessionTimeoutMs: z.number().int().min(6000).default(30_000),
    heartbeatIntervalMs: z.number().int().min(100).default(3000),
    /**
     * Fetch batching (Kafka's fetch.min.bytes / fetch.max.wait.ms): the broker answers a fetch once
     * this many bytes are available or `fetchMaxWaitMs` passed. Default 1 byte (answer at once).
     */
    fetchMinBytes: z.number().int().min(1).default(1),
    /**
     * Longest a fetch waits for `fetchMinBytes`, ms. Default 500, the Java client's fetch.max.wait.ms
     * (KafkaJS's own is 5000). It is also how long KafkaJS sleeps while every input is paused, which
     * is what a graceful stop does while in-flight chunks finish: 5000 made each stop take ~5 s.
     */
    fetchMaxWaitMs: z.number().int().min(0).default(500),
    /** KafkaJS fetch bounds: memory stays bounded when downstream is slow. */
    maxBytesPerPartition: z.number().int().min(1024).default(2_097_152),
    maxBytes: z.number().int().min(1024).default(16_777_216),
    /** On stop, how long in-flight work may take to finish before it is abandoned uncommitted. Default 10000. */
    shutdownGraceMs: z.number().int().min(0).default(10_000),
    /** Producer transaction timeout (EOS), ms. Default 60000. */
    transactionTimeoutMs: z.number().int().min(1000).default(60_000),
    errorPolicy: errorPolicySchema.default({
      onPoison: "dlq",
      attempts: 5,
      initialDelayMs: 200,
      maxDelayMs: 30_000,
      onRetriesExhausted: "block",
    }),
  })
  .strict();

export type ErrorPolicy = z.infer<typeof errorPolicySchema>;
export type RunnerSettings = z.infer<typeof runnerSettingsSchema>;
export type RunnerSettingsInput = z.input<typeof runnerSettingsSchema>;

export function parseRunnerSettings(input: unknown): Readonly<RunnerSettings> {
  const parsed = runnerSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid stage runner options:\n${lines}`);
  }
  return Object.freeze(parsed.data);
}
