/**
 * What the worker does with a task it took from Kafka: route it to its endpoint's lane, make the
 * attempt, and write the consequences durably (attempt record; next task, dead letter or disable;
 * endpoint events) before the task counts as done. Done is what lets the offset be committed.
 */
import type { KafkaMessage } from "kafkajs";
import { type ErrorCode, VerdictError } from "../../../lib/errors/index.ts";
import type { Logger } from "../../../lib/log/index.ts";
import type { EventHeaders } from "../../../lib/trace/index.ts";
import type { WebhookAttempt } from "../../../schemas/generated/types.ts";
import type { WebhookMetrics } from "../metrics.ts";
import type { WebhookOptions } from "../options.ts";
import type { WebhookRecords } from "../records.ts";
import { activeSecrets, type SecretBox } from "../subscriptions/secret-box.ts";
import type { SubscriptionStore } from "../subscriptions/store.ts";
import type { SubscriptionView } from "../subscriptions/view.ts";
import type { EndpointEventType, WebhookEndpoint, WebhookTask } from "../types.ts";
import { type AttemptDeps, attemptDelivery } from "./attempt.ts";
import { type AttemptResult, type Decision, decide, describe } from "./decide.ts";
import { EndpointLane } from "./lane.ts";
import type { Outbox, OutRecord } from "./outbox.ts";
import { topicForWait } from "./schedule.ts";

/** A task as taken from Kafka, with the record it came in (dead letters keep the original bytes). */
export interface Held {
  topic: string;
  partition: number;
  message: KafkaMessage;
  task: WebhookTask;
  input: Partial<EventHeaders>;
}

export interface TaskHandlerDeps {
  view: SubscriptionView;
  store: SubscriptionStore;
  box: SecretBox;
  outbox: Outbox;
  records: WebhookRecords;
  metrics: WebhookMetrics;
  logger: Logger;
  attempt: AttemptDeps;
  options: Readonly<WebhookOptions>;
  now: () => number;
  random: () => number;
  signal: AbortSignal;
}

export class TaskHandler {
  readonly lanes = new Map<string, EndpointLane>();
  /**
   * Webhook ids this process got a 2xx for (most recent `deliveredMemory`). A second task for such
   * an id (a dispatcher re-run after a rebalance, a re-read after a failed commit) is dropped: the
   * normal path never sends an id again after a 2xx. Only a crash (this memory is lost) or an
   * explicit replay can repeat one, always with the same id.
   */
  private readonly delivered = new Map<string, true>();
  /** Webhook ids with a task in this process right now. */
  private readonly active = new Set<string>();
  /** Endpoints being disabled (410, SSRF refusal): no further request while the write is under way. */
  private readonly stopping = new Map<string, string>();

  constructor(private readonly deps: TaskHandlerDeps) {}

  /** Resolves once the task's outcome is durable (delivered, rescheduled, parked or dead-lettered). */
  handle(h: Held): Promise<void> {
    const id = h.task.webhookId;
    if (h.task.replayOf === null && (this.delivered.has(id) || this.active.has(id))) {
      // Either delivered already, or another record of the same delivery is being worked on and
      // will durably carry it forward (success, next retry, park or dead letter): drop this copy.
      this.deps.logger.debug({ webhookId: id }, "duplicate task dropped");
      this.deps.metrics.duplicate(h.task.endpointId);
      return Promise.resolve();
    }
    this.active.add(id);
    return this.route(h).finally(() => this.active.delete(id));
  }

  private route(h: Held): Promise<void> {
    const endpoint = this.deps.view.get(h.task.endpointId);
    const gone = this.unavailable(endpoint);
    if (gone) return this.deadLetter(h, gone.code, gone.reason, h.task.attempt);
    return new Promise<void>((resolve, reject) => {
      this.lane(endpoint!).submit({
        // The lane slot is held for the HTTP exchange only; writing the outcome continues outside it.
        run: async (probe) => {
          try {
            const { recorded } = await this.attempt(h, probe);
            recorded.then(resolve, reject);
          } catch (err) {
            reject(err);
          }
        },
        park: (until, reason) => {
          const parked = this.park(h, until, reason);
          parked.then(resolve, reject);
          return parked;
        },
      });
    });
  }

  /** Moves a task that is not due yet to the tier that fits its remaining wait. */
  async hop(h: Held): Promise<void> {
    const now = this.deps.now();
    const next = { ...h.task, enqueuedAt: now };
    await this.deps.outbox.send([
      await this.deps.records.task(topicForWait(next.dueAt - now), next, h.input),
    ]);
  }

  async poison(
    source: { topic: string; partition: number; message: KafkaMessage },
    error: unknown,
  ): Promise<void> {
    this.deps.logger.error(
      { err: error, topic: source.topic, offset: source.message.offset },
      "unreadable webhook task dead-lettered",
    );
    await this.deps.outbox.send([await this.deps.records.deadLetter(source, error, 0)]);
  }

