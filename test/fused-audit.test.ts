/**
 * Fused mode with audit topics (`verdict run --audit-topics`, `verdict stage --fused --audit-topics`):
 * the intermediate records a fused process normally keeps in memory (ingested, features, scored) are
 * also published, one per event and stage, keyed and correlated like the verdict, and the verdicts
 * are unchanged: still exactly one per event.
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
import { checkVerdicts, collectVerdicts, publishWorkload } from "./support/e2e.ts";
import { pipelineSuite, readDecoded } from "./support/pipeline.ts";

const { deps, runner, onClose } = pipelineSuite(testDeps());

describe("fused, with audit topics", () => {
  it("publishes each stage's record once per event, correlated and keyed as the verdict", async () => {
    const shared = new StageContext(deps, { state: "memory" });
    onClose(() => shared.close());
    const stages = PIPELINE.map((n) => buildStage(n, shared));
    const fused = fuse(stages, { name: "audit-fused", concurrency: "per-key", emitIntermediate: true });
    expect(fused.produces?.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        TOPICS.transactionIngested.name,
        TOPICS.transactionFeatures.name,
        TOPICS.transactionScored.name,
        TOPICS.postScored.name,
      ]),
    );
    await runner(fused).start();

    const published = await publishWorkload(5, 3, 60, 150);
    const verdicts = await collectVerdicts(deps, published.transactions.size + published.posts.size);
    checkVerdicts(published, verdicts);

    const byEvent = new Map(
      [...verdicts.fraud, ...verdicts.moderation].map((v) => [
        v.value.eventId,
        { key: v.key, scored: v.value.model.provider !== "rules" },
      ]),
    );
    const audited = [
      { topic: TOPICS.transactionIngested, domain: "fraud" },
      { topic: TOPICS.transactionFeatures, domain: "fraud" },
      { topic: TOPICS.transactionScored, domain: "fraud" },
      { topic: TOPICS.postIngested, domain: "moderation" },
      { topic: TOPICS.postFeatures, domain: "moderation" },
      { topic: TOPICS.postScored, domain: "moderation" },
    ] as const;
    for (const { topic, domain } of audited) {
      const records = await readDecoded(deps, topic);
      const seen = new Map<string, number>();
      for (const r of records) {
        const id = r.value.eventId;
        seen.set(id, (seen.get(id) ?? 0) + 1);
        const verdict = byEvent.get(id);
        expect(verdict, `${topic.name}: ${id} has no verdict`).toBeDefined();
        expect(r.key, topic.name).toBe(verdict!.key);
        expect(r.headers.correlationId, topic.name).toBe(`corr-${id}`);
        expect(r.headers.eventType, topic.name).toMatch(new RegExp(`\\.${topic.valueSchema}$`));
      }
      expect(
        [...seen].filter(([, n]) => n > 1),
        `${topic.name}: events published twice`,
      ).toEqual([]);
      // Every event of the domain passes ingest and features; the scored topics carry what a model
      // scored (a verdict decided by rules alone has no model score).
      const expected = [...byEvent]
        .filter(
          ([id, v]) =>
            (domain === "fraud" ? published.transactions.has(id) : published.posts.has(id)) &&
            (topic === TOPICS.transactionScored || topic === TOPICS.postScored ? v.scored : true),
        )
        .map(([id]) => id);
      expect(expected.length, topic.name).toBeGreaterThan(0);
      expect(
        expected.filter((id) => !seen.has(id)),
        `${topic.name}: events missing`,
      ).toEqual([]);
    }
  }, 240_000);
});
