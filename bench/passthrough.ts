/**
 * The baseline every stage benchmark is a ratio of: a raw KafkaJS consume → produce passthrough.
 * It consumes the same input topics (same data, same partitions) with the same consumer settings as
 * the stage runner (group, fetch bounds, partitionsConsumedConcurrently, chunks of 500,
 * read_committed), produces each record's bytes unchanged (key, value, headers) to another topic with
 * the same producer settings (idempotent, one in-flight request, acks=all, murmur2 partitioner),
 * resolves the offsets after the produce is acknowledged and lets KafkaJS commit after each batch, as
 * the runner does in at-least-once mode. What it does not do: decode, run a stage, encode.
 *
 *   npx tsx bench/passthrough.ts [--rounds 3] [--customers 1000] [--days 10] [--posts 10000]
 *
 * run directly, it measures the passthrough alone (records/s, median of rounds); the stage and
 * pipeline benchmarks (bench/stages.ts, bench/pipeline.ts) run it in the same run as their contenders.
 */
import { type Consumer, type Kafka, Partitioners, type Producer } from "kafkajs";
import type { Meter } from "./lib/meter.ts";

export interface PassthroughOptions {
  kafka: Kafka;
  inputs: string[];
  output: string;
  groupId: string;
  /** As the runner's setting of the same name. Default 6 (the embedded pipeline's). */
  partitionsConsumedConcurrently?: number;
  /** Records per produce+commit unit, as the runner's chunkSize. Default 500. */
  chunkSize?: number;
  meter: Meter;
  /** Name under which chunks are counted in the meter. Default "passthrough". */
  name?: string;
}

export interface Passthrough {
  stop(): Promise<void>;
}

export async function startPassthrough(options: PassthroughOptions): Promise<Passthrough> {
  const chunkSize = options.chunkSize ?? 500;
  const name = options.name ?? "passthrough";
  // Same settings as consumers/runtime (runner.ts and sink.ts defaults).
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    maxBytesPerPartition: 2_097_152,
    maxBytes: 16_777_216,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const producer: Producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 50, maxRetryTime: 2000 },
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: options.inputs, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 18,
    eachBatchAutoResolve: false,
    autoCommit: true,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      for (let i = 0; i < batch.messages.length; i += chunkSize) {
        if (!isRunning() || isStale()) break;
        const started = performance.now();
        const chunk = batch.messages.slice(i, i + chunkSize);
        await producer.sendBatch({
          acks: -1,
          topicMessages: [
            {
              topic: options.output,
              messages: chunk.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
            },
          ],
        });
        resolveOffset(chunk[chunk.length - 1]!.offset);
        await commitOffsetsIfNecessary();
        options.meter.record(name, chunk.length, chunk.length, 0, performance.now() - started);
        await heartbeat();
      }
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const { cli } = await import("./lib/cli.ts");
  const { datasetSpecs } = await import("./lib/specs.ts");
  const { printRounds, runRounds } = await import("./lib/orchestrate.ts");
  const args = cli(
    "Raw KafkaJS consume→produce passthrough over the benchmark dataset (the baseline of every ratio).",
    "npx tsx bench/passthrough.ts [options]",
    {
      ...datasetSpecs,
      rounds: { type: "string", default: "3", help: "repetitions (median and spread reported)" },
      "partitions-concurrency": {
        type: "string",
        default: "18",
        help: "partitionsConsumedConcurrently (the embedded pipeline uses 18)",
      },
      json: { type: "boolean", default: false, help: "print one JSON line with the results" },
    },
  );
  const report = await runRounds({
    title: "raw passthrough",
    args,
    contenders: [{ id: "passthrough-all", label: "raw passthrough (tx + labels + posts)" }],
    baseline: "passthrough-all",
  });
  printRounds(report, args.json);
}

if (process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href) {
  await main();
}
