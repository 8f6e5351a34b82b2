/**
 * Publishes simulator streams to Kafka through the producer SDK: batched, optionally rate-limited,
 * optionally rebased in time (so a 2018 simulation can feed a live pipeline whose ingestion refuses
 * future timestamps), and stoppable. Used by `verdict simulate`, the embedded default and benchmarks.
 */
import type { SchemaName, SchemaTypes } from "../../schemas/generated/types.ts";
import type { TopicDescriptor } from "../../topology/index.ts";
import type { PublishOptions, VerdictProducer } from "../sdk/index.ts";

export interface Publishable<S extends SchemaName = SchemaName> {
  topic: TopicDescriptor<S>;
  event: SchemaTypes[S];
}

export interface PublishStreamOptions {
  /** Max events per second overall; 0 or undefined = as fast as the broker takes them. */
  rate?: number;
  /** Events per produce request. Default 500 (lower automatically under a low rate). */
  batchSize?: number;
  /** Stop after this many events. */
  limit?: number;
  signal?: AbortSignal;
  /** Per-event publish options (correlation id, traceparent...). */
  optionsFor?: (item: Publishable) => PublishOptions | undefined;
  /** Called after each batch with the running total. */
  onProgress?: (published: number) => void;
}

const TIME_FIELDS = ["occurredAt", "transactionOccurredAt"] as const;

/** Shifts every event-time field by `offsetMs` (a copy; the simulator's event is untouched). */
export function rebase<S extends SchemaName>(item: Publishable<S>, offsetMs: number): Publishable<S> {
  if (offsetMs === 0) return item;
  const event = { ...(item.event as unknown as Record<string, unknown>) };
  for (const field of TIME_FIELDS) {
    if (typeof event[field] === "number") event[field] = (event[field] as number) + offsetMs;
  }
  return { topic: item.topic, event: event as unknown as SchemaTypes[S] };
}

export async function publishStream(
  producer: VerdictProducer,
  source: AsyncIterable<Publishable> | Iterable<Publishable>,
  options: PublishStreamOptions = {},
): Promise<number> {
  const rate = options.rate && options.rate > 0 ? options.rate : 0;
  const batchSize = Math.max(
    1,
    Math.min(options.batchSize ?? 500, rate ? Math.max(1, Math.floor(rate / 20)) : 500),
  );
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const started = Date.now();
  let published = 0;
  let pending: Publishable[] = [];

  const flush = async () => {
    if (pending.length === 0) return;
    // One request per topic, order kept within each topic (and so per key).
    const byTopic = new Map<string, Publishable[]>();
    for (const p of pending) {
      const list = byTopic.get(p.topic.name) ?? [];
      list.push(p);
      byTopic.set(p.topic.name, list);
    }
    await Promise.all(
      [...byTopic.values()].map((items) =>
        producer.publishMany(
          items[0]!.topic,
          items.map((i) => ({ event: i.event, options: options.optionsFor?.(i) })),
        ),
      ),
    );
    published += pending.length;
    pending = [];
    options.onProgress?.(published);
    if (rate) {
      const due = started + (published / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };

  for await (const item of source) {
    if (options.signal?.aborted || published + pending.length >= limit) break;
    pending.push(item);
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  return published;
}
