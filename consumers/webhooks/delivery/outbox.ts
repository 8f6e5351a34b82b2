/**
 * Batches the worker's writes (attempt records, next tasks, dead letters, endpoint events) into few
 * produce requests: everything handed in within `lingerMs` goes in one sendBatch (acks=all,
 * idempotent producer), and each caller learns when its records are acknowledged. Broker outages
 * are retried with backoff until the worker stops: a finished attempt is never forgotten, it is
 * only committed once its records are durable.
 */
import { type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import { errorMessage, VerdictError } from "../../../lib/errors/index.ts";
import type { Logger } from "../../../lib/log/index.ts";
import { retry } from "../../../lib/retry/index.ts";
import { groupByTopic } from "../../runtime/index.ts";

export interface OutRecord {
  topic: string;
  message: Message;
}

interface Pending {
  records: OutRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Outbox {
  private readonly producer: Producer;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  constructor(
    kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: { lingerMs?: number; maxRecords?: number } = {},
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  send(records: OutRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      const size = this.pending.reduce((n, p) => n + p.records.length, 0);
      if (size >= (this.options.maxRecords ?? 500)) this.flushSoon(0);
      else this.flushSoon(this.options.lingerMs ?? 5);
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

  private schedule(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.write(batch));
  }

  private async write(batch: Pending[]): Promise<void> {
    const topicMessages = groupByTopic(batch.flatMap((p) => p.records));
    try {
      const send = async () => {
        try {
          await this.producer.sendBatch({ topicMessages, acks: -1 });
        } catch (cause) {
          // KafkaJS gives up after its own retries; the outbox never does while running.
          throw new VerdictError(
            "VERDICT_ERR_KAFKA",
            `webhook outbox produce failed: ${errorMessage(cause)}`,
            {
              cause,
              retriable: true,
            },
          );
        }
      };
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
      for (const p of batch) p.reject(err);
    }
  }
}
