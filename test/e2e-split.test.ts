/**
 * End to end, split mode: ingest, features, inference and scoring each in their own consumer group
 * (exactly-once delivery, feature state in Redis), chained through the stage topics. 10,000+
 * simulated transactions (with late labels) and 2,000 posts → exactly one verdict per event,
 * correlation ids and per-key order kept.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import { buildStage, PIPELINE, StageContext } from "../app/stages.ts";
import type { StageRunner } from "../consumers/runtime/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { checkVerdicts, collectVerdicts, publishWorkload } from "./support/e2e.ts";
import { pipelineSuite, readDecoded } from "./support/pipeline.ts";

const { deps, runner, onClose } = pipelineSuite(testDeps());

describe("end to end, split", () => {
  it("four consumer groups, exactly-once: one verdict per event", async () => {
    const published = await publishWorkload(22, 6, 1000, 2000);
    expect(published.transactions.size).toBeGreaterThanOrEqual(10_000);

    const shared = new StageContext(deps, { state: "redis" });
    onClose(() => shared.close());
    const runners: StageRunner[] = [];
    for (const name of PIPELINE) {
      runners.push(runner(buildStage(name, shared), { delivery: "exactly-once", instanceId: "e2e" }));
    }
    for (const r of runners) await r.start();

    const verdicts = await collectVerdicts(deps, published.transactions.size + published.posts.size);
    checkVerdicts(published, verdicts);

    // The stage topics really carried the records (split, not fused): one scored record per verdict.
    const scored = await readDecoded(deps, TOPICS.transactionScored);
    expect(scored.length).toBe(verdicts.fraud.length);
    expect(new Set(runners.map((r) => r.groupId)).size).toBe(4);
  }, 400_000);
});
