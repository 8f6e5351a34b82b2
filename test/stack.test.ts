/**
 * The stack itself: each service answers its real protocol, the registry enforces BACKWARD
 * compatibility through the Confluent API, SCRAM works (and fails fast with bad credentials),
 * and the local stack's `up` is idempotent.
 */

import { connect } from "node:net";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { stackUp } from "../infra/local/index.ts";
import { consumeN, kafkaForTests, scramSasl, testStack, uniqueName, withTopics } from "./helpers/index.ts";

const stack = testStack();

function record(name: string, fields: { name: string; type: string }[]): string {
  return JSON.stringify({ type: "record", name, namespace: "dev.verdict.test", fields });
}

async function putCompatibility(subject: string, level: string): Promise<number> {
  const res = await fetch(`${stack.registryUrl}/config/${encodeURIComponent(subject)}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ compatibility: level }),
  });
  return res.status;
}

/** Raw RESP PING: this test must not depend on which Redis client the project picks. */
function redisPing(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) }, () => socket.write("PING\r\n"));
    socket.setTimeout(3000, () => socket.destroy(new Error("redis PING timed out")));
    socket.once("error", reject);
    socket.once("data", (chunk) => {
      socket.end();
      resolve(chunk.toString("utf8").trim());
    });
  });
}

describe(`stack (${stack.source})`, () => {
  it("broker: describeCluster answers with a broker and a controller", async () => {
    const admin = kafkaForTests().admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
      expect(cluster.controller).not.toBeNull();
    } finally {
      await admin.disconnect();
    }
  });

  it("broker: produce and consume through a unique topic", async () => {
    const kafka = kafkaForTests();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await withTopics(admin, [{ prefix: "stack-roundtrip" }], async ([topic]) => {
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({
          topic: topic as string,
          messages: [
            { key: "k1", value: "one" },
            { key: "k2", value: "two" },
          ],
        });
        await producer.disconnect();
        const got = await consumeN(topic as string, 2, 30_000, kafka);
        expect(got.map((m) => m.value?.toString()).sort()).toEqual(["one", "two"]);
      });
    } finally {
      await admin.disconnect();
    }
  });

  it("registry: Avro round trip, then BACKWARD refuses an incompatible change with 409", async () => {
    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const subject = `${uniqueName("stack-test")}-value`;
    const v1 = record("Payment", [{ name: "id", type: "string" }]);
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: v1 }, { subject });
    expect(id).toBeGreaterThan(0);

    const fetched = await registry.getSchema(id);
    const encoded = await registry.encode(id, { id: "p-1" });
    expect(encoded[0]).toBe(0); // Confluent wire format: magic byte, then the 4-byte id.
    expect(await registry.decode(encoded)).toEqual({ id: "p-1" });
    expect(fetched).toBeDefined();

    expect(await putCompatibility(subject, "BACKWARD")).toBe(200);
    // A new required field without a default cannot read old data: not BACKWARD compatible.
    const broken = record("Payment", [
      { name: "id", type: "string" },
      { name: "amount", type: "long" },
    ]);
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: broken }, { subject }),
    ).rejects.toMatchObject({
      status: 409,
    });

    // An optional field with a default is fine.
    const compatible = JSON.stringify({
      ...JSON.parse(v1),
      fields: [
        { name: "id", type: "string" },
        { name: "note", type: ["null", "string"], default: null },
      ],
    });
    const v2 = await registry.register({ type: SchemaType.AVRO, schema: compatible }, { subject });
    expect(v2.id).not.toBe(id);
    await fetch(`${stack.registryUrl}/subjects/${encodeURIComponent(subject)}`, { method: "DELETE" });
  });

  it("redis: PING answers PONG", async () => {
    expect(await redisPing(stack.redisUrl)).toBe("+PONG");
  });

  describe.skipIf(!stack.scram || stack.saslBrokers.length === 0)("SASL/SCRAM listener", () => {
    it.each(["scram-sha-256", "scram-sha-512"] as const)("%s: produce and consume", async (mechanism) => {
      const sasl = kafkaForTests({ brokers: stack.saslBrokers, sasl: scramSasl(stack.scram!, mechanism) });
      const admin = sasl.admin();
      await admin.connect();
      try {
        await withTopics(admin, [{ prefix: `stack-sasl-${mechanism}`, partitions: 1 }], async ([topic]) => {
          const producer = sasl.producer();
          await producer.connect();
          await producer.send({
            topic: topic as string,
            messages: [{ key: "k", value: `via ${mechanism}` }],
          });
          await producer.disconnect();
          const [msg] = await consumeN(topic as string, 1, 30_000, sasl);
          expect(msg?.value?.toString()).toBe(`via ${mechanism}`);
        });
      } finally {
        await admin.disconnect();
      }
    });

    it("wrong credentials fail fast with an authentication error", async () => {
      const kafka = new Kafka({
        clientId: uniqueName("bad-creds"),
        brokers: stack.saslBrokers,
        sasl: { mechanism: "scram-sha-256", username: stack.scram!.username, password: "not-the-password" },
        connectionTimeout: 2000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      const t0 = Date.now();
      const error = await admin.connect().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await admin.disconnect().catch(() => undefined);
      expect(error).toBeDefined();
      expect(`${error?.name} ${error?.message}`).toMatch(/SASL|[Aa]uthentication/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    });
  });

  describe.runIf(stack.source === "local")("local stack", () => {
    it("stackUp() again is harmless: same PIDs, nothing started, quick", async () => {
      const first = await stackUp();
      const t0 = Date.now();
      const second = await stackUp();
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(second.started).toEqual([]);
      expect(second.services.map((s) => s.pid)).toEqual(first.services.map((s) => s.pid));
      expect(second.brokers).toEqual(stack.brokers);
    });
  });
});
