/**
 * Summary statistics of a simulation, beside the handbook's published ones (the targets the
 * full-scale test checks).
 */
import type { SimulationResult } from "./types.ts";
import { SECONDS_PER_DAY } from "./units.ts";

/** Handbook ch. 3 at 5,000 customers, 10,000 terminals, 183 days from 2018-04-01. */
export const HANDBOOK_REFERENCE = Object.freeze({
  transactions: 1_754_155,
  frauds: 14_681,
  fraudRate: 14_681 / 1_754_155,
  fraudsByScenario: Object.freeze({ 1: 1_000, 2: 9_100, 3: 4_600 }),
  /** "~10,000 tx/day, ~85 frauds/day" in the book's words. */
  txPerDay: 10_000,
  fraudsPerDay: 85,
  terminalsPerCustomer: 80,
});

export interface PerDay {
  mean: number;
  min: number;
  max: number;
}

export interface TransactionStats {
  customers: number;
  terminals: number;
  days: number;
  transactions: number;
  frauds: number;
  /** frauds / transactions (0 when empty). */
  fraudRate: number;
  fraudsByScenario: { 1: number; 2: number; 3: number };
  txPerDay: PerDay;
  fraudsPerDay: PerDay;
  /** Mean number of terminals within the radius. */
  terminalsPerCustomer: number;
  meanAmount: number;
  /** ISO times of the first and last transaction (null when empty). */
  firstAt: string | null;
  lastAt: string | null;
}

export function summarizeTransactions(result: SimulationResult): TransactionStats {
  const { transactions: tx, options, customers } = result;
  const days = options.days;
  const txDay = new Float64Array(days);
  const fraudDay = new Float64Array(days);
  const byScenario = { 1: 0, 2: 0, 3: 0 };
  let frauds = 0;
  let amountSum = 0;
  for (let i = 0; i < tx.count; i++) {
    const day = Math.floor((tx.timeSeconds[i] as number) / SECONDS_PER_DAY);
    txDay[day]! += 1;
    amountSum += tx.amount[i] as number;
    if (tx.isFraud[i] === 1) {
      frauds++;
      fraudDay[day]! += 1;
      const s = tx.scenario[i] as 1 | 2 | 3;
      byScenario[s]++;
    }
  }
  const n = tx.count;
  return {
    customers: customers.count,
    terminals: result.terminals.count,
    days,
    transactions: n,
    frauds,
    fraudRate: n === 0 ? 0 : frauds / n,
    fraudsByScenario: byScenario,
    txPerDay: perDay(txDay),
    fraudsPerDay: perDay(fraudDay),
    terminalsPerCustomer: customers.count === 0 ? 0 : customers.availableTerminals.length / customers.count,
    meanAmount: n === 0 ? 0 : amountSum / n,
    firstAt: n === 0 ? null : new Date(tx.occurredAt[0] as number).toISOString(),
    lastAt: n === 0 ? null : new Date(tx.occurredAt[n - 1] as number).toISOString(),
  };
}

function perDay(values: Float64Array): PerDay {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length === 0 ? { mean: 0, min: 0, max: 0 } : { mean: sum / values.length, min, max };
}
