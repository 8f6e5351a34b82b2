import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { transactionSource } from "../../producers/publish/index.ts";
import type { TransactionCreated } from "../../schemas/generated/types.ts";
import { binIndex, PSI_FLOOR, psi, psiOfValues } from "./psi.ts";
import { BinnedWindow } from "./window.ts";

describe("PSI", () => {
  it("bins like training: bin(x) = number of edges strictly below x", () => {
    const edges = [1, 2, 3];
    expect([0, 1, 1.5, 2, 2.0001, 3, 4].map((x) => binIndex(x, edges))).toEqual([0, 0, 1, 1, 2, 2, 3]);
    expect(binIndex(0, [0])).toBe(0); // a binary feature's one edge: 0 → bin 0, 1 → bin 1
    expect(binIndex(1, [0])).toBe(1);
    expect(binIndex(5, [])).toBe(0);
  });

  it("matches hand-computed values", () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    // (0.8-0.5)·ln(0.8/0.5) + (0.2-0.5)·ln(0.2/0.5) = 0.141001 + 0.274887
    expect(psi([0.5, 0.5], [0.8, 0.2])).toBeCloseTo(0.415888, 6);
    // Empty reference bin floored at 1e-4: (0.1-1e-4)·ln(1000) + (0.4-0.5)·ln(0.8) = 0.690085 + 0.022314
    expect(psi([0.5, 0.5, 0], [0.5, 0.4, 0.1])).toBeCloseTo(0.712399, 5);
    expect(PSI_FLOOR).toBe(1e-4);
    // Symmetric in the two distributions.
    expect(psi([0.8, 0.2], [0.5, 0.5])).toBeCloseTo(psi([0.5, 0.5], [0.8, 0.2]), 12);
    expect(() => psi([1], [0.5, 0.5])).toThrow(RangeError);
  });

  it("psiOfValues bins raw values first", () => {
    // edges [10]: bins (-inf,10], (10,inf); 3 of 4 values land in bin 0.
    expect(psiOfValues([10], [0.5, 0.5], [1, 5, 10, 11])).toBeCloseTo(psi([0.5, 0.5], [0.75, 0.25]), 12);
  });

  it("a sliding window forgets the oldest observations", () => {
    const w = new BinnedWindow([10], 4);
    for (const v of [1, 2, 3, 4]) w.observe(v);
    expect(w.proportions()).toEqual([1, 0]);
    w.observe(20);
    w.observe(30);
    expect(w.samples).toBe(4);
    expect(w.proportions()).toEqual([0.5, 0.5]);
    w.observe(Number.NaN); // ignored
    expect(w.samples).toBe(4);
    w.clear();
    expect(w.proportions()).toEqual([0, 0]);
  });

  const MODEL_JSON = join(import.meta.dirname, "../../models/fraud-gbt/1.0.0/model.json");
  it.skipIf(!existsSync(MODEL_JSON))(
    "simulated amounts match fraud-gbt's TX_AMOUNT reference; amounts x5 do not",
    async () => {
      const model = JSON.parse(readFileSync(MODEL_JSON, "utf8")) as {
        reference: { features: Record<string, { edges: number[]; proportions: number[] }> };
      };
      const ref = model.reference.features.TX_AMOUNT!;
      const amounts: number[] = [];
      for await (const p of transactionSource(
        { days: 3, customers: 300, terminals: 600, seed: 7 },
        { withLabels: false },
      )) {
        amounts.push((p.event as TransactionCreated).amount);
      }
      expect(amounts.length).toBeGreaterThan(1000);
      expect(psiOfValues(ref.edges, ref.proportions, amounts)).toBeLessThan(0.1);
      expect(
        psiOfValues(
          ref.edges,
          ref.proportions,
          amounts.map((a) => a * 5),
        ),
      ).toBeGreaterThan(0.25);
    },
  );
});
