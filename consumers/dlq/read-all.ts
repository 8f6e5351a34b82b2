/**
 * Reads a topic from its earliest offset up to the end offsets taken at the start, then stops: a
 * bounded scan, for tools (DLQ inspect, tail --from-beginning). Uses a throwaway consumer group that
 * never commits, so it leaves no trace in the cluster's offsets. The last offsets of a topic written
 * transactionally are commit markers that are never delivered, so the scan also ends after `idleMs`
 * without a new record once the group has joined. `last` bounds the scan to each partition's most
 * recent records (the consumer seeks there once it has joined).
 */
import { randomUUID } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";
import { retry } from "../../lib/retry/index.ts";

export async function readAll(
  kafka: Kafka,
  topic: string,
  onMessage: (partition: number, message: KafkaMessage) => Promise<void>,
  options: { timeoutMs?: number; idleMs?: number; last?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  // Leadership can move (or not be known yet right after creation): retried like any retriable error.
  const ends = await retry(() => admin.fetchTopicOffsets(topic), {
    attempts: 6,
    initialDelayMs: 200,
  }).finally(() => admin.disconnect());
  const remaining = new Map<number, bigint>();
  const starts = new Map<number, bigint>();
  for (const p of ends) {
    const high = BigInt(p.high);
    let low = BigInt(p.low);
    if (options.last !== undefined && high - BigInt(options.last) > low) low = high - BigInt(options.last);
    starts.set(p.partition, low);
    if (high > low) remaining.set(p.partition, high);
  }
  if (remaining.size === 0) return;
  const consumer = kafka.consumer({ groupId: `verdict.tool.${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Reading ${topic} timed out before reaching its end offsets`)),
        options.timeoutMs ?? 60_000,
      );
      const idleMs = options.idleMs ?? 2500;
      let idle: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        clearTimeout(idle);
        resolve();
      };
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(finish, idleMs);
      };
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (options.last !== undefined) {
          for (const partition of remaining.keys()) {
            consumer.seek({ topic, partition, offset: String(starts.get(partition)) });
          }
        }
        armIdle();
      });
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            armIdle();
            const end = remaining.get(partition);
            if (end === undefined) return;
            const offset = BigInt(message.offset);
            if (offset < (starts.get(partition) ?? 0n)) return; // fetched before the seek landed
            if (offset < end) await onMessage(partition, message);
            if (offset + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) finish();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
