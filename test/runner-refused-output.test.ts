/**
 * onRefusedOutput "dead-letter", the default (no setting below): a record whose outputs the broker refuses for good (here: larger
 * than the output topic's max.message.bytes) must not hold its partition forever. After the refusal
 * repeats, the runner sends that chunk's records one at a time, dead-letters the refused one with
 * VERDICT_ERR_OUTPUT_REFUSED and its original bytes, and the partition moves on: every other output
 * arrives, in order per key, and committed offsets reach the end of every partition.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import { readDeadLetters } from "../consumers/dlq/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import {
  firstOccurrences,
  oversizedOutputStage,
  pipelineSuite,
  REFUSED_OUTPUT_TOPOLOGY,
  readDecoded,
  refusedOutputScenario,
  runner,
} from "./support/pipeline.ts";

const { deps, onClose } = pipelineSuite(testDeps(), REFUSED_OUTPUT_TOPOLOGY);

describe("stage runner, outputs refused for good, onRefusedOutput dead-letter (the default)", () => {
  it("dead-letters the refused record after repeated refusals and delivers and commits everything else", async () => {
    const { out, keys, events } = await refusedOutputScenario("rf");
    const admin = deps.kafka.admin();
    await admin.connect();
    onClose(() => admin.disconnect());

    const { stage, attempts } = oversizedOutputStage("refused-output", "rf-57"); // refused for good
    const r = runner(stage, deps, {
      chunkSize: 5,
      pipelineDepth: 2,
      refusalsBeforeDeadLetter: 2,
    });
    onClose(() => r.stop());
    await r.start();

    const until = Date.now() + 90_000;
    let outputs = await readDecoded(deps, out);
    while (new Set(outputs.map((o) => o.value.eventId)).size < events.length - 1 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 250));
      outputs = await readDecoded(deps, out);
    }
    const delivered = new Set(outputs.map((o) => o.value.eventId));
    expect(delivered.size).toBe(events.length - 1);
    expect(delivered.has("rf-57")).toBe(false);
    // Refused at least refusalsBeforeDeadLetter times in chunks, then once more alone.
    expect(attempts()).toBeGreaterThanOrEqual(3);

    const letters = await readDeadLetters(deps.kafka, deps.codec, TOPICS.ingestDlq, {
      errorCode: "VERDICT_ERR_OUTPUT_REFUSED",
    });
    expect(letters).toHaveLength(1);
    const letter = letters[0]!.letter;
    const big = (await readDecoded(deps, TOPICS.transactionCreated)).find(
      (m) => m.value.eventId === "rf-57",
    )!;
    expect(letter.sourceTopic).toBe(TOPICS.transactionCreated.name);
    expect([letter.sourcePartition, letter.sourceOffset]).toEqual([big.partition, Number(big.offset)]);
    expect(letter.reason).toMatch(/refused this record's outputs for good/);
    expect(letter.originalValue?.length).toBeGreaterThan(0);

    // Per key, the first occurrence of each output is in input order.
    for (const key of keys) {
      const seen = firstOccurrences(outputs, key);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }

    // Every partition's committed offset reaches its end (the refused record no longer holds it).
    const ends = (await admin.fetchTopicOffsets(TOPICS.transactionCreated.name)).filter(
      (p) => p.high !== p.low,
    );
    const commitDeadline = Date.now() + 30_000;
    let lagging = ends.length;
    while (lagging > 0 && Date.now() < commitDeadline) {
      const [committed] = await admin.fetchOffsets({
        groupId: r.groupId,
        topics: [TOPICS.transactionCreated.name],
      });
      lagging = ends.filter(
        (e) =>
          Number(committed!.partitions.find((p) => p.partition === e.partition)?.offset) < Number(e.high),
      ).length;
      if (lagging > 0) await new Promise((res) => setTimeout(res, 250));
    }
    expect(lagging).toBe(0);
  }, 150_000);
});