  private remember(webhookId: string): void {
    this.delivered.set(webhookId, true);
    if (this.delivered.size > this.deps.options.deliveredMemory) {
      this.delivered.delete(this.delivered.keys().next().value!);
    }
  }

  close(): void {
    for (const lane of this.lanes.values()) lane.close();
  }

  private unavailable(
    endpoint: WebhookEndpoint | undefined,
  ): { code: ErrorCode; reason: string } | undefined {
    if (!endpoint) return { code: "VERDICT_ERR_WEBHOOK_NOT_FOUND", reason: "endpoint deleted" };
    const stopping = this.stopping.get(endpoint.id);
    if (stopping) return { code: "VERDICT_ERR_WEBHOOK_DISABLED", reason: `endpoint disabled: ${stopping}` };
    if (!endpoint.enabled) {
      return {
        code: "VERDICT_ERR_WEBHOOK_DISABLED",
        reason: `endpoint disabled: ${endpoint.disabledReason ?? "by an operator"}`,
      };
    }
    return undefined;
  }

  lane(endpoint: WebhookEndpoint): EndpointLane {
    const limits = { maxConcurrency: endpoint.maxConcurrency, ratePerSec: endpoint.rateLimitPerSec };
    let lane = this.lanes.get(endpoint.id);
    if (lane) {
      lane.setLimits(limits);
      return lane;
    }
    const id = endpoint.id;
    lane = new EndpointLane(limits, {
      breaker: this.deps.options.breaker,
      maxQueued: this.deps.options.maxQueuedPerEndpoint,
      maxQueueWaitMs: this.deps.options.maxQueueWaitMs,
      now: this.deps.now,
      random: this.deps.random,
      onBreaker: (state, info) => {
        this.deps.metrics.breaker(id, state);
        const type: EndpointEventType =
          state === "open"
            ? "BREAKER_OPENED"
            : state === "half-open"
              ? "BREAKER_HALF_OPEN"
              : "BREAKER_CLOSED";
        const reason =
          state === "open"
            ? `${info.failures} consecutive failures: no request until ${new Date(info.openUntil).toISOString()}`
            : state === "half-open"
              ? "probing with one request"
              : "probe succeeded: delivering again";
        this.deps.logger[state === "open" ? "warn" : "info"](
          { endpointId: id, breaker: state },
          `circuit ${state}`,
        );
        void this.emit(id, type, reason, { details: { openUntil: String(info.openUntil) } });
      },
    });
    this.lanes.set(id, lane);
    return lane;
  }

  /** Makes the attempt; resolves after the HTTP exchange with `recorded`, settled once the outcome is durable. */
  private async attempt(h: Held, probe: boolean): Promise<{ recorded: Promise<void> }> {
    const { deps } = this;
    const endpoint = deps.view.get(h.task.endpointId);
    const gone = this.unavailable(endpoint);
    if (gone || !endpoint) return { recorded: this.deadLetter(h, gone!.code, gone!.reason, h.task.attempt) };
    const secrets = activeSecrets(endpoint, deps.now(), deps.box);
    const result = await attemptDelivery(h.task, { url: endpoint.url, secrets }, deps.attempt, deps.signal);
    const now = deps.now();
    deps.metrics.attempt(endpoint.id, result.outcome, result.latencyMs);
    const lane = this.lane(endpoint);
    if (result.outcome === "SUCCESS") {
      lane.recordSuccess(now);
      this.remember(h.task.webhookId);
    } else if (result.outcome === "THROTTLED") lane.breaker.neutral();
    else if (result.outcome !== "GONE" && result.outcome !== "REFUSED") lane.recordFailure(now);
    const decision = decide(h.task, result, deps.options, now, deps.random);
    if (decision.kind === "disable") this.stopping.set(endpoint.id, decision.reason);
    if (decision.kind === "retry" && decision.throttleUntil !== null) {
      const wasThrottled = lane.stats().throttledUntil !== null;
      lane.throttle(decision.throttleUntil);
      if (!wasThrottled) {
        const until = new Date(decision.throttleUntil).toISOString();
        void this.emit(endpoint.id, "THROTTLED", `${describe(result)}: paused until ${until}`, {
          webhookId: h.task.webhookId,
        });
      }
    }
    if (probe)
      deps.logger.info({ endpointId: endpoint.id, outcome: result.outcome }, "circuit probe answered");
    return { recorded: this.record(h, endpoint, lane, result, decision, now) };
  }

