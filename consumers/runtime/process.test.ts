import { describe, expect, it } from "vitest";
import { UnrecoverableError, VerdictError } from "../../lib/errors/index.ts";
import { TOPICS } from "../../topology/index.ts";
import { parseRunnerSettings } from "./options.ts";
import { processChunk, type WorkItem } from "./process.ts";
import type { StageOutput } from "./types.ts";

const policy = parseRunnerSettings({ errorPolicy: { initialDelayMs: 1, maxDelayMs: 2 } }).errorPolicy;
const out = (n: number): StageOutput[] => [{ topic: TOPICS.postIngested, value: { n } as never }];

function options(extra: Partial<Parameters<typeof processChunk>[1]> = {}) {
  return {
    concurrency: "per-key" as const,
    maxInFlight: 8,
    policy,
    signal: new AbortController().signal,
    ...extra,
  };
}

describe("processChunk", () => {
  it("keeps per-key order while different keys overlap, and returns results in input order", async () => {
    const log: string[] = [];
    const items: WorkItem[] = [0, 1, 2, 3, 4, 5].map((i) => ({
      key: i % 2 === 0 ? "a" : "b",
      run: async () => {
        log.push(`start ${i}`);
        await new Promise((r) => setTimeout(r, i % 2 === 0 ? 5 : 1));
        log.push(`end ${i}`);
        return out(i);
      },
    }));
    const results = await processChunk(items, options());
    expect(
      results.map((r) => (r.kind === "ok" ? (r.outputs[0]!.value as unknown as { n: number }).n : -1)),
    ).toEqual([0, 1, 2, 3, 4, 5]);
    for (const key of [0, 1]) {
      const own = log.filter((l) => Number(l.split(" ")[1]) % 2 === key);
      // within a key: start i, end i, start i+2, end i+2 ...
      expect(own).toEqual(
        own.slice().sort((x, y) => Number(x.split(" ")[1]) - Number(y.split(" ")[1]) || (x < y ? 1 : -1)),
      );
    }
    // keys overlapped: b (fast) finished something before a's first record ended
    expect(log.indexOf("end 1")).toBeLessThan(log.indexOf("end 0"));
  });

  it("lets a key's next record start once the record releases its key; results stay in input order", async () => {
    const log: string[] = [];
    let finishFirst!: () => void;
    const items: WorkItem[] = [0, 1, 2].map((i) => ({
      key: "a",
      run: (_attempt, releaseKey) => {
        log.push(`start ${i}`);
        if (i === 0) {
          releaseKey?.(); // e.g. a fused chain entering its stateless inference + scoring tail
          return new Promise<StageOutput[]>((r) => {
            finishFirst = () => r(out(i));
          });
        }
        return out(i);
      },
    }));
    const pending = processChunk(items, options());
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(["start 0", "start 1", "start 2"]); // 1 and 2 did not wait for 0
    let done = false;
    void pending.then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false); // the chunk waits for the released record
    finishFirst();
    const results = await pending;
    expect(
      results.map((r) => (r.kind === "ok" ? (r.outputs[0]!.value as unknown as { n: number }).n : -1)),
    ).toEqual([0, 1, 2]);
  });

  it("a record that releases its key late holds the lane until then", async () => {
    const log: string[] = [];
    const items: WorkItem[] = [0, 1].map((i) => ({
      key: "a",
      run: async (_attempt, releaseKey) => {
        log.push(`start ${i}`);
        await new Promise((r) => setTimeout(r, 5)); // the order-sensitive part (e.g. a Redis feature store)
        log.push(`released ${i}`);
        releaseKey?.();
        await new Promise((r) => setTimeout(r, 10));
        log.push(`end ${i}`);
        return out(i);
      },
    }));
    await processChunk(items, options());
    expect(log.slice(0, 3)).toEqual(["start 0", "released 0", "start 1"]);
    expect(log.indexOf("start 1")).toBeLessThan(log.indexOf("end 0"));
  });

  it("runs strictly one at a time in sequential mode", async () => {
    let running = 0;
    let maxRunning = 0;
    const items: WorkItem[] = Array.from({ length: 5 }, (_, i) => ({
      key: String(i),
      run: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
        return out(i);
      },
    }));
    await processChunk(items, options({ concurrency: "sequential" }));
    expect(maxRunning).toBe(1);
  });

  it("dead-letters non-retriable errors at once and retries retriable ones", async () => {
    let calls = 0;
    const results = await processChunk(
      [
        {
          key: "x",
          run: async () => {
            throw new UnrecoverableError("VERDICT_ERR_VALIDATION", "bad amount");
          },
        },
        {
          key: "y",
          run: async (attempt) => {
            calls++;
            if (attempt < 3)
              throw new VerdictError("VERDICT_ERR_FEATURE_STORE", "redis down", { retriable: true });
            return out(1);
          },
        },
      ],
      options(),
    );
    expect(results[0]).toMatchObject({ kind: "poison", attempts: 1 });
    expect(results[1]).toMatchObject({ kind: "ok", attempts: 3 });
    expect(calls).toBe(3);
  });

  it("never retries programming errors", async () => {
    let calls = 0;
    const [r] = await processChunk(
      [
        {
          key: "k",
          run: async () => {
            calls++;
            throw new TypeError("x is undefined");
          },
        },
      ],
      options(),
    );
    expect(r).toMatchObject({ kind: "poison" });
    expect(calls).toBe(1);
  });

  it("blocks (keeps retrying) past the attempt budget by default, so nothing is lost", async () => {
    let calls = 0;
    const [r] = await processChunk(
      [
        {
          key: "k",
          run: async () => {
            calls++;
            if (calls < policy.attempts + 3)
              throw new VerdictError("VERDICT_ERR_KAFKA", "down", { retriable: true });
            return out(1);
          },
        },
      ],
      options(),
    );
    expect(r).toMatchObject({ kind: "ok" });
    expect(calls).toBe(policy.attempts + 3);
  });

  it("honours onRetriesExhausted=dlq and onPoison=fail", async () => {
    const failing: WorkItem = {
      key: "k",
      run: async () => {
        throw new VerdictError("VERDICT_ERR_KAFKA", "down", { retriable: true });
      },
    };
    const dlqPolicy = { ...policy, onRetriesExhausted: "dlq" as const, attempts: 2 };
    expect((await processChunk([failing], options({ policy: dlqPolicy })))[0]).toMatchObject({
      kind: "poison",
      attempts: 2,
    });
    const poison: WorkItem = {
      key: "k",
      run: async () => {
        throw new UnrecoverableError("VERDICT_ERR_VALIDATION", "bad");
      },
    };
    const failPolicy = { ...policy, onPoison: "fail" as const };
    expect((await processChunk([poison], options({ policy: failPolicy })))[0]).toMatchObject({
      kind: "fatal",
    });
  });

  it("stops retrying when aborted", async () => {
    const controller = new AbortController();
    const blocked: WorkItem = {
      key: "k",
      run: async () => {
        throw new VerdictError("VERDICT_ERR_KAFKA", "down", { retriable: true });
      },
    };
    setTimeout(() => controller.abort(new Error("shutdown")), 20);
    await expect(processChunk([blocked], options({ signal: controller.signal }))).rejects.toThrow("shutdown");
  });
});
