/**
 * Endpoint status for operators, from Kafka alone (works without a running worker): enabled or
 * disabled and why, the last breaker transition and last event (webhooks.endpoint-events.v1), and
 * how many messages sit in the dead-letter topic. A running worker adds its live lane state.
 * Attempts of one message come from webhooks.attempts.v1 (keyed by webhook id).
 */
import type { Kafka } from "kafkajs";
import type { AvroCodec } from "../../../schemas/codec/index.ts";
import type { WebhookAttempt, WebhookEndpointEvent } from "../../../schemas/generated/types.ts";
import { TOPICS } from "../../../topology/index.ts";
import { readAll } from "../../dlq/read-all.ts";
import type { LaneStats } from "../delivery/lane.ts";
import type { WebhookEndpoint } from "../types.ts";

export interface EndpointStatus {
  id: string;
  url: string;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  /** From the last BREAKER_* event (a restarted worker starts closed). */
  breaker: "closed" | "open" | "half-open";
  lastEvent: { type: string; reason: string; at: string } | null;
  deadLetters: number;
  live?: LaneStats;
}

const BREAKER: Record<string, EndpointStatus["breaker"]> = {
  BREAKER_OPENED: "open",
  BREAKER_HALF_OPEN: "half-open",
  BREAKER_CLOSED: "closed",
};

export async function endpointStatuses(
  kafka: Kafka,
  codec: AvroCodec,
  endpoints: readonly WebhookEndpoint[],
  live?: (id: string) => LaneStats | undefined,
): Promise<EndpointStatus[]> {
  const last = new Map<string, WebhookEndpointEvent>();
  const breaker = new Map<string, EndpointStatus["breaker"]>();
  await readAll(kafka, TOPICS.webhookEndpointEvents.name, async (_p, message) => {
    const e = (await codec.decode(TOPICS.webhookEndpointEvents, message.value)).value;
    last.set(e.endpointId, e);
    const state = BREAKER[e.type];
    if (state) breaker.set(e.endpointId, state);
  });
  const dead = new Map<string, number>();
  await readAll(kafka, TOPICS.webhooksDlq.name, async (_p, message) => {
    const id = message.headers?.["webhook-endpoint-id"]?.toString();
    if (id) dead.set(id, (dead.get(id) ?? 0) + 1);
  });
  return endpoints.map((e) => {
    const event = last.get(e.id);
    const lane = live?.(e.id);
    return {
      id: e.id,
      url: e.url,
      enabled: e.enabled,
      disabledReason: e.disabledReason,
      disabledAt: e.disabledAt === null ? null : new Date(e.disabledAt).toISOString(),
      breaker: lane?.breaker ?? breaker.get(e.id) ?? "closed",
      lastEvent: event
        ? { type: event.type, reason: event.reason, at: new Date(event.at).toISOString() }
        : null,
      deadLetters: dead.get(e.id) ?? 0,
      ...(lane ? { live: lane } : {}),
    };
  });
}

/** Every attempt of one webhook message, oldest first. */
export async function readAttempts(
  kafka: Kafka,
  codec: AvroCodec,
  webhookId: string,
): Promise<WebhookAttempt[]> {
  const out: WebhookAttempt[] = [];
  await readAll(kafka, TOPICS.webhookAttempts.name, async (_p, message) => {
    if (message.key?.toString() !== webhookId) return;
    out.push((await codec.decode(TOPICS.webhookAttempts, message.value)).value);
  });
  // Time order: after a crash a re-read task repeats an attempt number (its first run was not committed).
  return out.sort((a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt);
}
