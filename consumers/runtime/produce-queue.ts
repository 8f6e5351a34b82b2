/**
 * Group send: chunks from every partition this process consumes share produce requests, like the
 * Java producer's record accumulator. While one request is waiting for the broker's acknowledgement,
 * the chunks that finish processing queue up; when it returns, everything queued goes out in the next
 * request (up to `maxMessages` and `maxBytes`). No linger timer: under light load a chunk is sent at once, under
 * heavy load requests fill up by themselves.
 *
 * Order: entries are sent in the order they were enqueued, one request at a time (the idempotent
 * producer runs with one request in flight), so per-partition order is kept across chunks.
 * A failed request fails its entries and every entry queued behind it at that moment: a later chunk
 * of the same partition must never be acknowledged while an earlier one is not.
 */
import type { Message } from "kafkajs";
import { messageSize, type TopicMessages } from "./encode.ts";

export type SendBatch = (topicMessages: TopicMessages[]) => Promise<void>;

interface Entry {
  outputs: TopicMessages[];
  count: number;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  onFail: ((error: unknown) => void) | undefined;
}

/**
 * Default caps on one produce request: messages, and bytes (a partition's record batch must stay
 * under the topic's max.message.bytes, 1 MiB by default; the webhook outbox uses the same bound).
 */
export const MAX_MESSAGES_PER_REQUEST = 2000;
export const MAX_BYTES_PER_REQUEST = 512 * 1024;

export class ProduceQueue {
  private queue: Entry[] = [];
  private sending = false;
  /** Requests sent and messages in them, for instrumentation and tests. */
  requests = 0;
  messages = 0;

  constructor(
    private readonly send: SendBatch,
    private readonly maxMessages = MAX_MESSAGES_PER_REQUEST,
    private readonly maxBytes = MAX_BYTES_PER_REQUEST,
  ) {}

  /**
   * Resolves once these outputs are acknowledged (acks=all); rejects if their request failed.
   * `onFail` runs synchronously when the failure is known, before any later `enqueue` can happen:
   * callers use it to stop sending behind a failed chunk.
   */
  enqueue(outputs: TopicMessages[], onFail?: (error: unknown) => void): Promise<void> {
    let count = 0;
    let bytes = 0;
    for (const t of outputs) {
      count += t.messages.length;
      for (const m of t.messages) bytes += messageSize(m);
    }
    if (count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ outputs, count, bytes, resolve, reject, onFail });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        let taken = 0;
        let total = 0;
        let bytes = 0;
        while (taken < this.queue.length) {
          const next = this.queue[taken]!;
          const fits = total + next.count <= this.maxMessages && bytes + next.bytes <= this.maxBytes;
          if (taken > 0 && !fits) break;
          total += next.count;
          bytes += next.bytes;
          taken++;
        }
        const entries = this.queue.splice(0, taken);
        try {
          await this.send(merge(entries));
          this.requests++;
          this.messages += total;
        } catch (error) {
          const failed = entries.concat(this.queue.splice(0));
          for (const e of failed) e.onFail?.(error);
          for (const e of failed) e.reject(error);
          continue;
        }
        for (const e of entries) e.resolve();
      }
    } finally {
      this.sending = false;
    }
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
