import { describe, expect, it } from "vitest";
import { BinnedWindow, EventTimeWindow } from "./window.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("EventTimeWindow", () => {
  it("holds the last span of event time: older buckets leave as time moves on", () => {
    const w = new EventTimeWindow([0], DAY, 24); // bins: ≤ 0, > 0; hourly buckets
    for (let h = 0; h < 24; h++) w.observe(h < 6 ? 1 : 0, h * HOUR); // 6 of 24 hours "night"
    expect(w.samples).toBe(24);
    expect(w.proportions()).toEqual([18 / 24, 6 / 24]);
    w.observe(0, 24 * HOUR); // hour 24: hour 0 falls out
    expect(w.samples).toBe(24);
    expect(w.proportions()).toEqual([19 / 24, 5 / 24]);
    w.observe(0, 10 * DAY); // a gap longer than the span empties the rest
    expect(w.samples).toBe(1);
    expect(w.proportions()).toEqual([1, 0]);
  });

  it("counts out-of-order events inside the window and drops those older than it", () => {
    const w = new EventTimeWindow([10], DAY, 24);
    w.observe(5, 30 * HOUR);
    w.observe(50, 20 * HOUR); // 10 h back: inside
    expect(w.samples).toBe(2);
    w.observe(50, 6 * HOUR); // 24 h back: outside
    expect(w.samples).toBe(2);
    expect(w.late).toBe(1);
    w.observe(Number.NaN, 30 * HOUR);
    w.observe(5, Number.NaN);
    expect(w.samples).toBe(2);
  });

  it("is ready once the traffic seen spans the window and minSamples is reached", () => {
    const w = new EventTimeWindow([0], DAY, 24);
    for (let m = 0; m < 20 * 60; m += 10) w.observe(1, m * 60_000); // 20 h of traffic
    expect(w.samples).toBe(120);
    expect(w.ready(10)).toBe(false);
    for (let m = 20 * 60; m <= 23 * 60; m += 10) w.observe(1, m * 60_000); // 23 h = span − one bucket
    expect(w.ready(10)).toBe(true);
    expect(w.ready(1_000)).toBe(false);
    expect(w.describe).toBe("1d of event time");
  });

  it("refuses a span or bucket count it cannot hold", () => {
    expect(() => new EventTimeWindow([0], 0)).toThrow(/spanMs > 0/);
    expect(() => new EventTimeWindow([0], DAY, 0)).toThrow(/buckets ≥ 1/);
  });
});

describe("BinnedWindow", () => {
  it("holds the last N observations whatever their time", () => {
    const w = new BinnedWindow([0], 4);
    for (const v of [1, 1, 1, 1, 0, 0]) w.observe(v, 0);
    expect(w.samples).toBe(4);
    expect(w.proportions()).toEqual([0.5, 0.5]);
    expect(w.ready(4)).toBe(true);
    expect(w.ready(5)).toBe(false);
    expect(w.describe).toBe("4 records");
  });
});
