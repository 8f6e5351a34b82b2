import type { KafkaMessage } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../lib/log/index.ts";
import { TOPICS } from "../../../topology/index.ts";
import { createWebhookMetrics } from "../metrics.ts";
import { parseWebhookOptions } from "../options.ts";
import type { WebhookRecords } from "../records.ts";
import { generateSecret } from "../signing.ts";
import { createSsrfGuard } from "../ssrf/index.ts";
import { createSecretBox } from "../subscriptions/secret-box.ts";
import type { SubscriptionStore } from "../subscriptions/store.ts";
import type { SubscriptionView } from "../subscriptions/view.ts";
import type { WebhookEndpoint, WebhookTask } from "../types.ts";
import { type Held, TaskHandler } from "./handler.ts";
import type { HttpResponse, WebhookHttpClient } from "./http-client.ts";
import type { Outbox, OutRecord } from "./outbox.ts";

/** Fakes: every write is a plain object in `written`; the HTTP client answers from a script. */
function setup(answer: (n: number) => HttpResponse, overrides: Record<string, unknown> = {}) {
  let t = 1_000_000;
  const endpoints = new Map<string, WebhookEndpoint>();
  const endpoint: WebhookEndpoint = {
    id: "ep",
    url: "https://partner.example/hooks",
    description: "",
    eventTypes: [],
    filter: {},
    secrets: [{ secret: generateSecret(), createdAt: 0, expiresAt: null }],
    enabled: true,
    disabledReason: null,
    disabledAt: null,
    rateLimitPerSec: null,
    maxConcurrency: 1,
    createdAt: 0,
    updatedAt: 0,
  };
  endpoints.set("ep", endpoint);
  const view = {
    get: (id: string) => endpoints.get(id),
    list: () => [...endpoints.values()],
  } as unknown as SubscriptionView;
  const store: SubscriptionStore = {
    put: async (e) => void endpoints.set(e.id, e),
    remove: async (id) => void endpoints.delete(id),
    close: async () => {},
  };
  const written: { kind: string; value: unknown }[] = [];
  const records = {
    attempt: async (value: unknown) => ({ topic: "attempts", message: { value: JSON.stringify(value) } }),
    task: async (topic: { name: string }, value: unknown) => ({
      topic: `task:${topic.name}`,
      message: { value: JSON.stringify(value) },
    }),
    event: async (id: string, type: string, reason: string) => ({
      topic: "events",
      message: { value: JSON.stringify({ id, type, reason }) },
    }),
    deadLetter: async (_s: unknown, err: Error) => ({
      topic: "dlq",
      message: { value: JSON.stringify({ reason: err.message }) },
    }),
  } as unknown as WebhookRecords;
  const outbox = {
    send: async (out: OutRecord[]) => {
      for (const r of out) written.push({ kind: r.topic, value: JSON.parse(String(r.message.value)) });
    },
  } as unknown as Outbox;
  let n = 0;
  const http: WebhookHttpClient = { post: vi.fn(async () => answer(++n)), close: () => {} };
  const options = parseWebhookOptions({ retryScheduleMs: [0, 1000, 2000], jitter: 0, ...overrides });
  const handler = new TaskHandler({
    view,
    store,
    box: createSecretBox(),
    outbox,
    records,
    metrics: createWebhookMetrics(),
    logger: silentLogger(),
    options,
    now: () => t,
    random: () => 0.5,
    signal: new AbortController().signal,
    attempt: {
      guard: createSsrfGuard(options.ssrf, async () => [{ address: "93.184.215.14", family: 4 }]),
      http,
      now: () => t,
      requestTimeoutMs: 1000,
      maxResponseBytes: 100,
      maxRetryAfterMs: 60_000,
      userAgent: "test",
    },
  });
  const held = (id: string, attempt = 0): Held => {
    const task: WebhookTask = {
      webhookId: id,
      endpointId: "ep",
      eventType: "verdict.fraud",
      eventId: id,
      correlationId: null,
      body: "{}",
      attempt,
      createdAt: t,
      dueAt: t,
      enqueuedAt: t,
      lastStatus: null,
      lastError: null,
      replayOf: null,
      sourceTopic: "v",
      sourcePartition: 0,
      sourceOffset: 0,
    };
    return {
      topic: "d",
      partition: 0,
      message: { offset: "0", key: null, value: null } as unknown as KafkaMessage,
      task,
      input: {},
    };
  };
  return { handler, http, written, endpoints, held, advance: (ms: number) => (t += ms), now: () => t };
}

