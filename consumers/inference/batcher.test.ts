import { describe, expect, it, vi } from "vitest";
import { VerdictError } from "../../lib/errors/index.ts";
import { BatcherClosedError, type BatcherOptions, MicroBatcher } from "./batcher.ts";

const opts = (extra: Partial<BatcherOptions> = {}): BatcherOptions => ({
  maxBatchSize: 8,
  maxQueueDelayMs: 5,
  maxQueueSize: 1000,
  maxConcurrentBatches: 1,
  ...extra,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batcher whose run doubles each item and records the batches it saw. */
function doubling(extra: Partial<BatcherOptions> = {}, runMs = 0) {
  const batches: number[][] = [];
  const batcher = new MicroBatcher<number, number>(async (items) => {
    batches.push([...items]);
    if (runMs) await sleep(runMs);
    return items.map((x) => x * 2);
  }, opts(extra));
  return { batcher, batches };
}

describe("MicroBatcher", () => {
  it("merges concurrent calls into one run and gives each caller its own result", async () => {
    const { batcher, batches } = doubling();
    const results = await Promise.all([1, 2, 3, 4, 5].map((x) => batcher.submit(x)));
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
    expect(results.map((r) => r.value)).toEqual([2, 4, 6, 8, 10]);
    expect(results.every((r) => r.batchSize === 5)).toBe(true);
  });

  it("never exceeds maxBatchSize and keeps submission order inside and across batches", async () => {
    const { batcher, batches } = doubling({ maxBatchSize: 4, maxConcurrentBatches: 4 });
    const inputs = Array.from({ length: 10 }, (_, i) => i);
    const results = await Promise.all(inputs.map((x) => batcher.submit(x)));
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(batches.flat()).toEqual(inputs);
    expect(results.map((r) => r.value)).toEqual(inputs.map((x) => x * 2));
  });

  it("sends a full batch at once, without waiting for the delay", async () => {
    const { batcher } = doubling({ maxBatchSize: 3, maxQueueDelayMs: 5000, eagerWhenIdle: false });
    const t0 = performance.now();
    await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("honours maxQueueDelayMs: a lone row leaves after about the delay, not before (eagerWhenIdle off)", async () => {
    const { batcher } = doubling({ maxQueueDelayMs: 30, maxBatchSize: 100, eagerWhenIdle: false });
    const t0 = performance.now();
    const r = await batcher.submit(1);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(28);
    expect(waited).toBeLessThan(30 + 200); // generous: timers run late on a loaded machine
    expect(r.queueMs).toBeGreaterThanOrEqual(28);
    expect(r.batchSize).toBe(1);
  });

  it("eagerWhenIdle (default): an idle model takes the tick's rows at once; a busy one waits up to the delay", async () => {
    // A long delay makes the difference obvious even on a loaded machine.
    const { batcher, batches } = doubling({ maxQueueDelayMs: 1000, maxBatchSize: 100 }, 10);
    const t0 = performance.now();
    const first = [1, 2].map((x) => batcher.submit(x)); // idle: sent at the end of this tick
    await vi.waitFor(() => expect(batches).toHaveLength(1), { interval: 1 });
    expect(performance.now() - t0).toBeLessThan(500);
    const second = batcher.submit(3); // busy: queued; sent when the running batch ends (idle again)
    const r = await second;
    await Promise.all(first);
    expect(batches).toEqual([[1, 2], [3]]);
    expect(r.queueMs).toBeLessThan(500);
  });

  it("with delay 0 still merges the calls made in the same tick", async () => {
    const { batcher, batches } = doubling({ maxQueueDelayMs: 0 });
    await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("keeps filling the queue while a batch runs (batches grow under load)", async () => {
    const { batcher, batches } = doubling({ maxQueueDelayMs: 0, maxBatchSize: 64 }, 20);
    const first = batcher.submit(0);
    await vi.waitFor(() => expect(batches).toHaveLength(1), { interval: 1 }); // the first batch is running now
    const rest = Array.from({ length: 10 }, (_, i) => batcher.submit(i + 1));
    await Promise.all([first, ...rest]);
    expect(batches.map((b) => b.length)).toEqual([1, 10]);
  });

  it("propagates a failed run to every caller of that batch, and only that batch", async () => {
    let call = 0;
    const batcher = new MicroBatcher<number, number>(async (items) => {
      call++;
      if (call === 1) throw new VerdictError("VERDICT_ERR_MODEL_RUNTIME", "boom", { retriable: true });
      return items;
    }, opts());
    const failed = await Promise.allSettled([1, 2, 3].map((x) => batcher.submit(x)));
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    for (const r of failed) expect((r as PromiseRejectedResult).reason.message).toBe("boom");
    await expect(batcher.submit(4)).resolves.toMatchObject({ value: 4 });
  });

  it("rejects every caller when the run returns the wrong number of results", async () => {
    const batcher = new MicroBatcher<number, number>(async () => [1], opts());
    const results = await Promise.allSettled([1, 2].map((x) => batcher.submit(x)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(String((results[0] as PromiseRejectedResult).reason.message)).toMatch(/1 results for 2 items/);
  });

  it("applies backpressure: a full queue makes submit wait for room instead of growing", async () => {
    const { batcher, batches } = doubling({ maxQueueSize: 2, maxBatchSize: 2, maxQueueDelayMs: 1 }, 10);
    let maxDepth = 0;
    const all = Array.from({ length: 9 }, (_, i) =>
      batcher.submit(i).then((r) => {
        maxDepth = Math.max(maxDepth, batcher.depth);
        return r.value;
      }),
    );
    const values = await Promise.all(all);
    expect(values).toEqual(Array.from({ length: 9 }, (_, i) => i * 2));
    expect(maxDepth).toBeLessThanOrEqual(2);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 9 }, (_, i) => i));
  });

  it("removes an aborted row from the queue", async () => {
    const { batcher, batches } = doubling({ maxQueueDelayMs: 20 });
    const ac = new AbortController();
    const kept = batcher.submit(1);
    const aborted = batcher.submit(2, ac.signal);
    ac.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    await kept;
    expect(batches).toEqual([[1]]);
  });

  it("close() sends what is queued, waits for running batches, then refuses new rows", async () => {
    const { batcher, batches } = doubling({ maxQueueDelayMs: 1000 }, 10);
    const pending = [1, 2].map((x) => batcher.submit(x));
    await batcher.close();
    expect(batches).toEqual([[1, 2]]);
    expect((await Promise.all(pending)).map((r) => r.value)).toEqual([2, 4]);
    await expect(batcher.submit(3)).rejects.toBeInstanceOf(BatcherClosedError);
  });
});
