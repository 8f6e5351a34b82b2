/**
 * Foundation acceptance against the real broker and registry: Avro round trip through the registry,
 * key → partition stability, headers surviving producer → consumer, validation before send,
 * BACKWARD compatibility enforced by the registry, typed decode errors for garbage.
 */

import type { Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerdictError } from "../lib/errors/index.ts";
import { fromKafkaHeaders, parseTraceparent } from "../lib/trace/index.ts";
import { createProducer, type VerdictProducer } from "../producers/sdk/index.ts";
import { SchemaCatalog } from "../schemas/catalog/index.ts";
import type { TransactionCreated } from "../schemas/generated/types.ts";
import { applyTopology, TOPICS } from "../topology/index.ts";
import { consumeN, kafkaForTests, uniqueName } from "./helpers/index.ts";
import { testConnections, testDeps, uniqueTopic } from "./support/app.ts";

const deps = testDeps();
let admin: Admin;
let producer: VerdictProducer;
const topic = uniqueTopic(TOPICS.transactionCreated, { partitions: 6 });

function tx(i: number, customerId = `c-${i % 7}`): TransactionCreated {
  return {
    eventId: `evt-${uniqueName("e")}-${i}`,
    transactionId: `tx-${i}`,
    customerId,
    terminalId: `t-${i % 11}`,
    amount: 10 + i,
    currency: "EUR",
    occurredAt: Date.UTC(2018, 3, 1) + i * 1000,
  };
}

beforeAll(async () => {
  admin = deps.kafka.admin();
  await admin.connect();
  await applyTopology({ admin, registry: deps.registry, topics: [topic] });
  producer = await createProducer({ connections: testConnections(), clientId: "foundation-test" });
});

afterAll(async () => {
  await producer?.close();
  await admin.deleteTopics({ topics: [topic.name] }).catch(() => {});
  await admin.disconnect();
  await deps.close();
});

