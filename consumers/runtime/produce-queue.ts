/**
 * Group send: chunks from every partition this process consumes share produce requests, like the
 * Java producer's record accumulator. While one request is waiting for the broker's acknowledgement,
 * the chunks that finish processing queue up; when it returns, everything queued goes out in the next
 * request (up to `maxMessages` and `maxBytes`). Under heavy load requests fill up by themselves; under
 * light load a chunk is sent at once unless `lingerMs` > 0 (Kafka's linger.ms): then a request waits
 * until its oldest chunk is that old or the request is full, so fewer, larger requests go out.
 *
 * Order: entries are sent in the order they were enqueued, one request at a time (the idempotent
 * producer runs with one request in flight), so per-partition order is kept across chunks.
 * A failed request fails its entries with the broker's error, and every entry queued behind it at
 * that moment with VERDICT_ERR_NOT_SENT (cause: that error): a later chunk of the same partition must
 * never be acknowledged while an earlier one is not. An entry enqueued `alone` goes in a request of
 * its own, so a refusal is known to be about its outputs.
 */
import type { Message } from "kafkajs";
import { VerdictError } from "../../lib/errors/index.ts";
import { messageSize, type TopicMessages } from "./encode.ts";

export type SendBatch = (topicMessages: TopicMessages[]) => Promise<void>;

interface Entry {
  enqueuedAt: number;
  outputs: TopicMessages[];
  count: number;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  onFail: ((error: unknown) => void) | undefined;
  alone: boolean;
}

/**
 * Default caps on one produce request: messages, and bytes (a partition's record batch must stay
 * under the topic's max.message.bytes, 1 MiB by default; the webhook outbox uses the same bound).
 */
export const MAX_MESSAGES_PER_REQUEST = 2000;
export const MAX_BYTES_PER_REQUEST = 512 * 1024;

export interface ProduceQueueOptions {
  /** Messages per request at most. Default MAX_MESSAGES_PER_REQUEST. */
  maxMessages?: number;
  /** Bytes per request at most (approximate: keys, values, headers). Default MAX_BYTES_PER_REQUEST. */
  maxBytes?: number;
  /** A request waits for more chunks until its oldest is this old or it is full, ms. Default 0. */
  lingerMs?: number;
}

export class ProduceQueue {
  private queue: Entry[] = [];
  private queuedCount = 0;
  private queuedBytes = 0;
  private sending = false;
  /** Ends a linger early (the queue filled a request). */
  private wake: (() => void) | undefined;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private readonly lingerMs: number;
  /** Requests sent and messages in them, for instrumentation and tests. */
  requests = 0;
  messages = 0;

  constructor(
    private readonly send: SendBatch,
    options: ProduceQueueOptions = {},
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.maxMessages = options.maxMessages ?? MAX_MESSAGES_PER_REQUEST;
    this.maxBytes = options.maxBytes ?? MAX_BYTES_PER_REQUEST;
    this.lingerMs = options.lingerMs ?? 0;
  }

  /**
   * Resolves once these outputs are acknowledged (acks=all); rejects if their request failed.
   * `onFail` runs synchronously when the failure is known, before any later `enqueue` can happen:
   * callers use it to stop sending behind a failed chunk.
   */
  enqueue(outputs: TopicMessages[], onFail?: (error: unknown) => void, alone = false): Promise<void> {
    let count = 0;
    let bytes = 0;
    for (const t of outputs) {
      count += t.messages.length;
      for (const m of t.messages) bytes += messageSize(m);
    }
    if (count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        enqueuedAt: this.lingerMs > 0 ? this.now() : 0,
        outputs,
        count,
        bytes,
        resolve,
        reject,
        onFail,
        alone,
      });
      this.queuedCount += count;
      this.queuedBytes += bytes;
      if (!this.sending) void this.drain();
      else if (this.wake && this.isFull()) this.wake();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        // An entry that goes alone cannot gain from waiting for others.
        if (this.lingerMs > 0 && !this.queue[0]!.alone) await this.linger();
        let taken = 0;
        let total = 0;
        let bytes = 0;
        while (taken < this.queue.length) {
          const next = this.queue[taken]!;
          const fits = total + next.count <= this.maxMessages && bytes + next.bytes <= this.maxBytes;
          if (taken > 0 && (!fits || next.alone || this.queue[0]!.alone)) break;
          total += next.count;
          bytes += next.bytes;
          taken++;
        }
        const entries = this.queue.splice(0, taken);
        this.queuedCount -= total;
        this.queuedBytes -= bytes;
        try {
          await this.send(merge(entries));
          this.requests++;
          this.messages += total;
        } catch (error) {
          const behind = this.queue.splice(0);
          this.queuedCount = 0;
          this.queuedBytes = 0;
          const notSent = new VerdictError(
            "VERDICT_ERR_NOT_SENT",
            "not sent: an earlier produce request failed",
            {
              cause: error,
              retriable: true,
            },
          );
          for (const e of entries) e.onFail?.(error);
          for (const e of behind) e.onFail?.(notSent);
          for (const e of entries) e.reject(error);
          for (const e of behind) e.reject(notSent);
          continue;
        }
        for (const e of entries) e.resolve();
      }
    } finally {
      this.sending = false;
    }
  }

  /** With lingerMs: waits until the oldest queued chunk is lingerMs old, unless a request is full. */
  private async linger(): Promise<void> {
    while (!this.isFull()) {
      const wait = this.queue[0]!.enqueuedAt + this.lingerMs - this.now();
      if (wait <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private isFull(): boolean {
    return this.queuedCount >= this.maxMessages || this.queuedBytes >= this.maxBytes;
  }
}

/** One list per topic, in enqueue order (KafkaJS's own merge copies the list for every entry). */
function merge(entries: Entry[]): TopicMessages[] {
  if (entries.length === 1) return entries[0]!.outputs;
  const byTopic = new Map<string, Message[]>();
  for (const e of entries) {
    for (const t of e.outputs) {
      const list = byTopic.get(t.topic);
      if (list) for (const m of t.messages) list.push(m);
      else byTopic.set(t.topic, t.messages.slice());
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
