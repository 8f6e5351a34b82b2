/**
 * Replay of failed webhooks from webhooks.dead-letter.v1: one message (--webhook-id), a time range
 * (--since/--until on the failure time), everything failed for an endpoint (--endpoint), or all.
 * Each replayed message is a fresh task (attempt 0, due now) with the SAME webhook id and body, so a
 * partner that already got it dedupes it. Messages of a disabled or deleted endpoint are skipped with
 * the reason: enable the endpoint first.
 */
import type { Kafka } from "kafkajs";
import { VerdictError } from "../../../lib/errors/index.ts";
import type { AvroCodec } from "../../../schemas/codec/index.ts";
import { TOPICS } from "../../../topology/index.ts";
import { readDeadLetters } from "../../dlq/index.ts";
import type { Outbox, OutRecord } from "../delivery/outbox.ts";
import type { WebhookRecords } from "../records.ts";
import type { EndpointEvents, WebhookEndpoint, WebhookTask } from "../types.ts";

export interface ReplayFilter {
  webhookId?: string;
  endpointId?: string;
  /** Failed at or after (epoch ms). */
  since?: number;
  until?: number;
  /** Required when no other filter is given. */
  all?: boolean;
  dryRun?: boolean;
}

export interface ReplayReport {
  replayed: number;
  byEndpoint: Record<string, number>;
  skipped: { webhookId: string; endpointId: string; reason: string }[];
}

export interface ReplayDeps {
  kafka: Kafka;
  codec: AvroCodec;
  endpoint(id: string): WebhookEndpoint | undefined;
  outbox: Outbox;
  records: WebhookRecords;
  events: EndpointEvents;
  now?: () => number;
}

export async function replayFailed(deps: ReplayDeps, filter: ReplayFilter): Promise<ReplayReport> {
  const filtered = [filter.webhookId, filter.endpointId, filter.since, filter.until].some(
    (v) => v !== undefined,
  );
  if (!filtered && !filter.all) {
    throw new VerdictError(
      "VERDICT_ERR_CONFIG",
      "Refusing to replay every failed webhook without --all (or give --webhook-id, --endpoint, --since/--until)",
    );
  }
  const now = deps.now ?? Date.now;
  const dlq = TOPICS.webhooksDlq;
  const letters = await readDeadLetters(deps.kafka, deps.codec, dlq, {
    stage: "webhooks",
    since: filter.since,
    until: filter.until,
  });
  const report: ReplayReport = { replayed: 0, byEndpoint: {}, skipped: [] };
  const chosen = new Map<string, { task: WebhookTask; position: string; correlationId: string | null }>();
  for (const { partition, offset, letter } of letters) {
    if (!letter.originalValue) continue;
    let task: WebhookTask;
    try {
      task = (await deps.codec.decode(TOPICS.webhookDeliveries, letter.originalValue)).value;
    } catch {
      continue; // an unreadable task (poison): nothing to replay
    }
    if (filter.webhookId && task.webhookId !== filter.webhookId) continue;
    if (filter.endpointId && task.endpointId !== filter.endpointId) continue;
    // A message dead-lettered twice (replayed, failed again) is replayed once.
    chosen.set(task.webhookId, {
      task,
      position: `${dlq.name}@${partition}:${offset}`,
      correlationId: letter.correlationId,
    });
  }
  const out: OutRecord[] = [];
  for (const { task, position, correlationId } of chosen.values()) {
    const endpoint = deps.endpoint(task.endpointId);
    const reason = !endpoint
      ? "endpoint deleted"
      : !endpoint.enabled
        ? "endpoint disabled: enable it first"
        : undefined;
    if (reason) {
      report.skipped.push({ webhookId: task.webhookId, endpointId: task.endpointId, reason });
      continue;
    }
    const t = now();
    const fresh: WebhookTask = {
      ...task,
      attempt: 0,
      dueAt: t,
      enqueuedAt: t,
      lastStatus: null,
      lastError: null,
      replayOf: position,
    };
    out.push(
      await deps.records.task(TOPICS.webhookDeliveries, fresh, { correlationId: correlationId ?? undefined }),
    );
    report.replayed++;
    report.byEndpoint[task.endpointId] = (report.byEndpoint[task.endpointId] ?? 0) + 1;
  }
  if (filter.dryRun) return report;
  await deps.outbox.send(out);
  for (const [endpointId, count] of Object.entries(report.byEndpoint)) {
    await deps.events.emit(endpointId, "REPLAYED", `${count} failed message(s) replayed`, {
      webhookId: filter.webhookId,
      details: { count: String(count) },
    });
  }
  return report;
}
