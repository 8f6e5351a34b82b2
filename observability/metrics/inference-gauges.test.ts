import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { DomainStatus } from "../../consumers/inference/index.ts";
import { registerInferenceGauges } from "./inference-gauges.ts";

const version = (v: string, provider = "cpu") => ({
  version: v,
  provider,
  providers: [{ provider, state: "closed" as const }],
});

describe("inference gauges", () => {
  it("report a cascade's screen as a model of its domain, with its own canary and breaker series", async () => {
    const status: Record<string, DomainStatus> = {
      fraud: {
        name: "fraud-gbt",
        active: version("1.0.0"),
        canary: undefined,
        shadows: [],
        failed: {},
        screen: {
          name: "fraud-mlp",
          active: version("1.0.0"),
          canary: { ...version("1.1.0"), percent: 10 },
          shadows: [],
          failed: {},
          clearBelow: { "1.0.0": 0.0089 },
        },
      },
    };
    const registry = new Registry();
    registerInferenceGauges(registry, () => status);
    const text = await registry.metrics();
    expect(text).toContain(
      'verdict_model_info{domain="fraud",model="fraud-gbt",version="1.0.0",provider="cpu",role="active"} 1',
    );
    expect(text).toContain(
      'verdict_model_info{domain="fraud",model="fraud-mlp",version="1.0.0",provider="cpu",role="active"} 1',
    );
    expect(text).toContain(
      'verdict_model_info{domain="fraud",model="fraud-mlp",version="1.1.0",provider="cpu",role="canary"} 1',
    );
    expect(text).toContain('verdict_model_canary_percent{domain="fraud",model="fraud-mlp"} 10');
    expect(text).toContain('verdict_model_canary_percent{domain="fraud",model="fraud-gbt"} 0');
    expect(text).toContain(
      'verdict_inference_provider_breaker_state{domain="fraud",model="fraud-mlp",version="1.0.0",provider="cpu"} 0',
    );
  });
});
