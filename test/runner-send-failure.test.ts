/**
 * At-least-once delivery when the broker refuses a chunk's outputs (here: a record larger than the
 * output topic's max.message.bytes, a non-retriable MESSAGE_TOO_LARGE), with onRefusedOutput "retry". The runner pipelines chunks
 * (processes the next while earlier ones await their acknowledgement), so this is the case that must
 * not lose anything: no offset is committed past the refused chunk, the partition is re-read from
 * it, and once the topic is fixed every output arrives, in order per key, each at least once.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
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
  setMaxMessageBytes,
} from "./support/pipeline.ts";

const { deps, onClose } = pipelineSuite(testDeps(), REFUSED_OUTPUT_TOPOLOGY);

describe("stage runner, outputs refused by the broker, onRefusedOutput retry", () => {
  it("commits nothing past the refused chunk, re-reads it, and loses nothing once the topic is fixed", async () => {
    const { out, keys, events } = await refusedOutputScenario("sf");

    // One output (sf-57) is larger than the topic accepts until the test raises the limit.
    const { stage, attempts } = oversizedOutputStage("send-failure", "sf-57");
    // Small chunks, so later chunks of the same partition are processed while the refused one waits.
    const r = runner(stage, deps, { chunkSize: 5, pipelineDepth: 2, onRefusedOutput: "retry" });
    onClose(() => r.stop());
    await r.start();

    // The refused chunk is re-read (and refused) again and again; nothing past it is committed.
    const deadline = Date.now() + 60_000;
    while (attempts() < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    if (attempts() < 3) {
      const through = (await readDecoded(deps, out)).some((o) => o.value.eventId === "sf-57");
      expect.fail(
        `the refused chunk ran ${attempts()} time(s) in 60 s: ${through ? "its output was accepted (the topic's limit was not in effect)" : "it was refused, and the re-read never came"}`,
      );
    }
    const admin = deps.kafka.admin();
    await admin.connect();
    try {
      const input = TOPICS.transactionCreated.name;
      const [committed] = await admin.fetchOffsets({ groupId: r.groupId, topics: [input] });
      const inputPartitions = await readDecoded(deps, TOPICS.transactionCreated);
      const bigAt = inputPartitions.find((m) => m.value.eventId === "sf-57")!;
      const c = committed!.partitions.find((p) => p.partition === bigAt.partition)!;
      // Committed offset of the poisoned partition is at or before the refused record.
      expect(Number(c.offset)).toBeLessThanOrEqual(Number(bigAt.offset));
    } finally {
      await admin.disconnect();
    }

    // Fix the topic: the next re-read goes through, and everything arrives.
    await setMaxMessageBytes(deps, out.name, 1_048_588);
    const until = Date.now() + 60_000;
    let outputs = await readDecoded(deps, out);
    while (new Set(outputs.map((o) => o.value.eventId)).size < events.length && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 250));
      outputs = await readDecoded(deps, out);
    }
    expect(new Set(outputs.map((o) => o.value.eventId)).size).toBe(events.length);
    // Per key, the first occurrence of each output is in input order (repeats come after a re-read).
    for (const key of keys) {
      const seen = firstOccurrences(outputs, key);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
  }, 120_000);
});
