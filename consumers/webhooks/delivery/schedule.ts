/**
 * Durable scheduling through Kafka. A task waiting for its next attempt sits in a retry tier topic:
 * a waiting room with a fixed delay D (topology/topics.ts WEBHOOK_RETRY_TIERS). A task goes to the
 * tier with the largest D not above its remaining wait; the tier consumer holds a record until
 * min(dueAt, enqueuedAt + D) by pausing the partition (records behind it were enqueued later, so
 * none of them is ready earlier than that), then either runs it or moves it to the tier that fits
 * its remaining wait. Head-of-line blocking is thus bounded by D, a Retry-After far in the future
 * never blocks a tier, and no schedule lives only in memory.
 */
import { TOPICS, type TopicDescriptor } from "../../../topology/index.ts";
// The tier table lives beside the topics it names (topology is data).
import { WEBHOOK_RETRY_TIERS } from "../../../topology/topics.ts";
import type { WebhookTask } from "../types.ts";

export interface Tier {
  topic: TopicDescriptor<"WebhookTask">;
  delayMs: number;
}

/** Retry tiers, shortest first. */
export const TIERS: readonly Tier[] = WEBHOOK_RETRY_TIERS.map(([id, , delayMs]) => ({
  topic: TOPICS[id],
  delayMs,
}));

/** Every topic the delivery worker consumes: first attempts, then the tiers. */
export const TASK_TOPICS: readonly TopicDescriptor<"WebhookTask">[] = [
  TOPICS.webhookDeliveries,
  ...TIERS.map((t) => t.topic),
];

const DELAY_BY_TOPIC = new Map<string, number>([
  [TOPICS.webhookDeliveries.name, 0],
  ...TIERS.map((t) => [t.topic.name, t.delayMs] as [string, number]),
]);

/** Where a task that may run in `waitMs` goes: deliveries when due now, else the best-fitting tier. */
export function topicForWait(waitMs: number): TopicDescriptor<"WebhookTask"> {
  if (waitMs <= 0) return TOPICS.webhookDeliveries;
  let chosen = TIERS[0]!;
  for (const tier of TIERS) if (tier.delayMs <= waitMs) chosen = tier;
  return chosen.topic;
}

/** Until when the consumer of `topic` holds `task` before looking at it again. */
export function holdUntil(topic: string, task: Pick<WebhookTask, "dueAt" | "enqueuedAt">): number {
  const delay = DELAY_BY_TOPIC.get(topic) ?? 0;
  return Math.min(task.dueAt, task.enqueuedAt + delay);
}

/**
 * Delay before the next attempt after `attemptsMade` attempts, or undefined when the schedule is
 * exhausted (dead letter). Jitter spreads retries of many failed messages: delay × (1 ± jitter/2).
 */
export function nextDelay(
  schedule: readonly number[],
  attemptsMade: number,
  jitter: number,
  random: () => number = Math.random,
): number | undefined {
  if (attemptsMade >= schedule.length) return undefined;
  const base = schedule[attemptsMade]!;
  return Math.max(0, Math.round(base * (1 + jitter * (random() - 0.5))));
}
