/**
 * Dead-letter tooling against the real stack: list with filters, and replay back to the source topic
 * with the original key, bytes and headers. After "the fix" (here: a looser ingest policy), the
 * replayed records flow.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import { readDeadLetters, replayDeadLetters } from "../consumers/dlq/index.ts";
import { createIngestStage } from "../consumers/ingest/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testConnections, testDeps } from "./support/app.ts";
import { pipelineSuite, readDecoded, waitForCount } from "./support/pipeline.ts";

const { deps, runner } = pipelineSuite(testDeps());

describe("dead-letter tooling", () => {
  it("lists letters by filter and replays them to their source after a fix", async () => {
    const producer = await createProducer({ connections: testConnections(), clientId: "dlq-test" });
    const base = { terminalId: "t1", occurredAt: Date.now() - 1000 };
    await producer.publishMany(TOPICS.transactionCreated, [
      {
        event: {
          ...base,
          eventId: "ok-1",
          transactionId: "1",
          customerId: "c1",
          amount: 10,
          currency: "EUR",
        },
      },
      {
        event: {
          ...base,
          eventId: "gbp-1",
          transactionId: "2",
          customerId: "c2",
          amount: 10,
          currency: "XAU",
        },
      },
      {
        event: {
          ...base,
          eventId: "neg-1",
          transactionId: "3",
          customerId: "c3",
          amount: -4,
          currency: "EUR",
        },
      },
      {
        event: {
          ...base,
          eventId: "gbp-2",
          transactionId: "4",
          customerId: "c4",
          amount: 12,
          currency: "XAU",
        },
      },
    ]);
    await producer.close();

    // Strict policy first: XAU is not an accepted currency.
    const strict = runner(createIngestStage(), { groupId: `${TOPICS.ingestDlq.name}.strict` });
    await strict.start();
    expect(await waitForCount(deps.kafka, TOPICS.ingestDlq.name, 3)).toBe(3);
    await strict.stop();

    const all = await readDeadLetters(deps.kafka, deps.codec, TOPICS.ingestDlq);
    expect(all).toHaveLength(3);
    const currency = all.filter((l) => /currency/.test(l.letter.reason));
    expect(currency).toHaveLength(2);
    const byCode = await readDeadLetters(deps.kafka, deps.codec, TOPICS.ingestDlq, {
      errorCode: "VERDICT_ERR_VALIDATION",
      sourceTopic: TOPICS.transactionCreated.name,
      positions: currency.map((l) => `${l.partition}:${l.offset}`),
    });
    expect(byCode.map((l) => l.letter.originalKey?.toString()).sort()).toEqual(["c2", "c4"]);

    // "The fix": XAU is accepted now. Replay only the currency letters; the negative amount stays dead.
    const result = await replayDeadLetters(deps.kafka, byCode, TOPICS.ingestDlq.name);
    expect(result).toEqual({ replayed: 2, byTopic: { [TOPICS.transactionCreated.name]: 2 } });
    const fixed = runner(createIngestStage({ settings: { currencies: ["EUR", "XAU"] } }), {
      groupId: `${TOPICS.ingestDlq.name}.strict`, // the same deployment, redeployed with the fix
    });
    await fixed.start();
    // The redeployed group resumes after what it already handled: only the two replays are new.
    await waitForCount(deps.kafka, TOPICS.transactionIngested.name, 3, 60_000);
    const ingested = await readDecoded(deps, TOPICS.transactionIngested);
    expect(ingested.map((r) => r.value.eventId).sort()).toEqual(["gbp-1", "gbp-2", "ok-1"]);
    const replayed = ingested.filter((r) => r.value.currency === "XAU");
    expect(replayed.map((r) => r.value.eventId).sort()).toEqual(["gbp-1", "gbp-2"]);
    // Original headers travelled with the replay (correlation id set by the producer SDK).
    expect(replayed.every((r) => r.headers.correlationId)).toBe(true);
  }, 180_000);
});