const status = (s: number, headers: Record<string, string> = {}): HttpResponse => ({
  status: s,
  headers,
  body: "",
  truncated: false,
});

describe("task handler", () => {
  it("delivers, records the attempt, and drops a later duplicate of the same webhook id", async () => {
    const { handler, http, written, held } = setup(() => status(200));
    await handler.handle(held("msg_a"));
    await handler.handle(held("msg_a"));
    expect(http.post).toHaveBeenCalledTimes(1);
    expect(written.map((w) => w.kind)).toEqual(["attempts"]);
    expect(written[0]!.value).toMatchObject({ outcome: "SUCCESS", attempt: 1, nextAttemptAt: null });
  });

  it("reschedules a failure into the tier that fits, then dead-letters after the last attempt", async () => {
    const { handler, written, held } = setup(() => status(500));
    await handler.handle(held("msg_b", 0));
    expect(written.map((w) => w.kind)).toEqual(["attempts", `task:${TOPICS.webhookRetry1s.name}`]);
    expect(written[1]!.value).toMatchObject({ attempt: 1, lastStatus: 500 });
    written.length = 0;
    await handler.handle(held("msg_b", 2));
    expect(written.map((w) => w.kind)).toEqual(["attempts", "dlq", "events"]);
    expect(written[0]!.value).toMatchObject({ attempt: 3, deadLettered: true });
    expect(written[1]!.value).toMatchObject({ reason: expect.stringMatching(/gave up after 3 attempt/) });
  });

  it("410 disables the endpoint at once: the next task is dead-lettered without a request", async () => {
    const { handler, http, written, endpoints, held } = setup(() => status(410));
    await handler.handle(held("msg_c"));
    await handler.handle(held("msg_d"));
    expect(http.post).toHaveBeenCalledTimes(1);
    expect(endpoints.get("ep")).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/410/),
    });
    expect(written.filter((w) => w.kind === "events").map((w) => (w.value as { type: string }).type)).toEqual(
      expect.arrayContaining(["DISABLED", "DEAD_LETTERED"]),
    );
    expect(written.filter((w) => w.kind === "dlq")).toHaveLength(2);
  });

  it("disables an endpoint that keeps failing past disableAfterFailingMs, visibly", async () => {
    const { handler, endpoints, written, held, advance } = setup(() => status(503), {
      disableAfterFailingMs: 60_000,
      breaker: { failureThreshold: 100, openMs: 1000, maxOpenMs: 1000 },
      retryScheduleMs: [0, 1000, 1000, 1000, 1000],
    });
    await handler.handle(held("msg_e", 0));
    expect(endpoints.get("ep")!.enabled).toBe(true);
    advance(61_000);
    await handler.handle(held("msg_f", 0));
    expect(endpoints.get("ep")).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/failing without a single success since/),
    });
    expect(
      written.some((w) => w.kind === "events" && (w.value as { type: string }).type === "DISABLED"),
    ).toBe(true);
  });

  it("honours Retry-After on a 429 and parks the endpoint's other work until then", async () => {
    const { handler, http, written, held, now } = setup((n) =>
      n === 1 ? status(429, { "retry-after": "30" }) : status(200),
    );
    await handler.handle(held("msg_g"));
    const next = written.find((w) => w.kind.startsWith("task:"))!.value as { dueAt: number };
    expect(next.dueAt).toBe(now() + 30_000);
    written.length = 0;
    await handler.handle(held("msg_h"));
    expect(http.post).toHaveBeenCalledTimes(1);
    const parked = written.find((w) => w.kind.startsWith("task:"))!.value as {
      dueAt: number;
      attempt: number;
    };
    expect(parked.attempt).toBe(0); // parking is not an attempt
    expect(parked.dueAt).toBeGreaterThanOrEqual(now() + 30_000);
  });
});
