import { describe, expect, it } from "vitest";
import { createRandom, deterministicUuid, fmix32, hash32, Random } from "./random.ts";

const N = 200_000;

function moments(draw: () => number, n = N): { mean: number; variance: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sumSq / n - mean * mean };
}

describe("Random (sfc32)", () => {
  it("is a pure function of (seed, domain, index)", () => {
    const a = createRandom(42, 3, 7);
    const b = createRandom(42, 3, 7);
    const seqA = Array.from({ length: 1000 }, () => a.nextUint32());
    const seqB = Array.from({ length: 1000 }, () => b.nextUint32());
    expect(seqA).toEqual(seqB);
    for (const other of [createRandom(43, 3, 7), createRandom(42, 4, 7), createRandom(42, 3, 8)]) {
      const seq = Array.from({ length: 1000 }, () => other.nextUint32());
      expect(seq).not.toEqual(seqA);
    }
  });

  it("pins the first outputs (a change here changes every simulation: update the README numbers)", () => {
    const r = createRandom(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toMatchInlineSnapshot(`
      [
        2146701623,
        627798172,
        1443894475,
      ]
    `);
  });

  it("uniform: [min, max), mean and variance of U(0,1)", () => {
    const r = createRandom(1);
    const { mean, variance } = moments(() => r.next());
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 3);
    let outside = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = r.uniform(5, 100);
      if (!(x >= 5 && x < 100)) outside++;
    }
    expect(outside).toBe(0);
  });

  it("normal: mean and standard deviation", () => {
    const r = createRandom(2);
    const { mean, variance } = moments(() => r.normal(43200, 20000));
    expect(Math.abs(mean - 43200)).toBeLessThan(200);
    expect(Math.sqrt(variance) / 20000).toBeCloseTo(1, 2);
    const std = moments(() => r.normal());
    expect(std.mean).toBeCloseTo(0, 2);
    expect(std.variance).toBeCloseTo(1, 1);
  });

  it("poisson: mean = variance = λ, including λ = 0 and λ beyond Knuth's comfortable range", () => {
    const r = createRandom(3);
    for (const lambda of [0.3, 1, 2.5, 3.99, 75]) {
      const { mean, variance } = moments(() => r.poisson(lambda), 100_000);
      expect(Math.abs(mean - lambda) / lambda).toBeLessThan(0.02);
      expect(Math.abs(variance - lambda) / lambda).toBeLessThan(0.05);
    }
    for (let i = 0; i < 100; i++) expect(r.poisson(0)).toBe(0);
    expect(() => r.poisson(-1)).toThrow(RangeError);
    expect(() => r.poisson(Number.NaN)).toThrow(RangeError);
  });

  it("poisson: P(0) matches exp(-λ)", () => {
    const r = createRandom(4);
    let zeros = 0;
    for (let i = 0; i < N; i++) if (r.poisson(2) === 0) zeros++;
    expect(zeros / N).toBeCloseTo(Math.exp(-2), 2);
  });

  it("randint: inclusive bounds, every value, roughly uniform", () => {
    const r = createRandom(5);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.randint(3, 9) - 3]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(70_000);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(r.randint(4, 4)).toBe(4);
    expect(() => r.randint(5, 4)).toThrow(RangeError);
    expect(() => r.randint(0.5, 4)).toThrow(RangeError);
    const big = r.randint(0, 2 ** 40);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(big).toBeLessThanOrEqual(2 ** 40);
  });

  it("choice picks members uniformly; empty population throws", () => {
    const r = createRandom(6);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 30_000; i++) counts[r.choice(["a", "b", "c"] as const)]++;
    for (const c of Object.values(counts)) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => r.choice([])).toThrow(RangeError);
  });

  it("sample without replacement: distinct, in range, every element equally likely (both algorithms)", () => {
    const r = createRandom(7);
    for (const [n, k] of [
      [10, 2],
      [10, 9],
      [1000, 3],
      [5, 5],
      [5, 0],
    ] as const) {
      const hits = new Array(n).fill(0);
      const trials = 20_000;
      let bad = 0;
      for (let t = 0; t < trials; t++) {
        const s = r.sampleIndices(n, k);
        if (s.length !== k || new Set(s).size !== k) bad++;
        for (const i of s) {
          if (!(Number.isInteger(i) && i >= 0 && i < n)) bad++;
          hits[i]++;
        }
      }
      expect(bad).toBe(0);
      if (k > 0 && n <= 10) {
        const expected = (trials * k) / n;
        for (const h of hits) expect(Math.abs(h - expected) / expected).toBeLessThan(0.06);
      }
    }
    expect(r.sample(["x", "y", "z"], 3).sort()).toEqual(["x", "y", "z"]);
    expect(() => r.sampleIndices(3, 4)).toThrow(RangeError);
  });

  it("exponential: mean", () => {
    const r = createRandom(8);
    expect(moments(() => r.exponential(1000), 100_000).mean / 1000).toBeCloseTo(1, 1);
  });
});

describe("hashing", () => {
  it("fmix32 and hash32 are deterministic uint32 and separate close inputs", () => {
    expect(fmix32(0)).toBe(0);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const h = hash32(42, 6, i);
      expect(h).toBe(h >>> 0);
      seen.add(h);
    }
    expect(seen.size).toBe(10_000);
    expect(new Random(1).nextUint32()).not.toBe(new Random(2).nextUint32());
  });

  it("deterministicUuid: v4 layout, stable, distinct", () => {
    const id = deterministicUuid(42, 6, 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid(42, 6, 0)).toBe(id);
    const ids = new Set(Array.from({ length: 50_000 }, (_, i) => deterministicUuid(42, 6, i)));
    expect(ids.size).toBe(50_000);
    expect(deterministicUuid(43, 6, 0)).not.toBe(id);
  });
});
