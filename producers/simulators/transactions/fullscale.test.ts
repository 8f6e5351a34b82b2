/**
 * Book scale: 5,000 customers × 10,000 terminals × 183 days from 2018-04-01 (the defaults) must
 * reproduce the handbook's published statistics. Our PRNG is not numpy's, so the figures are targets
 * within statistical tolerance, not fixtures. ~1 s per run on one core: part of the normal suite.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { simulate } from "./simulator.ts";
import { HANDBOOK_REFERENCE, summarizeTransactions } from "./stats.ts";
import type { SimulationResult } from "./types.ts";

function hashColumns(result: SimulationResult): string {
  const hash = createHash("sha256");
  const tx = result.transactions;
  for (const column of [tx.timeSeconds, tx.customer, tx.terminal, tx.amount, tx.isFraud, tx.scenario]) {
    hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
  }
  return hash.digest("hex");
}

const within = (value: number, target: number, relative: number): boolean =>
  Math.abs(value - target) <= target * relative;

describe("full-scale run (handbook ch. 3 scale)", () => {
  it("reproduces the reference statistics and is deterministic", { timeout: 120_000 }, () => {
    const started = performance.now();
    const first = simulate();
    const elapsedMs = performance.now() - started;
    const stats = summarizeTransactions(first);
    const ref = HANDBOOK_REFERENCE;

    expect(within(stats.transactions, ref.transactions, 0.03), `transactions ${stats.transactions}`).toBe(
      true,
    );
    expect(Math.abs(stats.fraudRate - ref.fraudRate), `fraud rate ${stats.fraudRate}`).toBeLessThanOrEqual(
      0.001,
    );
    for (const s of [1, 2, 3] as const) {
      expect(
        within(stats.fraudsByScenario[s], ref.fraudsByScenario[s], 0.15),
        `scenario ${s}: ${stats.fraudsByScenario[s]}`,
      ).toBe(true);
    }
    expect(within(stats.txPerDay.mean, ref.txPerDay, 0.05)).toBe(true);
    expect(within(stats.fraudsPerDay.mean, ref.fraudsPerDay, 0.1)).toBe(true);
    expect(within(stats.terminalsPerCustomer, ref.terminalsPerCustomer, 0.1)).toBe(true);
    expect(stats.firstAt?.startsWith("2018-04-01")).toBe(true);
    expect(stats.lastAt?.startsWith("2018-09-30")).toBe(true);
    // ~1 s measured on one core; the bound only catches an accidental quadratic.
    expect(elapsedMs).toBeLessThan(30_000);

    const again = simulate();
    expect(hashColumns(again)).toBe(hashColumns(first));
  });
});
