import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import type { KafkaMessage } from "kafkajs";
import { readAll } from "../../consumers/dlq/index.ts";
import { positiveInt } from "../../lib/cli/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import { fromKafkaHeaders, parseTraceparent } from "../../lib/trace/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import { allTopics, TOPIC_PREFIX, TOPICS, type TopicDescriptor, topicByName } from "../../topology/index.ts";
import type { CliContext } from "../context.ts";
import { onShutdownSignal } from "../signals.ts";

/** A declared topic by full name, name without VERDICT_TOPIC_PREFIX, or id (e.g. fraudVerdicts). */
export function declaredTopic(name: string): TopicDescriptor {
  const t =
    topicByName(name) ??
    topicByName(`${TOPIC_PREFIX}${name}`) ??
    (TOPICS as Record<string, TopicDescriptor>)[name];
  if (!t) {
    throw new VerdictError(
      "VERDICT_ERR_TOPIC_UNKNOWN",
      `${name} is not declared in topology/ (see: verdict topics describe); known: ${allTopics()
        .map((x) => x.name)
        .join(", ")}`,
    );
  }
  return t;
}

/** JSON for decoded Avro: bytes as UTF-8 when printable, else base64; bigint as a string. */
export function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value && typeof value === "object" && (value as { type?: string }).type === "Buffer") {
    const buf = Buffer.from((value as { data: number[] }).data);
    const text = buf.toString("utf8");
    return /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(text) && !text.includes("\ufffd")
      ? text
      : `base64:${buf.toString("base64")}`;
  }
  return value;
}

export async function decodeRecord(
  codec: AvroCodec,
  topic: TopicDescriptor,
  partition: number,
  message: KafkaMessage,
) {
  const headers = fromKafkaHeaders(message.headers);
  let value: unknown;
  try {
    value = (await codec.decode(topic, message.value)).value;
  } catch (err) {
    value = { undecodable: (err as Error).message, bytes: message.value?.toString("base64") ?? null };
  }
  return {
    topic: topic.name,
    partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: message.key?.toString() ?? null,
    headers: {
      correlationId: headers.correlationId,
      traceId: parseTraceparent(headers.traceparent)?.traceId,
      traceparent: headers.traceparent,
      eventId: headers.eventId,
      eventType: headers.eventType,
      producer: headers.producer,
      causationId: headers.causationId,
      ...headers.extra,
    },
    value,
  };
}

/** How long tail waits to leave its (throwaway) consumer group before exiting anyway. */
const DISCONNECT_GRACE_MS = 5_000;

/** Disconnects `consumer`, or gives up after `ms`: true when it left in time. */
export function disconnectWithin(consumer: { disconnect(): Promise<void> }, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    consumer.disconnect().then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function tailCommand(program: Command, ctx: CliContext): void {
  program
    .command("tail <topic>")
    .description(
      "Print a topic's records decoded (Avro via the registry) as JSON lines, with key, offsets and ids; " +
        "follows new records until Ctrl-C",
    )
    .option("--from-beginning", "start at the earliest offset instead of the end")
    .option("--no-follow", "print what the topic holds now (from the beginning) and exit")
    .option("--key <key>", "only records with this key")
    .option("--limit <n>", "exit after printing this many records", positiveInt)
    .option("--pretty", "indent the JSON")
    .action(async (name: string, opts) => {
      const topic = declaredTopic(name);
      const deps = await ctx.reachableDeps();
      const limit: number = opts.limit ?? Number.POSITIVE_INFINITY;
      let printed = 0;
      const print = async (partition: number, message: KafkaMessage) => {
        if (printed >= limit) return;
        if (opts.key !== undefined && message.key?.toString() !== opts.key) return;
        const record = await decodeRecord(deps.codec, topic, partition, message);
        ctx.print(JSON.stringify(record, jsonValue, opts.pretty ? 2 : undefined));
        printed++;
      };
      if (!opts.follow) {
        await readAll(deps.kafka, topic.name, print);
        return;
      }
      const consumer = deps.kafka.consumer({
        groupId: `${TOPIC_PREFIX}verdict.tool.tail.${randomUUID()}`,
        maxWaitTimeInMs: 250,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic.name], fromBeginning: Boolean(opts.fromBeginning) });
      await new Promise<void>((resolve, reject) => {
        // A second Ctrl-C (after the first's relayed copies) forces the exit: tail commits nothing.
        onShutdownSignal(() => resolve(), { forceHint: "tail commits nothing, so nothing is lost." });
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              await print(partition, message);
              if (printed >= limit) resolve();
            },
          })
          .catch(reject);
      });
      // Leaving the group needs the broker; if it went away, KafkaJS would retry for minutes. The
      // group is a throwaway (no commits), so stop waiting after a few seconds.
      if (!(await disconnectWithin(consumer, DISCONNECT_GRACE_MS))) {
        ctx.logger.warn(
          `the broker did not answer within ${DISCONNECT_GRACE_MS} ms; exiting without leaving the group`,
        );
        // KafkaJS keeps reconnecting in the background, which would keep the process alive.
        process.exit(0);
      }
    });
}