describe("producer SDK against the real stack", () => {
  it("round-trips Avro through the registry and keeps correlation id and trace context", async () => {
    const event = tx(1);
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const result = await producer.publish(topic, event, { correlationId: "corr-abc", traceparent });
    expect(result).toMatchObject({ topic: topic.name, eventId: event.eventId, correlationId: "corr-abc" });

    const [message] = await consumeN(topic.name, 1);
    expect(message!.value![0]).toBe(0); // Confluent magic byte
    const decoded = await deps.codec.decode(topic, message!.value);
    expect(decoded.value).toEqual(event);
    expect(await deps.registry.versions(`${topic.name}-value`)).toEqual([1]);
    expect(await deps.registry.versions(`${topic.name}-no-such-subject`)).toEqual([]);

    const headers = fromKafkaHeaders(message!.headers);
    expect(headers.correlationId).toBe("corr-abc");
    expect(headers.eventId).toBe(event.eventId);
    expect(headers.eventType).toBe("io.verdict.payments.TransactionCreated");
    expect(headers.producer).toBe("foundation-test");
    expect(headers.occurredAt).toBe(event.occurredAt);
    expect(parseTraceparent(headers.traceparent)?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(message!.key!.toString()).toBe(event.customerId);
    expect(String(message!.partition)).toBe(String(result.partition));
  });

  it("sends the same key to the same partition every time, and keys spread over partitions", async () => {
    const events = Array.from({ length: 60 }, (_, i) => ({ event: tx(100 + i, `cust-${i % 12}`) }));
    const results = await producer.publishMany(topic, events);
    const byKey = new Map<string, Set<number>>();
    results.forEach((r, i) => {
      const key = events[i]!.event.customerId;
      byKey.set(key, (byKey.get(key) ?? new Set()).add(r.partition));
    });
    for (const partitions of byKey.values()) expect(partitions.size).toBe(1);
    expect(new Set(results.map((r) => r.partition)).size).toBeGreaterThan(1);
    // A second publish of a known key lands where the first did.
    const again = await producer.publish(topic, tx(999, "cust-3"));
    expect(byKey.get("cust-3")!.has(again.partition)).toBe(true);
  });

  it("encodes without sending; the encoded record, sent as is, is what publish() would have sent", async () => {
    const event = tx(2000, "cust-enc");
    const before = await admin.fetchTopicOffsets(topic.name);
    const [encoded] = await producer.encodeMany(topic, [{ event, options: { correlationId: "corr-enc" } }]);
    expect(await admin.fetchTopicOffsets(topic.name)).toEqual(before); // nothing sent
    expect(encoded).toMatchObject({ topic: topic.name, eventId: event.eventId, correlationId: "corr-enc" });
    const published = await producer.publish(topic, tx(2001, "cust-enc"));
    expect(encoded!.message.partition).toBe(published.partition); // same key, same partition

    const raw = deps.kafka.producer();
    await raw.connect();
    try {
      await raw.send({ topic: topic.name, messages: [encoded!.message] });
    } finally {
      await raw.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets(topic.name);
    const all = await consumeN(
      topic.name,
      offsets.reduce((n, p) => n + Number(p.high), 0),
    );
    const sent = all.filter((m) => fromKafkaHeaders(m.headers).eventId === event.eventId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.partition).toBe(published.partition);
    expect((await deps.codec.decode(topic, sent[0]!.value)).value).toEqual(event);
    expect(fromKafkaHeaders(sent[0]!.headers).correlationId).toBe("corr-enc");
  });

  it("refuses an invalid event before sending, naming the field", async () => {
    const before = await admin.fetchTopicOffsets(topic.name);
    const bad = { ...tx(5), amount: "12.00" as unknown as number };
    const err = await producer.publish(topic, bad).catch((e) => e);
    expect(err).toBeInstanceOf(VerdictError);
    expect(err.code).toBe("VERDICT_ERR_SCHEMA_VALIDATION");
    expect(err.message).toMatch(/amount: expected double, got "12.00"/);
    const noKey = await producer.publish(topic, { ...tx(6), customerId: "" }).catch((e) => e);
    expect(noKey.code).toBe("VERDICT_ERR_SCHEMA_VALIDATION");
    const after = await admin.fetchTopicOffsets(topic.name);
    expect(after).toEqual(before);
  });

  it("a record the broker refuses for good fails with a clear error, and the producer keeps publishing", async () => {
    const small = uniqueTopic(TOPICS.transactionCreated, { partitions: 1, maxMessageBytes: 2048 });
    await applyTopology({ admin, registry: deps.registry, topics: [small] });
    try {
      const big = { ...tx(1, "c-big"), terminalId: "t".repeat(10_000) };
      const err = await producer.publish(small, big).catch((e) => e);
      expect(err).toBeInstanceOf(VerdictError);
      expect(err.code).toBe("VERDICT_ERR_PUBLISH");
      expect(err.message).toMatch(
        /larger than the max message size .*\(MESSAGE_TOO_LARGE\): make the event smaller, or raise the topic's max\.message\.bytes/,
      );
      expect(err.retriable).toBe(false);
      // The idempotent producer's sequence numbers must still line up: later sends go through.
      const ok = await producer.publishMany(
        small,
        Array.from({ length: 5 }, (_, i) => ({ event: tx(i, "c-big") })),
      );
      expect(ok).toHaveLength(5);
      const offsets = await admin.fetchTopicOffsets(small.name);
      expect(offsets[0]!.high).toBe("5");
    } finally {
      await admin.deleteTopics({ topics: [small.name] }).catch(() => {});
    }
  });

  it("gives a typed decode error for garbage bytes on a topic", async () => {
    const garbageTopic = uniqueTopic(TOPICS.transactionCreated, { partitions: 1 });
    await applyTopology({ admin, topics: [garbageTopic] });
    const raw = kafkaForTests().producer();
    await raw.connect();
    await raw.send({
      topic: garbageTopic.name,
      messages: [{ key: "k", value: Buffer.from("not avro at all") }],
    });
    await raw.disconnect();
    const [message] = await consumeN(garbageTopic.name, 1);
    const err = await deps.codec.decode(garbageTopic, message!.value).catch((e) => e);
    expect(err).toBeInstanceOf(VerdictError);
    expect(err.code).toBe("VERDICT_ERR_DECODE_MAGIC");
    expect(err.retriable).toBe(false);
    await admin.deleteTopics({ topics: [garbageTopic.name] }).catch(() => {});
  });
});

describe("schema registry compatibility", () => {
  it("refuses a BACKWARD-incompatible change with a clear error, accepts a compatible one", async () => {
    const subject = `${uniqueName("compat")}-value`;
    const catalog = new SchemaCatalog();
    const v1 = catalog.bundle("TransactionCreated") as unknown as { fields: Record<string, unknown>[] };
    const id1 = await deps.registry.register(subject, v1);

    // Compatible: a new field with a default.
    const v2 = structuredClone(v1);
    v2.fields.push({ name: "channel", type: "string", default: "card" });
    const id2 = await deps.registry.register(subject, v2);
    expect(id2).not.toBe(id1);

    // Incompatible: a new field without a default (old records can't be read with it).
    const v3 = structuredClone(v2);
    v3.fields.push({ name: "merchantCategory", type: "string" });
    const err = await deps.registry.register(subject, v3).catch((e) => e);
    expect(err).toBeInstanceOf(VerdictError);
    expect(err.code).toBe("VERDICT_ERR_SCHEMA_INCOMPATIBLE");
    expect(err.message).toMatch(/not BACKWARD compatible/);
    expect(err.message).toContain(subject);
  });
});
