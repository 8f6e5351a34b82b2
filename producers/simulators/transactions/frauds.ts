/**
 * The handbook's three fraud scenarios (ch. 3, add_frauds), applied in its order to the sorted
 * transactions. Every transaction starts genuine; a later rule overwrites an earlier one's scenario.
 *
 * Choices, all taken from the handbook's code rather than invented:
 * - Draw days are `range(TX_TIME_DAYS.max())`: days 0 … maxDay−1 where maxDay is the last day that
 *   has a transaction (182 for 183 days). The last day draws nothing.
 * - A window starts on its draw day: terminals drawn on day d make transactions with day in
 *   [d, d + 28) fraud; customers drawn on day d are compromised for days [d, d + 14).
 * - Scenario 2 overwrites scenario 1 (a > 220 transaction on a compromised terminal reads 2).
 * - Scenario 3, day by day: take every transaction of the 3 drawn customers in their window (in
 *   transaction order, frauds of earlier rules included), pick floor(n / 3) of them uniformly without
 *   replacement, amount × 5, fraud, scenario 3. Rule 1 is not re-run on the new amounts. Windows of a
 *   customer drawn twice may overlap, so an amount can be multiplied twice, as in the handbook.
 * - The × 5 amount is re-rounded to cents: x·5 of a 2-decimal x has 2 decimals, this only removes
 *   binary floating-point noise (12.34 * 5 = 61.699999999999996).
 */
import { STREAM } from "./ids.ts";
import { createRandom } from "./random.ts";
import type { TransactionColumns } from "./types.ts";
import { roundCents, SECONDS_PER_DAY } from "./units.ts";

export const FRAUD_RULES = Object.freeze({
  /** Scenario 1: amount strictly above this is fraud. */
  amountThreshold: 220,
  /** Scenario 2: terminals compromised per day, and for how many days. */
  terminalsPerDay: 2,
  terminalWindowDays: 28,
  /** Scenario 3: customers compromised per day, for how many days, and the amount multiplier. */
  customersPerDay: 3,
  customerWindowDays: 14,
  /** floor(n / this) of a compromised window's transactions become frauds. */
  customerFraudDivisor: 3,
  amountMultiplier: 5,
});

export function applyFraudScenarios(
  tx: TransactionColumns,
  customerCount: number,
  terminalCount: number,
  options: { seed: number },
): void {
  const n = tx.count;
  if (n === 0) return;
  const dayOf = (i: number): number => Math.floor((tx.timeSeconds[i] as number) / SECONDS_PER_DAY);
  const drawDays = dayOf(n - 1);

  // Scenario 1.
  for (let i = 0; i < n; i++) {
    if ((tx.amount[i] as number) > FRAUD_RULES.amountThreshold) {
      tx.isFraud[i] = 1;
      tx.scenario[i] = 1;
    }
  }

  // Scenario 2: per terminal, the draw days of its compromise windows.
  const windows = new Map<number, number[]>();
  for (let d = 0; d < drawDays; d++) {
    const rng = createRandom(options.seed, STREAM.compromisedTerminals, d);
    for (const t of rng.sampleIndices(terminalCount, FRAUD_RULES.terminalsPerDay)) {
      const list = windows.get(t);
      if (list) list.push(d);
      else windows.set(t, [d]);
    }
  }
  for (let i = 0; i < n; i++) {
    const starts = windows.get(tx.terminal[i] as number);
    if (!starts) continue;
    const day = dayOf(i);
    if (starts.some((d) => day >= d && day < d + FRAUD_RULES.terminalWindowDays)) {
      tx.isFraud[i] = 1;
      tx.scenario[i] = 2;
    }
  }

  // Scenario 3: each customer's transactions in transaction order (CSR), to find windows fast.
  const start = new Int32Array(customerCount + 1);
  for (let i = 0; i < n; i++) start[(tx.customer[i] as number) + 1]! += 1;
  for (let c = 0; c < customerCount; c++) start[c + 1]! += start[c] as number;
  const fill = start.slice(0, customerCount);
  const byCustomer = new Int32Array(n);
  for (let i = 0; i < n; i++) byCustomer[fill[tx.customer[i] as number]!++] = i;

  for (let d = 0; d < drawDays; d++) {
    const rng = createRandom(options.seed, STREAM.compromisedCustomers, d);
    const compromised: number[] = [];
    for (const c of rng.sampleIndices(customerCount, FRAUD_RULES.customersPerDay)) {
      for (let k = start[c] as number; k < (start[c + 1] as number); k++) {
        const i = byCustomer[k] as number;
        const day = dayOf(i);
        if (day >= d && day < d + FRAUD_RULES.customerWindowDays) compromised.push(i);
      }
    }
    compromised.sort((a, b) => a - b);
    const k = Math.floor(compromised.length / FRAUD_RULES.customerFraudDivisor);
    for (const i of rng.sample(compromised, k)) {
      tx.amount[i] = roundCents((tx.amount[i] as number) * FRAUD_RULES.amountMultiplier);
      tx.isFraud[i] = 1;
      tx.scenario[i] = 3;
    }
  }
}
