import type { Message } from "kafkajs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TopicMessages } from "./encode.ts";
import { ProduceQueue } from "./produce-queue.ts";

const msg = (v: string): Message => ({ key: v, value: Buffer.from(v) });
const out = (topic: string, ...values: string[]): TopicMessages[] => [{ topic, messages: values.map(msg) }];

/** A send function the test resolves or rejects request by request. */
function manualSend() {
  const requests: { topics: TopicMessages[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const send = (topics: TopicMessages[]) =>
    new Promise<void>((resolve, reject) => requests.push({ topics, resolve, reject }));
  const values = (i: number) =>
    requests[i]!.topics.map((t) => `${t.topic}:${t.messages.map((m) => m.key).join(",")}`);
  return { send, requests, values };
}

const tick = () => new Promise((r) => setImmediate(r));

/**
 * Sends `first`, queues `rest` behind it, then acknowledges request by request and checks what each
 * following request carried.
 */
async function expectGrouping(
  s: ReturnType<typeof manualSend>,
  q: ProduceQueue,
  first: TopicMessages[],
  rest: TopicMessages[][],
  requests: string[][],
): Promise<void> {
  const sent = q.enqueue(first);
  const queued = rest.map((r) => q.enqueue(r));
  s.requests[0]!.resolve();
  await sent;
  for (let i = 0; i < requests.length; i++) {
    await tick();
    expect(s.values(i + 1)).toEqual(requests[i]);
    s.requests[i + 1]!.resolve();
  }
  await Promise.all(queued);
}

describe("ProduceQueue", () => {
  it("sends at once when idle, and groups what queues up behind a request in flight, in order", async () => {
    const s = manualSend();
    const q = new ProduceQueue(s.send);
    const acked: string[] = [];
    const a = q.enqueue(out("t1", "a1", "a2")).then(() => acked.push("a"));
    expect(s.requests).toHaveLength(1);
    const b = q.enqueue(out("t1", "b1")).then(() => acked.push("b"));
    const c = q.enqueue([...out("t2", "c1"), ...out("t1", "c2")]).then(() => acked.push("c"));
    expect(s.requests).toHaveLength(1); // b and c wait for a's acknowledgement
    s.requests[0]!.resolve();
    await a;
    await tick();
    expect(s.requests).toHaveLength(2);
    expect(s.values(1)).toEqual(["t1:b1,c2", "t2:c1"]);
    expect(acked).toEqual(["a"]);
    s.requests[1]!.resolve();
    await Promise.all([b, c]);
    expect(acked).toEqual(["a", "b", "c"]);
    expect(q.requests).toBe(2);
    expect(q.messages).toBe(5);
  });

  it("caps the messages of one request, never splitting an entry", async () => {
    const s = manualSend();
    const q = new ProduceQueue(s.send, { maxMessages: 3 });
    // a,b + c,d would be 4 > 3
    await expectGrouping(
      s,
      q,
      out("t", "x"),
      [out("t", "a", "b"), out("t", "c", "d"), out("t", "e")],
      [["t:a,b"], ["t:c,d,e"]],
    );
  });

  it("caps the bytes of one request too (a partition's batch must fit max.message.bytes)", async () => {
    const s = manualSend();
    const big = (topic: string, key: string): TopicMessages[] => [
      { topic, messages: [{ key, value: Buffer.alloc(300) }] },
    ];
    const q = new ProduceQueue(s.send, { maxMessages: 100, maxBytes: 1000 }); // ~364 bytes per message with overhead
    // a third would pass 1000 bytes
    await expectGrouping(
      s,
      q,
      big("t", "x"),
      [big("t", "a"), big("t", "b"), big("t", "c")],
      [["t:a,b"], ["t:c"]],
    );
  });

  it("resolves empty outputs at once without a request", async () => {
    const s = manualSend();
    const q = new ProduceQueue(s.send);
    await q.enqueue([]);
    await q.enqueue([{ topic: "t", messages: [] }]);
    expect(s.requests).toHaveLength(0);
  });

  it("fails a failed request's entries with its error and everything queued behind it as not sent, telling each synchronously", async () => {
    const s = manualSend();
    const q = new ProduceQueue(s.send);
    const failedFirst: string[] = [];
    const a = q.enqueue(out("t", "a"), () => failedFirst.push("a"));
    const b = q.enqueue(out("t", "b"), () => failedFirst.push("b"));
    const boom = new Error("MESSAGE_TOO_LARGE");
    s.requests[0]!.reject(boom);
    await expect(a).rejects.toBe(boom);
    await expect(b).rejects.toMatchObject({ code: "VERDICT_ERR_NOT_SENT", cause: boom });
    expect(failedFirst).toEqual(["a", "b"]);
    // The queue keeps working for what comes after.
    const c = q.enqueue(out("t", "c"));
    expect(s.requests).toHaveLength(2);
    s.requests[1]!.resolve();
    await c;
  });

  it("sends an entry enqueued alone in a request of its own", async () => {
    const s = manualSend();
    const q = new ProduceQueue(s.send);
    const a = q.enqueue(out("t", "a"));
    const b = q.enqueue(out("t", "b"));
    const c = q.enqueue(out("t", "c"), undefined, true);
    const d = q.enqueue(out("t", "d"));
    s.requests[0]!.resolve();
    await a;
    await tick();
    expect(s.values(1)).toEqual(["t:b"]); // not merged with c
    s.requests[1]!.resolve();
    await b;
    await tick();
    expect(s.values(2)).toEqual(["t:c"]); // alone
    s.requests[2]!.resolve();
    await c;
    await tick();
    expect(s.values(3)).toEqual(["t:d"]);
    s.requests[3]!.resolve();
    await d;
  });

  describe("with lingerMs (Kafka's linger.ms)", () => {
    afterEach(() => vi.useRealTimers());

    it("holds a request until its oldest chunk is lingerMs old, then sends what queued meanwhile together", async () => {
      vi.useFakeTimers();
      const s = manualSend();
      const q = new ProduceQueue(s.send, { lingerMs: 20 }, () => Date.now());
      const a = q.enqueue(out("t1", "a1"));
      await vi.advanceTimersByTimeAsync(10);
      const b = q.enqueue(out("t1", "b1"));
      expect(s.requests).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(9);
      expect(s.requests).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1); // a is 20 ms old: b rides along, not waiting its own 20 ms
      expect(s.values(0)).toEqual(["t1:a1,b1"]);
      s.requests[0]!.resolve();
      await Promise.all([a, b]);
      expect(q.requests).toBe(1);
    });

    it("sends at once when the queued chunks fill a request, without waiting out the linger", async () => {
      vi.useFakeTimers();
      const s = manualSend();
      const q = new ProduceQueue(s.send, { lingerMs: 1000, maxMessages: 3 }, () => Date.now());
      const a = q.enqueue(out("t1", "a1", "a2"));
      await vi.advanceTimersByTimeAsync(1);
      expect(s.requests).toHaveLength(0);
      const b = q.enqueue(out("t1", "b1"));
      await vi.advanceTimersByTimeAsync(0);
      expect(s.values(0)).toEqual(["t1:a1,a2,b1"]);
      s.requests[0]!.resolve();
      await Promise.all([a, b]);
    });
  });
});
