/**
 * Poison corpus through the real ingest stage: every bad record lands in the dead-letter topic with
 * its own reason and original bytes; the valid records around it still flow, each exactly once.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import { createIngestStage } from "../consumers/ingest/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import type { PostSubmitted, TransactionCreated } from "../schemas/generated/types.ts";
import { TOPICS } from "../topology/index.ts";
import { testConnections, testDeps } from "./support/app.ts";
import { pipelineSuite, readDecoded, waitForCount } from "./support/pipeline.ts";

const { deps, runner } = pipelineSuite(testDeps());
const now = Date.now();

const tx = (i: number): TransactionCreated => ({
  eventId: `tx-evt-${i}`,
  transactionId: `tx-${i}`,
  customerId: `c-${i % 5}`,
  terminalId: `t-${i}`,
  amount: 20 + i,
  currency: "EUR",
  occurredAt: now - 60_000 + i,
});
const post = (i: number, text: string): PostSubmitted => ({
  eventId: `post-evt-${i}`,
  postId: `p-${i}`,
  authorId: `a-${i % 3}`,
  text,
  language: "en",
  occurredAt: now - 60_000 + i,
});

describe("ingest stage poison corpus", () => {
  it("dead-letters every bad record with a distinct reason and keeps the good ones flowing", async () => {
    const txTopic = TOPICS.transactionCreated;
    const postTopic = TOPICS.postSubmitted;
    const txId = await deps.codec.schemaId(txTopic);
    const postId = await deps.codec.schemaId(postTopic);
    const encodeTx = (v: TransactionCreated) => deps.codec.encodeWithId(txTopic, txId, v); // no validation: poison on purpose
    const validAvro = encodeTx(tx(0));

    const invalidUtf8 = deps.codec.encodeWithId(postTopic, postId, post(90, "XXXX"));
    invalidUtf8.set([0xff, 0xfe, 0xc3, 0x28], invalidUtf8.indexOf("XXXX"));
    const unknownId = Buffer.from(validAvro);
    unknownId.writeUInt32BE(987_654, 1);
    const wrongMagic = Buffer.from(validAvro);
    wrongMagic[0] = 7;

    const poison: { topic: string; key: string; value: Buffer; expect: RegExp }[] = [
      {
        topic: txTopic.name,
        key: "c-0",
        value: Buffer.from("garbage bytes, not a record"),
        expect: /magic byte/,
      },
      { topic: txTopic.name, key: "c-1", value: wrongMagic, expect: /starts with byte 0x07/ },
      {
        topic: txTopic.name,
        key: "c-2",
        value: unknownId,
        expect: /Schema id 987654 is not in the registry/,
      },
      {
        topic: txTopic.name,
        key: "c-3",
        value: validAvro.subarray(0, validAvro.length - 4),
        expect: /not valid Avro/,
      },
      {
        topic: txTopic.name,
        key: "c-4",
        value: encodeTx({ ...tx(91), amount: -12 }),
        expect: /must not be negative/,
      },
      {
        topic: txTopic.name,
        key: "c-0",
        value: encodeTx({ ...tx(92), amount: Number.NaN }),
        expect: /not a finite number/,
      },
      {
        topic: txTopic.name,
        key: "c-1",
        value: encodeTx({ ...tx(93), occurredAt: now + 400 * 86_400_000 }),
        expect: /in the future/,
      },
      {
        topic: postTopic.name,
        key: "a-0",
        value: deps.codec.encodeWithId(postTopic, postId, post(94, "spam ".repeat(210_000))),
        expect: /characters long \(max 10000\)/,
      },
      { topic: postTopic.name, key: "a-1", value: invalidUtf8, expect: /not valid UTF-8/ },
    ];

    const producer = await createProducer({ connections: testConnections(), clientId: "poison-test" });
    const raw = deps.kafka.producer();
    await raw.connect();
    // Interleave: valid, poison, valid, ... so good records sit on both sides of every bad one.
    const validTx = Array.from({ length: 20 }, (_, i) => tx(i + 1));
    const validPosts = Array.from({ length: 10 }, (_, i) => post(i + 1, `hello world number ${i}`));
    for (let i = 0; i < poison.length; i++) {
      await producer.publishMany(
        txTopic,
        validTx.slice(i * 2, i * 2 + 2).map((event) => ({ event })),
      );
      await producer.publish(postTopic, validPosts[i]!);
      const p = poison[i]!;
      await raw.send({
        topic: p.topic,
        messages: [{ key: p.key, value: p.value, headers: { "correlation-id": `poison-${i}` } }],
      });
    }
    await producer.publishMany(
      txTopic,
      validTx.slice(poison.length * 2).map((event) => ({ event })),
    );
    await producer.publish(postTopic, validPosts[9]!);
    await raw.disconnect();
    await producer.close();

    await runner(createIngestStage()).start();

    expect(await waitForCount(deps.kafka, TOPICS.transactionIngested.name, 20)).toBe(20);
    expect(await waitForCount(deps.kafka, TOPICS.postIngested.name, 10)).toBe(10);
    expect(await waitForCount(deps.kafka, TOPICS.ingestDlq.name, poison.length)).toBe(poison.length);

    const letters = await readDecoded(deps, TOPICS.ingestDlq);
    expect(letters).toHaveLength(poison.length);
    const reasons = new Set(letters.map((l) => l.value.reason));
    expect(reasons.size).toBe(poison.length);
    for (const [i, p] of poison.entries()) {
      const letter = letters.find((l) => l.value.correlationId === `poison-${i}`);
      expect(letter, `dead letter for poison #${i}`).toBeDefined();
      expect(letter!.value.reason).toMatch(p.expect);
      expect(letter!.value.originalValue!.equals(p.value)).toBe(true);
      expect(letter!.value.sourceTopic).toBe(p.topic);
      expect(letter!.value.stage).toBe("ingest");
      expect(letter!.value.errorCode).toMatch(/^VERDICT_ERR_/);
      expect(letter!.value.attempts).toBe(1);
    }

    const ingested = await readDecoded(deps, TOPICS.transactionIngested);
    expect(ingested.map((r) => r.value.eventId).sort()).toEqual(validTx.map((t) => t.eventId).sort());
    const posts = await readDecoded(deps, TOPICS.postIngested);
    expect(posts.map((r) => r.value.eventId).sort()).toEqual(validPosts.map((p) => p.eventId).sort());
  });
});
