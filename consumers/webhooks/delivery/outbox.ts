/**
 * Batches the worker's writes (attempt records, next tasks, dead letters, endpoint events) into few
 * produce requests: what is handed in within `lingerMs` goes out together (acks=all, idempotent
 * producer), in requests bounded by record count and bytes (a partition's record batch must stay
 * under the topic's max.message.bytes), and each caller learns when its records are acknowledged.
 * Transient failures (broker down, leader moving) are retried with backoff until the worker stops:
 * a finished attempt is never forgotten, it is only committed once its records are durable. A
 * permanent failure (e.g. a record too large) is not retried forever: it is reported to `onFatal`
 * so the process stops loudly instead of idling with work it can never write.
 */
import { type Kafka, type Message, Partitioners } from "kafkajs";
import { errorMessage, VerdictError } from "../../../lib/errors/index.ts";
import { FreshOnFailureProducer } from "../../../lib/kafka/index.ts";
import type { Logger } from "../../../lib/log/index.ts";
import { retry } from "../../../lib/retry/index.ts";
import { groupByTopic, messageSize } from "../../runtime/index.ts";

export interface OutRecord {
  topic: string;
  message: Message;
}

interface Pending {
  records: OutRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface OutboxOptions {
  /** Wait this long for more records before sending, ms. Default 5. */
  lingerMs?: number;
  /** Records per produce request at most. Default 500. */
  maxRecords?: number;
  /** Bytes per produce request at most (keys, values, headers). Default 524288. */
  maxBytes?: number;
  /** Called once when a write can never succeed. */
  onFatal?: (err: unknown) => void;
}

/** Kafka errors that no retry can fix. */
const PERMANENT = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "INVALID_REQUIRED_ACKS",
]);

function permanent(err: unknown): boolean {
  const e = err as { type?: string; originalError?: { type?: string } } | undefined;
  return PERMANENT.has(e?.type ?? "") || PERMANENT.has(e?.originalError?.type ?? "");
}

export class Outbox {
  /** Replaced after a failed send, so a retry never meets stale idempotent sequence numbers. */
  private readonly producer: FreshOnFailureProducer;
  private pending: Pending[] = [];
  private pendingRecords = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  constructor(
    kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: OutboxOptions = {},
  ) {
    this.producer = new FreshOnFailureProducer(() =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  send(records: OutRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const bytes = records.reduce((n, r) => n + messageSize(r.message), 0);
      this.pending.push({ records, bytes, resolve, reject });
      this.pendingRecords += records.length;
      this.flushSoon(
        this.pendingRecords >= (this.options.maxRecords ?? 500) ? 0 : (this.options.lingerMs ?? 5),
      );
    });
  }

  /** Sends what is pending and waits for every send in progress. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
    await this.flushing;
  }

  async disconnect(): Promise<void> {
    await this.flush().catch(() => {});
    this.abort.abort(new Error("outbox closed"));
    await this.producer.disconnect().catch(() => {});
  }

  private flushSoon(ms: number): void {
    if (this.timer) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, ms);
  }

  /** Cuts everything pending into bounded requests, sent one after the other. */
  private schedule(): void {
    const maxRecords = this.options.maxRecords ?? 500;
    const maxBytes = this.options.maxBytes ?? 512 * 1024;
    while (this.pending.length > 0) {
      const batch: Pending[] = [];
      let records = 0;
      let bytes = 0;
      while (this.pending.length > 0) {
        const next = this.pending[0]!;
        const fits = records + next.records.length <= maxRecords && bytes + next.bytes <= maxBytes;
        if (batch.length > 0 && !fits) break;
        batch.push(this.pending.shift()!);
        records += next.records.length;
        bytes += next.bytes;
      }
      this.pendingRecords -= records;
      this.flushing = this.flushing.then(() => this.write(batch));
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const topicMessages = groupByTopic(batch.flatMap((p) => p.records));
    const send = async () => {
      try {
        await this.producer.sendBatch({ topicMessages, acks: -1 });
      } catch (cause) {
        // KafkaJS gives up after its own retries; the outbox keeps going while running, unless no
        // retry can ever help.
        throw new VerdictError("VERDICT_ERR_KAFKA", `webhook outbox produce failed: ${errorMessage(cause)}`, {
          cause,
          retriable: !permanent(cause),
        });
      }
    };
    try {
      await retry(send, {
        attempts: Number.MAX_SAFE_INTEGER,
        initialDelayMs: 200,
        maxDelayMs: 5000,
        signal: this.abort.signal,
        retryIf: () => !this.abort.signal.aborted,
        onRetry: ({ attempt, error }) =>
          this.logger.warn({ err: error, attempt }, "webhook outbox: produce failed, retrying"),
      });
      for (const p of batch) p.resolve();
    } catch (err) {
      if (!this.abort.signal.aborted) {
        this.logger.fatal({ err }, "webhook outbox: a write can never succeed");
        this.options.onFatal?.(err);
      }
      for (const p of batch) p.reject(err);
    }
  }
}
