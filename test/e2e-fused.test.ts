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
import type { InferenceStage } from "../consumers/inference/index.ts";
import { fuse } from "../consumers/runtime/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { checkVerdicts, collectVerdicts, modelsWithCandidate, publishWorkload } from "./support/e2e.ts";
import { pipelineSuite, waitForCount } from "./support/pipeline.ts";

const { deps, runner, onClose } = pipelineSuite(testDeps());

describe("end to end, fused", () => {
  it("one verdict per event; hot model activation mid-stream", async () => {
    const models = modelsWithCandidate();
    const shared = new StageContext(deps, { state: "memory", modelsDir: models.dir });
    onClose(() => shared.close());
    const stages = PIPELINE.map((n) => buildStage(n, shared));
    const inference = stages[PIPELINE.indexOf("inference")] as InferenceStage;
    await runner(fuse(stages, { name: "e2e-fused", concurrency: "per-key" })).start();

    // Mid-stream: the pipeline runs while the workload is published. After half the transactions,
    // publishing waits until 1,000 fraud verdicts are out, then activates 1.0.1 through the registry
    // (as the admin API and `verdict models activate` do: ACTIVE is rewritten and the running stage is
    // told at once) and waits for the stage to serve it; the rest of the stream follows.
    const published = await publishWorkload(21, 6, 1000, 2000, {
      afterTransactions: 5000,
      run: async () => {
        await waitForCount(deps.kafka, TOPICS.fraudVerdicts.name, 1000, 120_000);
        await shared.models().activate("fraud-gbt", "1.0.1");
        await inference.settled();
        expect(inference.status().fraud?.active?.version).toBe("1.0.1");
      },
    });
    expect(published.transactions.size).toBeGreaterThanOrEqual(10_000);
    expect(published.posts.size).toBe(2000);

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
