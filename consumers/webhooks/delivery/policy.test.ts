import { describe, expect, it } from "vitest";
import { TOPICS } from "../../../topology/index.ts";
import { CircuitBreaker } from "./breaker.ts";
import { classifyStatus, parseRetryAfter } from "./classify.ts";
import { type AttemptResult, decide } from "./decide.ts";
import { OffsetTracker } from "./offset-tracker.ts";
import { holdUntil, nextDelay, TIERS, topicForWait } from "./schedule.ts";

const result = (r: Partial<AttemptResult>): AttemptResult => ({
  outcome: "FAILED",
  status: 500,
  error: "HTTP 500",
  latencyMs: 3,
  startedAt: 0,
  retryAfterMs: null,
  response: null,
  ...r,
});
const settings = { retryScheduleMs: [0, 5_000, 300_000], jitter: 0, throttleMs: 5_000 };

describe("status classification (Standard Webhooks table)", () => {
  it.each([
    [200, "SUCCESS"],
    [204, "SUCCESS"],
    [301, "REDIRECT"],
    [302, "REDIRECT"],
    [307, "REDIRECT"],
    [410, "GONE"],
    [429, "THROTTLED"],
    [502, "THROTTLED"],
    [504, "THROTTLED"],
    [500, "FAILED"],
    [503, "FAILED"],
    [404, "FAILED"],
  ])("%i → %s", (status, outcome) => {
    expect(classifyStatus(status)).toBe(outcome);
  });

  it("reads Retry-After as seconds or an HTTP date, capped", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now, 60_000)).toBe(7000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now, 60_000)).toBe(30_000);
    expect(parseRetryAfter("99999", now, 60_000)).toBe(60_000);
    expect(parseRetryAfter("soon", now, 60_000)).toBeUndefined();
    expect(parseRetryAfter(undefined, now, 60_000)).toBeUndefined();
  });
});

describe("decide", () => {
  it("delivers on 2xx, disables on 410 and on an SSRF refusal", () => {
    expect(decide({ attempt: 0 }, result({ outcome: "SUCCESS", status: 200 }), settings, 0)).toEqual({
      kind: "delivered",
    });
    expect(decide({ attempt: 0 }, result({ outcome: "GONE", status: 410 }), settings, 0).kind).toBe(
      "disable",
    );
    expect(decide({ attempt: 0 }, result({ outcome: "REFUSED", status: null }), settings, 0).kind).toBe(
      "disable",
    );
  });

  it("follows the schedule and dead-letters after the last attempt", () => {
    expect(decide({ attempt: 0 }, result({}), settings, 1000)).toEqual({
      kind: "retry",
      dueAt: 6000,
      throttleUntil: null,
    });
    expect(decide({ attempt: 1 }, result({}), settings, 1000)).toEqual({
      kind: "retry",
      dueAt: 301_000,
      throttleUntil: null,
    });
    const dead = decide(
      { attempt: 2 },
      result({ outcome: "TIMEOUT", status: null, error: "no answer" }),
      settings,
      1000,
    );
    expect(dead).toEqual({ kind: "dead", reason: "gave up after 3 attempt(s); last: TIMEOUT: no answer" });
  });

  it("honours Retry-After over a shorter schedule step and throttles the endpoint", () => {
    const d = decide(
      { attempt: 0 },
      result({ outcome: "THROTTLED", status: 429, retryAfterMs: 20_000 }),
      settings,
      1000,
    );
    expect(d).toEqual({ kind: "retry", dueAt: 21_000, throttleUntil: 21_000 });
    const noHeader = decide({ attempt: 0 }, result({ outcome: "THROTTLED", status: 502 }), settings, 1000);
    expect(noHeader).toEqual({ kind: "retry", dueAt: 6000, throttleUntil: 6000 });
    const longer = decide(
      { attempt: 1 },
      result({ outcome: "THROTTLED", status: 429, retryAfterMs: 1000 }),
      settings,
      0,
    );
    expect(longer).toMatchObject({ dueAt: 300_000 });
  });
});

describe("schedule", () => {
  it("applies jitter within ±jitter/2", () => {
    expect(nextDelay([0, 10_000], 1, 0.2, () => 0)).toBe(9000);
    expect(nextDelay([0, 10_000], 1, 0.2, () => 1)).toBe(11_000);
    expect(nextDelay([0, 10_000], 2, 0.2)).toBeUndefined();
  });

  it("puts a task in the tier with the largest delay not above its wait", () => {
    expect(topicForWait(0)).toBe(TOPICS.webhookDeliveries);
    expect(topicForWait(300)).toBe(TIERS[0]!.topic);
    expect(topicForWait(9_999)).toBe(TOPICS.webhookRetry1s);
    expect(topicForWait(10_000)).toBe(TOPICS.webhookRetry10s);
    expect(topicForWait(5 * 3_600_000)).toBe(TOPICS.webhookRetry1h);
  });

  it("holds a record at most its tier's delay after it was enqueued", () => {
    const t = TOPICS.webhookRetry10s.name;
    expect(holdUntil(t, { dueAt: 1_000_000, enqueuedAt: 0 })).toBe(10_000);
    expect(holdUntil(t, { dueAt: 4000, enqueuedAt: 0 })).toBe(4000);
    expect(holdUntil(TOPICS.webhookDeliveries.name, { dueAt: 50, enqueuedAt: 10 })).toBe(10);
  });
});

describe("circuit breaker", () => {
  it("opens after N failures, probes once, re-opens longer, closes on success", () => {
    const changes: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, maxOpenMs: 3000 }, (s) =>
      changes.push(s),
    );
    for (let i = 0; i < 3; i++) b.failure(0);
    expect(b.admit(500)).toEqual({ kind: "blocked", until: 1000 });
    expect(b.admit(1000)).toEqual({ kind: "run", probe: true });
    expect(b.admit(1001)).toEqual({ kind: "wait" });
    b.failure(1100);
    expect(b.admit(2000)).toEqual({ kind: "blocked", until: 3100 });
    expect(b.admit(3100)).toEqual({ kind: "run", probe: true });
    b.success();
    expect(b.admit(3101)).toEqual({ kind: "run", probe: false });
    expect(changes).toEqual(["open", "half-open", "open", "half-open", "closed"]);
  });
});

describe("offset tracker", () => {
  it("commits up to the lowest unfinished offset, whatever order work finishes in", () => {
    const tracker = new OffsetTracker();
    const p = tracker.get("t", 0);
    for (const o of ["5", "6", "7", "8"]) p.take(o);
    p.done("6");
    p.done("8");
    expect(tracker.commitable()).toEqual([{ topic: "t", partition: 0, offset: "5" }]);
    p.done("5");
    expect(tracker.commitable()).toEqual([{ topic: "t", partition: 0, offset: "7" }]);
    tracker.markCommitted(tracker.commitable());
    expect(tracker.commitable()).toEqual([]);
    p.done("7");
    expect(tracker.commitable()).toEqual([{ topic: "t", partition: 0, offset: "9" }]);
    expect(p.seen("8")).toBe(true);
    expect(p.seen("9")).toBe(false);
    tracker.retain({ other: [0] });
    expect(tracker.commitable()).toEqual([]);
  });
});
