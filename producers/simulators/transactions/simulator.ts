/**
 * The card-transaction simulator of the handbook (ch. 3, generate_transactions_table and
 * generate_dataset), columnar. The book-scale run (5,000 customers, 10,000 terminals, 183 days,
 * ~1.75 M transactions) takes a few seconds and ~60 MB.
 */
import { utcMidnight } from "../common/validate.ts";
import { applyFraudScenarios } from "./frauds.ts";
import { STREAM } from "./ids.ts";
import { resolveTransactionOptions, type TransactionSimulatorInput } from "./options.ts";
import { generateCustomerProfiles, generateTerminalProfiles } from "./profiles.ts";
import { createRandom } from "./random.ts";
import type { CustomerProfiles, SimulationResult, TransactionColumns } from "./types.ts";
import { roundCents, SECONDS_PER_DAY } from "./units.ts";

/** Time of day ~ int(N(43200, 20000)) seconds: centred on noon. */
const TIME_OF_DAY_MEAN = SECONDS_PER_DAY / 2;
const TIME_OF_DAY_STD = 20000;

/** Runs the whole simulation: profiles, transactions in event-time order, fraud scenarios. */
export function simulate(input: TransactionSimulatorInput = {}): SimulationResult {
  const options = resolveTransactionOptions(input);
  const startMs = utcMidnight(options.startDate);
  const terminals = generateTerminalProfiles(options.seed, options.terminals);
  const customers = generateCustomerProfiles(options.seed, options.customers, terminals, options.radius);
  const raw = generateRawTransactions(options.seed, customers, options.days);
  const transactions = sortByEventTime(raw, startMs);
  if (options.fraud) applyFraudScenarios(transactions, customers.count, terminals.count, options);
  return { options, startMs, customers, terminals, transactions };
}

interface RawTransactions {
  count: number;
  timeSeconds: Int32Array;
  customer: Int32Array;
  terminal: Int32Array;
  amount: Float64Array;
}

/**
 * Per customer (own stream, like the handbook's per-customer seed), per day:
 * n ~ Poisson(mean_nb_tx_per_day); for each of the n draws, in this order:
 *   - time of day t = trunc(N(43200, 20000)) (Python's int() truncates toward zero); the draw is
 *     dropped unless 0 < t < 86400, and then nothing else is drawn for it (as in the handbook);
 *   - amount ~ N(mean_amount, std_amount); a negative draw is replaced by U(0, 2·mean_amount);
 *     rounded to 2 decimals;
 *   - terminal uniform among the available ones; none available → no transaction.
 * Output is customer-major, then day, then draw order: the stable tie-break of the sort below.
 */
function generateRawTransactions(seed: number, customers: CustomerProfiles, days: number): RawTransactions {
  let expected = 0;
  for (let c = 0; c < customers.count; c++) expected += customers.meanTxPerDay[c] as number;
  let capacity = Math.ceil(expected * days * 1.02) + 1024;
  let timeSeconds = new Int32Array(capacity);
  let customer = new Int32Array(capacity);
  let terminal = new Int32Array(capacity);
  let amount = new Float64Array(capacity);
  let count = 0;
  const grow = (): void => {
    capacity *= 2;
    const t = new Int32Array(capacity);
    t.set(timeSeconds);
    timeSeconds = t;
    const cu = new Int32Array(capacity);
    cu.set(customer);
    customer = cu;
    const te = new Int32Array(capacity);
    te.set(terminal);
    terminal = te;
    const a = new Float64Array(capacity);
    a.set(amount);
    amount = a;
  };

  for (let c = 0; c < customers.count; c++) {
    const rng = createRandom(seed, STREAM.customerTransactions, c);
    const lambda = customers.meanTxPerDay[c] as number;
    const mean = customers.meanAmount[c] as number;
    const std = customers.stdAmount[c] as number;
    const from = customers.availableOffsets[c] as number;
    const available = customers.availableOffsets[c + 1]! - from;
    for (let day = 0; day < days; day++) {
      const n = rng.poisson(lambda);
      for (let k = 0; k < n; k++) {
        const t = Math.trunc(rng.normal(TIME_OF_DAY_MEAN, TIME_OF_DAY_STD));
        if (!(t > 0 && t < SECONDS_PER_DAY)) continue;
        let value = rng.normal(mean, std);
        if (value < 0) value = rng.uniform(0, 2 * mean);
        value = roundCents(value);
        if (available === 0) continue;
        const term = customers.availableTerminals[from + rng.int(available)] as number;
        if (count === capacity) grow();
        timeSeconds[count] = day * SECONDS_PER_DAY + t;
        customer[count] = c;
        terminal[count] = term;
        amount[count] = value;
        count++;
      }
    }
  }
  return { count, timeSeconds, customer, terminal, amount };
}

/**
 * Sorts by event time (the handbook's sort_values('TX_DATETIME')) and numbers the result: index =
 * transaction number. pandas' default quicksort leaves equal timestamps in no defined order; ours is
 * a stable LSD radix sort (two 16-bit passes over the seconds), so ties keep generation order:
 * customer number, then day, then draw order. Stable across runs and platforms.
 */
function sortByEventTime(raw: RawTransactions, startMs: number): TransactionColumns {
  const n = raw.count;
  const order = radixOrder(raw.timeSeconds, n);
  const timeSeconds = new Int32Array(n);
  const occurredAt = new Float64Array(n);
  const customer = new Int32Array(n);
  const terminal = new Int32Array(n);
  const amount = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = order[i] as number;
    const t = raw.timeSeconds[j] as number;
    timeSeconds[i] = t;
    occurredAt[i] = startMs + t * 1000;
    customer[i] = raw.customer[j] as number;
    terminal[i] = raw.terminal[j] as number;
    amount[i] = raw.amount[j] as number;
  }
  return {
    count: n,
    timeSeconds,
    occurredAt,
    customer,
    terminal,
    amount,
    isFraud: new Uint8Array(n),
    scenario: new Uint8Array(n),
  };
}

/** Stable ascending order of non-negative int32 keys, O(n): LSD radix, two 16-bit digits. */
export function radixOrder(keys: Int32Array, n: number): Int32Array {
  let src = new Int32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  let dst = new Int32Array(n);
  for (const shift of [0, 16]) {
    const counts = new Int32Array(65537);
    for (let i = 0; i < n; i++) counts[((keys[i] as number) >>> shift) & 0xffff]! += 1;
    for (let b = 0, sum = 0; b < 65536; b++) {
      const c = counts[b] as number;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const idx = src[i] as number;
      dst[counts[((keys[idx] as number) >>> shift) & 0xffff]!++] = idx;
    }
    [src, dst] = [dst, src];
  }
  return src;
}
