/**
 * Where a chunk's outputs go and how its offsets are committed: the one place delivery semantics live.
 * - at-least-once: send (idempotent producer, acks=all; chunks of all partitions share requests, see
 *   produce-queue.ts); the runner commits a partition's offsets once its outputs are acknowledged.
 * - exactly-once: outputs + offsets in one Kafka transaction (KIP-98; KafkaJS sendOffsets).
 *   KafkaJS runs one transaction at a time per producer, so chunks from concurrent partitions take
 *   turns at commit time (processing itself still runs concurrently).
 */
import { type Kafka, Partitioners, type Producer } from "kafkajs";
import { FreshOnFailureProducer } from "../../lib/kafka/index.ts";
import type { TopicMessages } from "./encode.ts";
import { ProduceQueue } from "./produce-queue.ts";

export interface CommitPoint {
  topic: string;
  partition: number;
  /** Offset of the last processed record in the chunk (the committed offset is this + 1). */
  lastOffset: string;
}

export interface AtLeastOnceSink {
  readonly delivery: "at-least-once";
  connect(): Promise<void>;
  /**
   * Resolves once the outputs are acknowledged; outputs sent earlier are acknowledged first.
   * `onFail` runs synchronously when the send is known to have failed (see ProduceQueue). `alone`:
   * in a produce request of their own (a refusal is then known to be about these outputs).
   */
  send(outputs: TopicMessages[], onFail?: (error: unknown) => void, alone?: boolean): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ExactlyOnceSink {
  readonly delivery: "exactly-once";
  connect(): Promise<void>;
  /** Publishes the chunk's outputs and commits `commit` in one transaction. */
  deliver(outputs: TopicMessages[], commit: CommitPoint): Promise<void>;
  disconnect(): Promise<void>;
}

export type Sink = AtLeastOnceSink | ExactlyOnceSink;

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

export function atLeastOnceSink(kafka: Kafka, options: { lingerMs?: number } = {}): AtLeastOnceSink {
  // Replaced after a refused request (see lib/kafka/fresh-producer.ts); the queue sends one request at a time.
  const producer = new FreshOnFailureProducer(() =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: PRODUCER_RETRY,
    }),
  );
  const queue = new ProduceQueue(
    async (topicMessages) => {
      await producer.sendBatch({ topicMessages, acks: -1 });
    },
    {
      lingerMs: options.lingerMs,
    },
  );
  return {
    delivery: "at-least-once",
    connect: () => producer.connect(),
    send: (outputs, onFail, alone) => queue.enqueue(outputs, onFail, alone),
    disconnect: () => producer.disconnect(),
  };
}

export function exactlyOnceSink(
  kafka: Kafka,
  options: { transactionalId: string; groupId: string; transactionTimeoutMs: number },
): ExactlyOnceSink {
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
    delivery: "exactly-once",
    connect: () => producer.connect(),
    deliver(outputs, commit) {
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
      });
    },
    disconnect: () => producer.disconnect(),
  };
}
