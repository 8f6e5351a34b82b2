/**
 * The fan-out stage: verdict → one delivery task per matching endpoint, published to
 * webhooks.deliveries.v1 keyed by endpoint id. A pure stage run by the shared runner (commit after
 * the tasks are acknowledged; exactly-once with --delivery exactly-once), so a verdict is never
 * lost between the result topic and the delivery queue. A crash can only repeat a task with the
 * same webhook id, which the partner dedupes on.
 */

import { TOPICS } from "../../../topology/index.ts";
import { input, type Stage, type StageContext, type StageOutput } from "../../runtime/index.ts";
import { topicForWait } from "../delivery/schedule.ts";
import { webhookIdFor } from "../ids.ts";
import { subscribes } from "../subscriptions/match.ts";
import type { SubscriptionView } from "../subscriptions/view.ts";
import type { EventType, Verdict, WebhookTask } from "../types.ts";
import { buildBody } from "./payload.ts";

export interface DispatchDeps {
  view: SubscriptionView;
  /** Delay of the first attempt, ms (retry schedule's first entry). Default 0. */
  firstDelayMs?: number;
}

export function fanOut(
  view: SubscriptionView,
  eventType: EventType,
  verdict: Verdict,
  ctx: Pick<StageContext, "topic" | "partition" | "offset" | "headers" | "now">,
  firstDelayMs = 0,
): StageOutput[] {
  const targets = view.list().filter((e) => subscribes(e, eventType, verdict));
  if (targets.length === 0) return [];
  const correlationId = ctx.headers.correlationId;
  const body = buildBody(eventType, verdict, correlationId);
  const now = ctx.now();
  const topic = topicForWait(firstDelayMs);
  return targets.map((endpoint) => {
    const webhookId = webhookIdFor(verdict.eventId, endpoint.id);
    const task: WebhookTask = {
      webhookId,
      endpointId: endpoint.id,
      eventType,
      eventId: verdict.eventId,
      correlationId: correlationId ?? null,
      body,
      attempt: 0,
      createdAt: now,
      dueAt: now + firstDelayMs,
      enqueuedAt: now,
      lastStatus: null,
      lastError: null,
      replayOf: null,
      sourceTopic: ctx.topic,
      sourcePartition: ctx.partition,
      sourceOffset: Number(ctx.offset),
    };
    return { topic, key: endpoint.id, eventId: webhookId, value: task, headers: { "webhook-id": webhookId } };
  });
}

export function createDispatchStage(deps: DispatchDeps): Stage {
  const first = deps.firstDelayMs ?? 0;
  return {
    name: "webhooks-dispatch",
    inputs: [
      input(TOPICS.fraudVerdicts, (v, ctx) => fanOut(deps.view, "verdict.fraud", v, ctx, first)),
      input(TOPICS.moderationVerdicts, (v, ctx) => fanOut(deps.view, "verdict.moderation", v, ctx, first)),
    ],
    produces: [TOPICS.webhookDeliveries],
    // Never dispatch from a partial view: a verdict would silently miss an endpoint.
    start: () => deps.view.start(),
  };
}
