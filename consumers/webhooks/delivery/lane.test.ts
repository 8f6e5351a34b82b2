import { describe, expect, it } from "vitest";
import { EndpointLane, type LaneJob } from "./lane.ts";

const breaker = { failureThreshold: 2, openMs: 1000, maxOpenMs: 4000 };

function job(
  log: string[],
  name: string,
  outcome: Promise<void> = Promise.resolve(),
): LaneJob & { parkedUntil?: number } {
  const j: LaneJob & { parkedUntil?: number } = {
    run: async (probe) => {
      log.push(`${name}${probe ? "(probe)" : ""}`);
      await outcome;
    },
    park: async (until, reason) => {
      j.parkedUntil = until;
      log.push(`park ${name}: ${reason}`);
    },
  };
  return j;
}

describe("endpoint lane", () => {
  it("never runs more than maxConcurrency at once and queues the rest", async () => {
    let t = 0;
    const lane = new EndpointLane(
      { maxConcurrency: 2, ratePerSec: null },
      { breaker, maxQueued: 10, maxQueueWaitMs: 60_000, now: () => t, random: () => 0 },
    );
    const log: string[] = [];
    const gates: (() => void)[] = [];
    const slow = () => new Promise<void>((r) => gates.push(r));
    for (const n of ["a", "b", "c"]) lane.submit(job(log, n, slow()));
    expect(log).toEqual(["a", "b"]);
    expect(lane.stats()).toMatchObject({ active: 2, queued: 1 });
    gates[0]!();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(["a", "b", "c"]);
    t = 1;
  });

  it("parks work instead of holding it when the queue is full", () => {
    const lane = new EndpointLane(
      { maxConcurrency: 1, ratePerSec: null },
      { breaker, maxQueued: 1, maxQueueWaitMs: 60_000, now: () => 0, random: () => 0 },
    );
    const log: string[] = [];
    const never = new Promise<void>(() => {});
    lane.submit(job(log, "a", never));
    lane.submit(job(log, "b", never));
    const c = job(log, "c", never);
    lane.submit(c);
    expect(log).toEqual(["a", "park c: queue full"]);
    expect(c.parkedUntil).toBeGreaterThanOrEqual(1000);
  });

  it("parks until the circuit's probe time when open, then lets exactly one probe through", async () => {
    let t = 0;
    const lane = new EndpointLane(
      { maxConcurrency: 5, ratePerSec: null },
      { breaker, maxQueued: 10, maxQueueWaitMs: 60_000, now: () => t, random: () => 0 },
    );
    lane.recordFailure(0);
    lane.recordFailure(0);
    const log: string[] = [];
    const parked = job(log, "x");
    lane.submit(parked);
    expect(parked.parkedUntil).toBe(1000);
    t = 1000;
    let answer!: () => void;
    lane.submit(job(log, "p", new Promise<void>((r) => (answer = r))));
    lane.submit(job(log, "q"));
    expect(log).toEqual(["park x: circuit open", "p(probe)"]);
    lane.recordSuccess(t);
    answer();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(["park x: circuit open", "p(probe)", "q"]);
    expect(lane.stats().breaker).toBe("closed");
  });

  it("parks everything while throttled (Retry-After)", () => {
    const lane = new EndpointLane(
      { maxConcurrency: 5, ratePerSec: null },
      { breaker, maxQueued: 10, maxQueueWaitMs: 60_000, now: () => 0, random: () => 0 },
    );
    lane.throttle(7000);
    const log: string[] = [];
    const j = job(log, "a");
    lane.submit(j);
    expect(j.parkedUntil).toBe(7000);
    expect(lane.stats().throttledUntil).toBe(7000);
  });

  it("rate-limits to ratePerSec", async () => {
    let t = 0;
    const lane = new EndpointLane(
      { maxConcurrency: 10, ratePerSec: 2 },
      { breaker, maxQueued: 10, maxQueueWaitMs: 60_000, now: () => t, random: () => 0 },
    );
    const log: string[] = [];
    for (const n of ["a", "b", "c"]) lane.submit(job(log, n));
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(["a", "b"]);
    t = 600;
    await new Promise((r) => setTimeout(r, 520));
    expect(log).toEqual(["a", "b", "c"]);
    lane.close();
  });
});
