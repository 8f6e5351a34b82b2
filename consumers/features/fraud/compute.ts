/**
 * The fraud features of one transaction from the state the store returned: pure arithmetic, no I/O,
 * the single implementation behind the online stage and the offline training table.
 *
 * Exactness: windows are on exact event-time milliseconds, (t − n·24 h, t] for customers and
 * (t − (7 + n)·24 h, t − 7·24 h] for terminals, like the handbook's pandas rolling windows on
 * datetimes (not calendar days). Amount sums run in the customer's arrival order, so the same events
 * give bit-identical features in every run.
 */
import type { CustomerWindow, TerminalWindow } from "../store/index.ts";
import {
  FRAUD_FEATURE_NAMES,
  type FraudFeatures,
  MS_PER_DAY,
  MS_PER_HOUR,
  NIGHT_LAST_HOUR,
  TERMINAL_DELAY_DAYS,
} from "./definitions.ts";

export interface FraudFeatureInput {
  /** Event time, epoch ms. */
  occurredAt: number;
  amount: number;
}

export interface FraudState {
  /** The customer's transactions up to and including this one, occurredAt in (t − 30 d, t]. */
  customer: Readonly<CustomerWindow>;
  /** The terminal's labels, ascending by transaction time, in (t − 37 d, t − 7 d]; any known time. */
  terminal: Readonly<TerminalWindow>;
}

/** Day of week of an epoch-ms time in UTC: 0 Sunday … 6 Saturday (1970-01-01 was a Thursday). */
export function utcWeekday(t: number): number {
  const day = Math.floor(t / MS_PER_DAY);
  return (((day + 4) % 7) + 7) % 7;
}

export function utcHour(t: number): number {
  return Math.floor((t - Math.floor(t / MS_PER_DAY) * MS_PER_DAY) / MS_PER_HOUR);
}

const D1 = MS_PER_DAY;
const D7 = 7 * MS_PER_DAY;
const D30 = 30 * MS_PER_DAY;
const DELAY = TERMINAL_DELAY_DAYS * MS_PER_DAY;

/**
 * The 15 features in FRAUD_FEATURE_NAMES order, written into `out` (allocated when omitted).
 * Windows 1/7/30 days are unrolled: this runs ~1.75 M times per book-scale replay.
 */
export function computeFraudFeatureVector(
  tx: FraudFeatureInput,
  state: FraudState,
  out: number[] = newVector(),
): number[] {
  const t = tx.occurredAt;
  const weekday = utcWeekday(t);
  out[0] = tx.amount;
  out[1] = weekday === 0 || weekday === 6 ? 1 : 0;
  out[2] = utcHour(t) <= NIGHT_LAST_HOUR ? 1 : 0;

  // Customer windows (t − n d, t], the current transaction included (it is the last entry).
  let n1 = 0;
  let n7 = 0;
  let n30 = 0;
  let s1 = 0;
  let s7 = 0;
  let s30 = 0;
  const times = state.customer.occurredAt;
  const amounts = state.customer.amount;
  for (let k = 0; k < times.length; k++) {
    const ts = times[k] as number;
    if (ts > t || ts <= t - D30) continue;
    const amount = amounts[k] as number;
    n30++;
    s30 += amount;
    if (ts > t - D7) {
      n7++;
      s7 += amount;
      if (ts > t - D1) {
        n1++;
        s1 += amount;
      }
    }
  }
  out[3] = n1;
  out[4] = n1 > 0 ? s1 / n1 : 0;
  out[5] = n7;
  out[6] = n7 > 0 ? s7 / n7 : 0;
  out[7] = n30;
  out[8] = n30 > 0 ? s30 / n30 : 0;

  // Terminal windows (t − 7 d − n d, t − 7 d], counting each transaction once with its latest label
  // known at t (a chargeback can overturn an earlier "outcome known" label).
  const end = t - DELAY;
  const c = TERMINAL_COUNTS.fill(0);
  const w = state.terminal;
  const txTimes = w.transactionOccurredAt;
  const known = w.knownAt;
  let i = 0;
  while (i < txTimes.length) {
    const ts = txTimes[i] as number;
    let j = i + 1;
    while (j < txTimes.length && txTimes[j] === ts) j++;
    if (ts <= end && ts > end - D30) {
      if (j === i + 1) {
        if ((known[i] as number) <= t) countTerminal(c, ts, w.isFraud[i] as boolean, end);
      } else {
        for (const isFraud of latestKnownPerTransaction(w, i, j, t)) countTerminal(c, ts, isFraud, end);
      }
    }
    i = j;
  }
  out[9] = c[0] as number;
  out[10] = risk(c[1] as number, c[0] as number);
  out[11] = c[2] as number;
  out[12] = risk(c[3] as number, c[2] as number);
  out[13] = c[4] as number;
  out[14] = risk(c[5] as number, c[4] as number);
  return out;
}

/** A plain array (small typed arrays each cost a backing store: measurably slower at this rate). */
function newVector(): number[] {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
}

/** Scratch counters nb1, fraud1, nb7, fraud7, nb30, fraud30 (the computation is synchronous). */
const TERMINAL_COUNTS = new Float64Array(6);

function countTerminal(c: Float64Array, ts: number, isFraud: boolean, end: number): void {
  const f = isFraud ? 1 : 0;
  c[4] = (c[4] as number) + 1;
  c[5] = (c[5] as number) + f;
  if (ts > end - D7) {
    c[2] = (c[2] as number) + 1;
    c[3] = (c[3] as number) + f;
    if (ts > end - D1) {
      c[0] = (c[0] as number) + 1;
      c[1] = (c[1] as number) + f;
    }
  }
}

/**
 * Among labels [i, j) (same transaction time), per transaction the isFraud of its latest label known
 * at t (ties on known time: the larger eventId, so the choice never depends on storage order).
 */
function latestKnownPerTransaction(w: Readonly<TerminalWindow>, i: number, j: number, t: number): boolean[] {
  const best = new Map<string, number>();
  for (let k = i; k < j; k++) {
    if ((w.knownAt[k] as number) > t) continue;
    const id = w.transactionId[k] as string;
    const current = best.get(id);
    if (
      current === undefined ||
      (w.knownAt[k] as number) > (w.knownAt[current] as number) ||
      (w.knownAt[k] === w.knownAt[current] && (w.eventId[k] as string) > (w.eventId[current] as string))
    ) {
      best.set(id, k);
    }
  }
  return [...best.values()].map((k) => w.isFraud[k] as boolean);
}

function risk(frauds: number, count: number): number {
  return count > 0 ? frauds / count : 0;
}

/** The named view of a feature vector (the TransactionFeatures.features map). */
export function toFeatureRecord(vector: ArrayLike<number>): FraudFeatures {
  const record = {} as FraudFeatures;
  FRAUD_FEATURE_NAMES.forEach((name, k) => {
    record[name] = vector[k] as number;
  });
  return record;
}

export function computeFraudFeatures(tx: FraudFeatureInput, state: FraudState): FraudFeatures {
  return toFeatureRecord(computeFraudFeatureVector(tx, state));
}
