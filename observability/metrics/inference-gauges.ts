/**
 * Model and provider gauges, read from InferenceStage.status() at scrape time (nothing to keep in
 * step): which model version serves each domain and on which execution provider, the canary and
 * shadow versions, and each provider's circuit-breaker state. A cascade's screen is a model of its
 * domain like the decider (its own `model` label).
 */
import { Gauge, type Registry } from "prom-client";
import { type InferenceStage, servingSlots, servingVersions } from "../../consumers/inference/index.ts";

export type InferenceStatus = ReturnType<InferenceStage["status"]>;

const BREAKER = { closed: 0, "half-open": 1, open: 2 } as const;

/** `status` returns undefined while no inference stage runs in this process. */
export function registerInferenceGauges(registry: Registry, status: () => InferenceStatus | undefined): void {
  const registers = [registry];
  new Gauge({
    name: "verdict_model_info",
    help: "1 per model version serving a domain: role active | canary | shadow, provider = execution provider in use",
    labelNames: ["domain", "model", "version", "provider", "role"] as const,
    registers,
    collect() {
      this.reset();
      for (const { domain, model, version, provider, role } of servingVersions(status() ?? {})) {
        this.set({ domain, model, version, provider, role }, 1);
      }
    },
  });
  new Gauge({
    name: "verdict_model_canary_percent",
    help: "Share of keys the canary version scores, per domain (0 when none)",
    labelNames: ["domain", "model"] as const,
    registers,
    collect() {
      this.reset();
      for (const { domain, slot } of servingSlots(status() ?? {})) {
        this.set({ domain, model: slot.name }, slot.canary?.percent ?? 0);
      }
    },
  });
  new Gauge({
    name: "verdict_inference_provider_breaker_state",
    help: "Circuit breaker per execution provider of the active version: 0 closed, 1 half-open, 2 open",
    labelNames: ["domain", "model", "version", "provider"] as const,
    registers,
    collect() {
      this.reset();
      for (const { domain, slot } of servingSlots(status() ?? {})) {
        const active = slot.active;
        if (!active) continue;
        for (const p of active.providers) {
          this.set(
            { domain, model: slot.name, version: active.version, provider: p.provider },
            BREAKER[p.state],
          );
        }
      }
    },
  });
}

/** The inference stage among `stages`, if any (duck-typed: it is the one with status()). */
export function findInferenceStage(stages: readonly object[]): InferenceStage | undefined {
  return stages.find((s): s is InferenceStage => typeof (s as Partial<InferenceStage>).status === "function");
}