  private async record(
    h: Held,
    endpoint: WebhookEndpoint,
    lane: EndpointLane,
    result: AttemptResult,
    decision: Decision,
    now: number,
  ): Promise<void> {
    const { deps } = this;
    const attemptNo = h.task.attempt + 1;
    const out: OutRecord[] = [
      await deps.records.attempt(this.attemptRecord(h.task, attemptNo, result, decision), h.input),
    ];
    if (decision.kind === "retry") {
      const next: WebhookTask = {
        ...h.task,
        attempt: attemptNo,
        dueAt: decision.dueAt,
        enqueuedAt: now,
        lastStatus: result.status,
        lastError: describe(result),
      };
      out.push(await deps.records.task(topicForWait(decision.dueAt - now), next, h.input));
    } else if (decision.kind === "dead" || decision.kind === "disable") {
      const code =
        decision.kind === "dead"
          ? "VERDICT_ERR_WEBHOOK_DELIVERY"
          : result.outcome === "REFUSED"
            ? "VERDICT_ERR_WEBHOOK_SSRF"
            : "VERDICT_ERR_WEBHOOK_DISABLED";
      out.push(...(await this.deadLetterRecords(h, code, decision.reason, attemptNo)));
    }
    await deps.outbox.send(out);
    if (decision.kind === "disable") await this.disable(endpoint, decision.reason);
    else if (this.failingTooLong(lane, now)) {
      const since = new Date(lane.failingSince!).toISOString();
      await this.disable(endpoint, `failing without a single success since ${since}`);
    }
  }

  private attemptRecord(task: WebhookTask, attempt: number, r: AttemptResult, d: Decision): WebhookAttempt {
    return {
      webhookId: task.webhookId,
      endpointId: task.endpointId,
      eventId: task.eventId,
      eventType: task.eventType,
      attempt,
      startedAt: r.startedAt,
      latencyMs: r.latencyMs,
      outcome: r.outcome,
      status: r.status,
      error: r.error,
      response: r.response,
      retryAfterMs: r.retryAfterMs,
      nextAttemptAt: d.kind === "retry" ? d.dueAt : null,
      deadLettered: d.kind === "dead" || d.kind === "disable",
      correlationId: task.correlationId,
    };
  }

  private failingTooLong(lane: EndpointLane, now: number): boolean {
    const limit = this.deps.options.disableAfterFailingMs;
    return limit > 0 && lane.failingSince !== null && now - lane.failingSince >= limit;
  }

  private async park(h: Held, until: number, reason: string): Promise<void> {
    const now = this.deps.now();
    this.deps.metrics.parked(h.task.endpointId, reason);
    const next: WebhookTask = { ...h.task, dueAt: Math.max(h.task.dueAt, until), enqueuedAt: now };
    await this.deps.outbox.send([
      await this.deps.records.task(topicForWait(next.dueAt - now), next, h.input),
    ]);
  }

  private async deadLetterRecords(
    h: Held,
    code: ErrorCode,
    reason: string,
    attempts: number,
  ): Promise<OutRecord[]> {
    this.deps.metrics.deadLetter(h.task.endpointId);
    this.deps.logger.warn(
      { endpointId: h.task.endpointId, webhookId: h.task.webhookId, reason },
      "webhook dead-lettered",
    );
    return [
      await this.deps.records.deadLetter(h, new VerdictError(code, reason), attempts),
      await this.deps.records.event(h.task.endpointId, "DEAD_LETTERED", reason, {
        webhookId: h.task.webhookId,
        details: { attempts: String(attempts) },
      }),
    ];
  }

  private async deadLetter(h: Held, code: ErrorCode, reason: string, attempts: number): Promise<void> {
    await this.deps.outbox.send(await this.deadLetterRecords(h, code, reason, attempts));
  }

  /** Disables an endpoint visibly: subscription record, event, metric, log. */
  private async disable(endpoint: WebhookEndpoint, reason: string): Promise<void> {
    const current = this.deps.view.get(endpoint.id);
    if (!current?.enabled) {
      this.stopping.delete(endpoint.id);
      return;
    }
    const now = this.deps.now();
    try {
      await this.deps.store.put({
        ...current,
        enabled: false,
        disabledReason: reason,
        disabledAt: now,
        updatedAt: now,
      });
    } finally {
      this.stopping.delete(endpoint.id);
    }
    this.deps.metrics.disabled(endpoint.id, true);
    this.deps.logger.warn({ endpointId: endpoint.id, reason }, "webhook endpoint disabled");
    await this.emit(endpoint.id, "DISABLED", reason);
  }

  private async emit(
    endpointId: string,
    type: EndpointEventType,
    reason: string,
    extra: { webhookId?: string; details?: Record<string, string> } = {},
  ): Promise<void> {
    try {
      await this.deps.outbox.send([await this.deps.records.event(endpointId, type, reason, extra)]);
    } catch (err) {
      this.deps.logger.error({ err, endpointId, type }, "endpoint event not written");
    }
  }
}
