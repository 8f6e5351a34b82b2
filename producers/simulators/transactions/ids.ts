/**
 * Stream domains and identifiers. Ids are the handbook's numbers as decimal strings
 * (CUSTOMER_ID 42 → "42", TRANSACTION_ID 0 → "0"), so a training table built from the stream joins
 * 1:1 with the handbook's pandas frames (`int(customerId)`). Use these helpers, never String(n), so
 * the format lives in one place.
 */
import { deterministicUuid, hash32 } from "./random.ts";
import type { TransactionSimulatorOptions } from "./types.ts";

/** Independent PRNG streams of one simulation: createRandom(seed, STREAM.x, index). */
export const STREAM = {
  customerProfiles: 1,
  terminalProfiles: 2,
  /** index = customer number: one stream per customer, like the handbook's per-customer seed. */
  customerTransactions: 3,
  /** index = day. */
  compromisedTerminals: 4,
  /** index = day. */
  compromisedCustomers: 5,
  transactionEventId: 6,
  labelEventId: 7,
} as const;

export function customerIdOf(customer: number): string {
  return String(customer);
}

export function terminalIdOf(terminal: number): string {
  return String(terminal);
}

export function transactionIdOf(transaction: number): string {
  return String(transaction);
}

/** The TransactionCreated eventId of transaction number i: a UUID-shaped hash of (seed, i). */
export function transactionEventIdOf(seed: number, transaction: number): string {
  return deterministicUuid(seed, STREAM.transactionEventId, transaction);
}

/** The FraudLabelReported eventId for transaction number i. */
export function labelEventIdOf(seed: number, transaction: number): string {
  return deterministicUuid(seed, STREAM.labelEventId, transaction);
}

/**
 * What event ids are derived from: the seed AND the shape of the simulation. Two different
 * simulations with the same seed (say 2 days × 100 customers, then 10 days × 400) share transaction
 * numbers, and ids derived from the seed alone would collide: a deduplicating consumer would drop
 * the second run's events as duplicates of the first.
 */
export function eventIdSeed(
  o: Pick<TransactionSimulatorOptions, "seed" | "customers" | "terminals" | "days" | "startDate" | "radius">,
): number {
  return hash32(
    o.seed,
    o.customers,
    o.terminals,
    o.days,
    Date.parse(o.startDate) / 86_400_000,
    Math.round(o.radius * 1000),
  );
}
