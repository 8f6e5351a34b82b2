/**
 * Prometheus metrics of the webhook service, on its own registry (no global singleton), served by
 * the admin API at /metrics. Labels carry the endpoint id (a bounded set), never a URL or a secret.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AttemptOutcome } from "./types.ts";

export interface WebhookMetrics {
  readonly registry: Registry;
  attempt(endpointId: string, outcome: AttemptOutcome, latencyMs: number): void;
  parked(endpointId: string, reason: string): void;
  deadLetter(endpointId: string): void;
  breaker(endpointId: string, state: "closed" | "open" | "half-open"): void;
  disabled(endpointId: string, disabled: boolean): void;
  duplicate(endpointId: string): void;
}

const BREAKER_VALUE = { closed: 0, "half-open": 1, open: 2 } as const;

export function createWebhookMetrics(inFlight: () => number = () => 0): WebhookMetrics {
  const registry = new Registry();
  const attempts = new Counter({
    name: "verdict_webhook_attempts_total",
    help: "Webhook delivery attempts by endpoint and outcome",
    labelNames: ["endpoint", "outcome"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "verdict_webhook_attempt_duration_seconds",
    help: "Webhook attempt duration (request to full response)",
    labelNames: ["endpoint"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [registry],
  });
  const parked = new Counter({
    name: "verdict_webhook_parked_total",
    help: "Tasks parked in a retry tier without an attempt (circuit open, throttled, queue full)",
    labelNames: ["endpoint", "reason"],
    registers: [registry],
  });
  const dead = new Counter({
    name: "verdict_webhook_dead_letters_total",
    help: "Webhook messages dead-lettered after their last attempt or on a disabled endpoint",
    labelNames: ["endpoint"],
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "verdict_webhook_duplicates_dropped_total",
    help: "Tasks dropped because this process already got a 2xx for their webhook id",
    labelNames: ["endpoint"],
    registers: [registry],
  });
  const breaker = new Gauge({
    name: "verdict_webhook_breaker_state",
    help: "Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open",
    labelNames: ["endpoint"],
    registers: [registry],
  });
  const disabled = new Gauge({
    name: "verdict_webhook_endpoint_disabled",
    help: "1 when the endpoint is disabled (410, sustained failure, SSRF refusal, operator)",
    labelNames: ["endpoint"],
    registers: [registry],
  });
  new Gauge({
    name: "verdict_webhook_in_flight",
    help: "Webhook tasks held in memory (queued or being attempted)",
    registers: [registry],
    collect() {
      this.set(inFlight());
    },
  });
  return {
    registry,
    attempt(endpoint, outcome, ms) {
      attempts.inc({ endpoint, outcome });
      latency.observe({ endpoint }, ms / 1000);
    },
    parked: (endpoint, reason) => parked.inc({ endpoint, reason }),
    deadLetter: (endpoint) => dead.inc({ endpoint }),
    breaker: (endpoint, state) => breaker.set({ endpoint }, BREAKER_VALUE[state]),
    disabled: (endpoint, value) => disabled.set({ endpoint }, value ? 1 : 0),
    duplicate: (endpoint) => duplicates.inc({ endpoint }),
  };
}
