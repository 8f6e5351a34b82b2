import { describe, expect, it } from "vitest";
import { TOPICS } from "../../../topology/index.ts";
import { webhookIdFor } from "../ids.ts";
import type { SubscriptionView } from "../subscriptions/view.ts";
import type { WebhookEndpoint, WebhookTask } from "../types.ts";
import { fanOut } from "./dispatcher.ts";

const base: WebhookEndpoint = {
  id: "ep",
  url: "https://p.example/",
  description: "",
  eventTypes: [],
  filter: {},
  secrets: [],
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  rateLimitPerSec: null,
  maxConcurrency: 10,
  createdAt: 100,
  updatedAt: 100,
};
const view = (endpoints: WebhookEndpoint[]) => ({ list: () => endpoints }) as unknown as SubscriptionView;
const verdict = {
  eventId: "evt-1",
  transactionId: "tx-1",
  customerId: "c-1",
  decision: "DECLINE" as const,
  score: 0.9,
  reasons: ["r"],
  model: { name: "m", version: "1", provider: "cpu" },
  occurredAt: 150,
  decidedAt: 200,
  timings: {},
};
const ctx = {
  topic: "verdicts.fraud.v1",
  partition: 2,
  offset: "41",
  headers: { correlationId: "corr-9" },
  now: () => 1000,
};

describe("fan-out", () => {
  it("makes one task per matching endpoint with a stable webhook id and a frozen body", () => {
    const endpoints = [
      { ...base, id: "all" },
      { ...base, id: "declines", filter: { decision: ["DECLINE"] } },
      { ...base, id: "approves", filter: { decision: ["APPROVE"] } },
      { ...base, id: "moderation", eventTypes: ["verdict.moderation"] },
      { ...base, id: "off", enabled: false },
      { ...base, id: "newer", createdAt: 300 },
    ];
    const out = fanOut(view(endpoints), "verdict.fraud", verdict, ctx);
    expect(out.map((o) => o.key)).toEqual(["all", "declines"]);
    for (const o of out) {
      const task = o.value as WebhookTask;
      expect(o.topic).toBe(TOPICS.webhookDeliveries);
      expect(task.webhookId).toBe(webhookIdFor("evt-1", o.key!));
      expect(o.eventId).toBe(task.webhookId);
      expect(task).toMatchObject({ attempt: 0, dueAt: 1000, sourceOffset: 41, correlationId: "corr-9" });
      expect(JSON.parse(task.body)).toEqual({
        type: "verdict.fraud",
        timestamp: new Date(200).toISOString(),
        correlationId: "corr-9",
        data: verdict,
      });
    }
  });

  it("routes a delayed first attempt to a retry tier", () => {
    const out = fanOut(view([base]), "verdict.fraud", verdict, ctx, 5000);
    expect(out[0]!.topic).toBe(TOPICS.webhookRetry1s);
    expect((out[0]!.value as WebhookTask).dueAt).toBe(6000);
  });
});
