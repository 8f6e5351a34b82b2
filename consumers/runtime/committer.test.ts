import { afterEach, describe, expect, it, vi } from "vitest";
import { OffsetCommitter, type PartitionOffset } from "./committer.ts";

function manualCommit() {
  const calls: { offsets: PartitionOffset[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const commit = (offsets: PartitionOffset[]) =>
    new Promise<void>((resolve, reject) => calls.push({ offsets, resolve, reject }));
  const flat = (i: number) => calls[i]!.offsets.map((o) => `${o.topic}[${o.partition}]=${o.offset}`).sort();
  return { commit, calls, flat };
}

const tick = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe("OffsetCommitter", () => {
  it("commits at once when idle, then everything marked meanwhile in one request (latest offset wins)", async () => {
    const c = manualCommit();
    const committer = new OffsetCommitter({ commit: c.commit, intervalMs: 0 });
    committer.mark("t", 0, "10");
    expect(c.flat(0)).toEqual(["t[0]=10"]);
    committer.mark("t", 0, "20");
    committer.mark("t", 1, "5");
    committer.mark("t", 0, "30");
    expect(c.calls).toHaveLength(1);
    c.calls[0]!.resolve();
    await tick();
    expect(c.calls).toHaveLength(2);
    expect(c.flat(1)).toEqual(["t[0]=30", "t[1]=5"]);
    c.calls[1]!.resolve();
    await committer.flush();
    expect(committer.commits).toBe(2);
  });

  it("keeps a failed commit's offsets for the next attempt unless newer ones were marked", async () => {
    const errors: unknown[] = [];
    const c = manualCommit();
    let now = 1000;
    const committer = new OffsetCommitter(
      { commit: c.commit, intervalMs: 0, onError: (e) => errors.push(e) },
      () => now,
    );
    committer.mark("t", 0, "10");
    committer.mark("t", 1, "7");
    committer.mark("t", 1, "8"); // chained behind the commit in flight
    c.calls[0]!.reject(new Error("REBALANCE_IN_PROGRESS"));
    await tick();
    expect(errors).toHaveLength(1);
    // After a failure the next attempt waits (no commit storm); flush() forces it.
    expect(c.calls).toHaveLength(1);
    now += 5;
    const flushed = committer.flush();
    await tick();
    expect(c.flat(1)).toEqual(["t[0]=10", "t[1]=8"]);
    c.calls[1]!.resolve();
    await flushed;
    expect(committer.commits).toBe(1);
  });

  it("retries a failed commit by itself, even when nothing more is marked", async () => {
    vi.useFakeTimers();
    const c = manualCommit();
    const committer = new OffsetCommitter({ commit: c.commit, intervalMs: 0, onError: () => {} });
    committer.mark("t", 2, "400"); // a partition's last chunk: no mark will follow
    c.calls[0]!.reject(new Error("REBALANCE_IN_PROGRESS"));
    await vi.advanceTimersByTimeAsync(0);
    expect(c.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.calls).toHaveLength(2);
    expect(c.flat(1)).toEqual(["t[2]=400"]);
    c.calls[1]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(committer.commits).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.calls).toHaveLength(2); // nothing left to commit: no further request
  });

  it("drops marks of partitions no longer owned", async () => {
    const c = manualCommit();
    const committer = new OffsetCommitter({ commit: c.commit, intervalMs: 0 });
    committer.mark("t", 0, "1");
    committer.mark("t", 1, "2");
    committer.mark("t", 2, "3");
    committer.retain((_topic, partition) => partition !== 1);
    c.calls[0]!.resolve();
    await tick();
    expect(c.flat(1)).toEqual(["t[2]=3"]);
    c.calls[1]!.resolve();
    await committer.flush();
  });

  it("with an interval, commits at most that often", async () => {
    vi.useFakeTimers();
    const c = manualCommit();
    const committer = new OffsetCommitter({ commit: c.commit, intervalMs: 1000 });
    committer.mark("t", 0, "1");
    expect(c.calls).toHaveLength(0); // first commit after the interval, not at once
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.flat(0)).toEqual(["t[0]=1"]);
    c.calls[0]!.resolve();
    committer.mark("t", 0, "2");
    await vi.advanceTimersByTimeAsync(500);
    expect(c.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(c.flat(1)).toEqual(["t[0]=2"]);
    c.calls[1]!.resolve();
    committer.close();
  });

  it("flush() with nothing marked sends nothing", async () => {
    const c = manualCommit();
    const committer = new OffsetCommitter({ commit: c.commit, intervalMs: 0 });
    await committer.flush();
    expect(c.calls).toHaveLength(0);
  });
});
