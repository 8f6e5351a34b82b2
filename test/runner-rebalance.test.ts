/**
 * At-least-once delivery across a rebalance that happens while chunks are in flight: one member is
 * consuming with pipelined chunks (processed, produced, awaiting acknowledgement) when a second
 * member joins the group and takes some of its partitions. Nothing may be lost (every input has its
 * output), no partition may be left wedged (the group's committed offsets reach the end of every
 * partition), and per key the outputs keep input order (repeats, which at-least-once allows after a
 * revocation, come after the first occurrence).
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import { input, type Stage } from "../consumers/runtime/index.ts";
import { TOPIC_PREFIX, TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import {
  firstOccurrences,
  pipelineSuite,
  publishTransactions,
  readDecoded,
  runner,
} from "./support/pipeline.ts";

const { deps, onClose } = pipelineSuite(testDeps());
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe("stage runner, rebalance with chunks in flight", () => {
  it("a member joining mid-stream loses nothing, wedges nothing and keeps per-key order", async () => {
    const out = TOPICS.transactionIngested;
    const keys = Array.from({ length: 12 }, (_, i) => `rb-key-${i}`);
    const events = await publishTransactions("rb", 2400, (i) => keys[i % keys.length]!);

    const handled = { a: 0, b: 0 };
    const stage = (member: "a" | "b"): Stage => ({
      name: "rebalance",
      concurrency: "sequential",
      inputs: [
        input(TOPICS.transactionCreated, async (tx) => {
          await sleep(25); // ~10 s per partition: the join lands while chunks are processed and sent
          handled[member]++;
          return [{ topic: out, value: { ...tx, ingestedAt: Date.now() } }];
        }),
      ],
    });
    const groupId = `${TOPIC_PREFIX}verdict.rebalance-test`;
    const settings = { groupId, chunkSize: 10, pipelineDepth: 2, partitionsConsumedConcurrently: 6 };
    const a = runner(stage("a"), deps, settings);
    onClose(() => a.stop());
    await a.start();
    const deadline = Date.now() + 90_000;
    while (handled.a < 120 && Date.now() < deadline) await sleep(50);
    expect(handled.a).toBeGreaterThanOrEqual(120);
    expect(handled.a).toBeLessThan(events.length); // still mid-stream when the second member joins

    const b = runner(stage("b"), deps, settings);
    onClose(() => b.stop());
    await b.start();

    let outputs = await readDecoded(deps, out);
    while (new Set(outputs.map((o) => o.value.eventId)).size < events.length && Date.now() < deadline) {
      await sleep(500);
      outputs = await readDecoded(deps, out);
    }
    const unique = new Set(outputs.map((o) => o.value.eventId));
    expect(unique.size).toBe(events.length);
    expect(handled.b).toBeGreaterThan(0); // the second member did take partitions over

    // Per key, first occurrences in input order.
    for (const key of keys) {
      const seen = firstOccurrences(outputs, key);
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
    }

    // No partition wedged: the group's committed offsets reach the end of every input partition.
    const admin = deps.kafka.admin();
    await admin.connect();
    try {
      const topic = TOPICS.transactionCreated.name;
      // Partitions that received records (the keys need not hash onto all six).
      const ends = new Map(
        (await admin.fetchTopicOffsets(topic))
          .filter((p) => p.high !== p.low)
          .map((p) => [p.partition, p.high]),
      );
      let behind = [...ends.keys()];
      while (behind.length > 0 && Date.now() < deadline) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        behind = committed!.partitions
          .filter((p) => ends.has(p.partition) && Number(p.offset) < Number(ends.get(p.partition)))
          .map((p) => p.partition);
        if (behind.length > 0) await sleep(500);
      }
      expect(behind).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  }, 150_000);
});
