/**
 * Where a chunk's outputs go and how its offsets are committed: the one place delivery semantics live.
 * - at-least-once: send (idempotent producer, acks=all), then resolve + commit the offsets.
 * - exactly-once: outputs + offsets in one Kafka transaction (KIP-98; KafkaJS sendOffsets).
 *   KafkaJS runs one transaction at a time per producer, so chunks from concurrent partitions take
 *   turns at commit time (processing itself still runs concurrently).
 */
import { type Kafka, Partitioners, type Producer } from "kafkajs";
import type { TopicMessages } from "./encode.ts";

export interface CommitPoint {
  topic: string;
  partition: number;
  /** Offset of the last processed record in the chunk (the committed offset is this + 1). */
  lastOffset: string;
}

export interface Sink {
  connect(): Promise<void>;
  /** Publishes the chunk's outputs and commits `commit`, atomically in EOS mode. */
  deliver(outputs: TopicMessages[], commit: CommitPoint, resolve: () => Promise<void>): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Idempotent producers must not cap retries (KafkaJS warns: a capped count can break the sequence
 * guarantees), and the transaction coordinator answers CONCURRENT_TRANSACTIONS while it finishes the
 * previous commit: both are waited out here rather than turned into a crashed consumer.
 */
const PRODUCER_RETRY = { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 50, maxRetryTime: 2000 };

class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export function atLeastOnceSink(kafka: Kafka): Sink {
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: PRODUCER_RETRY,
  });
  return {
    connect: () => producer.connect(),
    async deliver(outputs, _commit, resolve) {
      if (outputs.length > 0) await producer.sendBatch({ topicMessages: outputs, acks: -1 });
      await resolve();
    },
    disconnect: () => producer.disconnect(),
  };
}

export function exactlyOnceSink(
  kafka: Kafka,
  options: { transactionalId: string; groupId: string; transactionTimeoutMs: number },
): Sink {
  const producer: Producer = kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: options.transactionTimeoutMs,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: PRODUCER_RETRY,
  });
  const mutex = new Mutex();
  return {
    connect: () => producer.connect(),
    deliver(outputs, commit, resolve) {
      return mutex.run(async () => {
        const txn = await producer.transaction();
        try {
          if (outputs.length > 0) await txn.sendBatch({ topicMessages: outputs, acks: -1 });
          await txn.sendOffsets({
            consumerGroupId: options.groupId,
            topics: [
              {
                topic: commit.topic,
                partitions: [
                  { partition: commit.partition, offset: (BigInt(commit.lastOffset) + 1n).toString() },
                ],
              },
            ],
          });
          await txn.commit();
        } catch (err) {
          await txn.abort().catch(() => {});
          throw err;
        }
        await resolve();
      });
    },
    disconnect: () => producer.disconnect(),
  };
}
