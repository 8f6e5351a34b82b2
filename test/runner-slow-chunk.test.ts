/**
 * A chunk that takes longer than the consumer's session timeout (a record waiting at the label gate,
 * or retrying with backoff) must not cost the group membership: no rebalance, every record handled
 * once. Before the runner heartbeat during chunks, the group rebalanced and re-ran delivered records.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import { createStageRunner, input, type RunnerEvent, type Stage } from "../consumers/runtime/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { pipelineSuite, publishTransactions } from "./support/pipeline.ts";

const { deps, onClose } = pipelineSuite(testDeps());
const SESSION_TIMEOUT_MS = 6000; // the broker's minimum (group.min.session.timeout.ms)

describe("stage runner, slow chunk", () => {
  it("a record slower than the session timeout causes no rebalance and no repeat", async () => {
    const events = await publishTransactions("slow", 30, () => "same-key"); // one partition, in order

    const seen: string[] = [];
    const stage: Stage = {
      name: "slow",
      concurrency: "sequential",
      inputs: [
        input(TOPICS.transactionCreated, async (tx) => {
          seen.push(tx.eventId);
          // one record takes 1.5 session timeouts
          if (tx.eventId === "slow-5") await new Promise((r) => setTimeout(r, SESSION_TIMEOUT_MS * 1.5));
          return [];
        }),
      ],
    };
    const group: RunnerEvent[] = [];
    const runner = createStageRunner(
      stage,
      {
        kafka: deps.kafka,
        codec: deps.codec,
        logger: deps.logger,
        instrumentation: { records: false, on: (e) => void (e.type === "group" && group.push(e)) },
      },
      { sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1000, chunkSize: 10 },
    );
    onClose(() => runner.stop());
    await runner.start();

    const deadline = Date.now() + 60_000;
    while (seen.length < events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 2000)); // would a rebalance re-deliver anything?

    expect(seen).toEqual(events.map((e) => e.eventId));
    expect(group.filter((e) => e.type === "group" && e.state === "rebalancing")).toEqual([]);
  }, 90_000);
});
