import type { Producer, ProducerBatch } from "kafkajs";
import { describe, expect, it } from "vitest";
import { FreshOnFailureProducer } from "./fresh-producer.ts";

/** A producer double whose connect and sendBatch calls the test settles by hand. */
interface Fake {
  id: number;
  sends: ProducerBatch[];
  connect: Deferred;
  disconnected: boolean;
  failNextSend?: unknown;
  /** Every send fails with this (a broker connection that went away). */
  failAll?: unknown;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  called: boolean;
}

function deferred(): Deferred {
  const d = { called: false } as Deferred;
  d.promise = new Promise<void>((resolve, reject) => {
    d.resolve = resolve;
    d.reject = reject;
  });
  return d;
}

function factory() {
  const made: Fake[] = [];
  const create = () => {
    const fake: Fake = { id: made.length, sends: [], connect: deferred(), disconnected: false };
    made.push(fake);
    return {
      connect: () => {
        fake.connect.called = true;
        return fake.connect.promise;
      },
      sendBatch: async (batch: ProducerBatch) => {
        if (fake.disconnected) throw new Error(`producer ${fake.id} is disconnected`);
        const failure = fake.failNextSend ?? fake.failAll;
        fake.failNextSend = undefined;
        if (failure) throw failure;
        fake.sends.push(batch);
        return [];
      },
      disconnect: async () => {
        fake.disconnected = true;
      },
    } as unknown as Producer;
  };
  return { made, create };
}

const batch = (tag: string): ProducerBatch => ({ topicMessages: [{ topic: tag, messages: [] }] });
const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe("FreshOnFailureProducer", () => {
  it("reports a failed send at once and sends the next one on a fresh producer once it is connected", async () => {
    const { made, create } = factory();
    const p = new FreshOnFailureProducer(create);
    const connected = p.connect();
    made[0]!.connect.resolve();
    await connected;

    const refused = new Error("MESSAGE_TOO_LARGE");
    made[0]!.failNextSend = refused;
    await expect(p.sendBatch(batch("a"))).rejects.toBe(refused); // the replacement is not connected yet
    expect(made).toHaveLength(2);
    expect(made[0]!.disconnected).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(made[1]!.connect.called).toBe(true);

    const next = p.sendBatch(batch("b"));
    expect(await settled(next)).toBe(false); // waits for the fresh producer's connection
    made[1]!.connect.resolve();
    await next;
    expect(made[1]!.sends.map((b) => b.topicMessages![0]!.topic)).toEqual(["b"]);
    expect(made[0]!.sends).toEqual([]);
  });

  it("fails the next send when the replacement cannot connect, and replaces it again", async () => {
    const { made, create } = factory();
    const p = new FreshOnFailureProducer(create);
    made[0]!.failNextSend = new Error("refused");
    await expect(p.sendBatch(batch("a"))).rejects.toThrow("refused");
    const down = new Error("broker down");
    made[1]!.connect.reject(down);
    await expect(p.sendBatch(batch("b"))).rejects.toBe(down);
    expect(made).toHaveLength(3);
    made[2]!.connect.resolve();
    await p.sendBatch(batch("c"));
    expect(made[2]!.sends).toHaveLength(1);
  });

  it("concurrent sends failing on the same producer replace it once", async () => {
    const { made, create } = factory();
    const p = new FreshOnFailureProducer(create);
    made[0]!.connect.resolve();
    await p.connect();
    made[0]!.failAll = new Error("lost");
    const first = p.sendBatch(batch("a"));
    const second = p.sendBatch(batch("b"));
    await expect(first).rejects.toThrow("lost");
    await expect(second).rejects.toThrow("lost");
    expect(made).toHaveLength(2);
    made[1]!.connect.resolve();
    expect(await p.sendBatch(batch("c"))).toEqual([]);
    expect(made[1]!.sends).toHaveLength(1);
  });

  it("disconnect waits for a replacement that is still connecting, then closes it", async () => {
    const { made, create } = factory();
    const p = new FreshOnFailureProducer(create);
    made[0]!.failNextSend = new Error("refused");
    await expect(p.sendBatch(batch("a"))).rejects.toThrow("refused");
    const closing = p.disconnect();
    expect(await settled(closing)).toBe(false);
    made[1]!.connect.resolve();
    await closing;
    expect(made[1]!.disconnected).toBe(true);
  });
});
