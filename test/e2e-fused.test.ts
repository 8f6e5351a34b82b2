/**
 * End to end, fused mode (the embedded default's shape): 10,000+ simulated transactions (with late
 * labels) and 2,000 posts → exactly one verdict per event, correlation ids and per-key order kept.
 * Mid-stream, a new fraud model version is activated: later verdicts carry it, nothing is lost.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import { buildStage, PIPELINE, StageContext } from "../app/stages.ts";
import { fuse } from "../consumers/runtime/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { checkVerdicts, collectVerdicts, modelsWithCandidate, publishWorkload } from "./support/e2e.ts";
import { pipelineSuite, waitForCount } from "./support/pipeline.ts";

const { deps, runner, onClose } = pipelineSuite(testDeps());

describe("end to end, fused", () => {
  it("one verdict per event; hot model activation mid-stream", async () => {
    const published = await publishWorkload(21, 6, 1000, 2000);
    expect(published.transactions.size).toBeGreaterThanOrEqual(10_000);
    expect(published.posts.size).toBe(2000);

    const models = modelsWithCandidate();
    const shared = new StageContext(deps, { state: "memory", modelsDir: models.dir });
    onClose(() => shared.close());
    const stage = fuse(
      PIPELINE.map((n) => buildStage(n, shared)),
      { name: "e2e-fused", concurrency: "per-key" },
    );
    await runner(stage).start();

    // Activate 1.0.1 once the first fraud verdicts are out, through the registry (as the admin API and
    // `verdict models activate` do: ACTIVE is rewritten and the running stage is told at once). Early,
    // because the fused pipeline drains this workload in seconds, faster than the 2 s poll of ACTIVE
    // files by other processes (that path: consumers/inference/registry/registry.test.ts).
    await waitForCount(deps.kafka, TOPICS.fraudVerdicts.name, 1000, 120_000);
    await shared.models().activate("fraud-gbt", "1.0.1");

    const verdicts = await collectVerdicts(deps, published.transactions.size + published.posts.size);
    checkVerdicts(published, verdicts);

    // Both versions scored; per customer, once 1.0.1 decided, 1.0.0 never does again.
    const versions = new Set(
      verdicts.fraud.filter((v) => v.value.model.provider !== "rules").map((v) => v.value.model.version),
    );
    expect(versions).toEqual(new Set(["1.0.0", "1.0.1"]));
    const switched = new Set<string>();
    for (const v of verdicts.fraud) {
      if (v.value.model.provider === "rules") continue;
      if (v.value.model.version === "1.0.1") switched.add(v.value.customerId);
      else
        expect(switched.has(v.value.customerId), `customer ${v.value.customerId} went back to 1.0.0`).toBe(
          false,
        );
    }
    expect(verdicts.fraud.some((v) => v.value.model.provider === "cpu")).toBe(true);
  }, 400_000);
});
