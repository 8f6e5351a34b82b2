import type { Kafka, ProducerBatch } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../lib/log/index.ts";
import { Outbox } from "./outbox.ts";

function fakeKafka(sendBatch: (b: ProducerBatch) => Promise<unknown>) {
  const calls: ProducerBatch[] = [];
  const kafka = {
    producer: () => ({
      connect: async () => {},
      disconnect: async () => {},
      sendBatch: async (b: ProducerBatch) => {
        calls.push(b);
        return sendBatch(b);
      },
    }),
  } as unknown as Kafka;
  return { kafka, calls };
}

const record = (i: number) => ({
  topic: `t${i % 2}`,
  message: { key: `k${i}`, value: Buffer.alloc(1000, 1) },
});

describe("outbox", () => {
  it("cuts a burst into bounded produce requests and acknowledges every caller", async () => {
    const { kafka, calls } = fakeKafka(async () => []);
    const outbox = new Outbox(kafka, silentLogger(), { maxRecords: 500, maxBytes: 200_000 });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => outbox.send([record(i)])));
    const counts = calls.map((c) => c.topicMessages!.reduce((n, t) => n + t.messages.length, 0));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(Math.max(...counts)).toBeLessThanOrEqual(190); // ~1.07 kB each: the 200 kB bound cuts first
    expect(calls.length).toBeGreaterThanOrEqual(10);
  });

  it("retries a transient failure until it goes through", async () => {
    let failures = 2;
    const { kafka, calls } = fakeKafka(async () => {
      if (failures-- > 0) throw Object.assign(new Error("leader moved"), { retriable: true });
      return [];
    });
    const outbox = new Outbox(kafka, silentLogger());
    await outbox.send([record(1)]);
    expect(calls).toHaveLength(3);
  });

  it("reports a permanent failure instead of retrying forever", async () => {
    const onFatal = vi.fn();
    const { kafka, calls } = fakeKafka(async () => {
      throw Object.assign(new Error("too large"), { type: "MESSAGE_TOO_LARGE", retriable: false });
    });
    const outbox = new Outbox(kafka, silentLogger(), { onFatal });
    await expect(outbox.send([record(1)])).rejects.toThrow(/too large/);
    expect(calls).toHaveLength(1);
    expect(onFatal).toHaveBeenCalledOnce();
  });
});
