/**
 * Stream domains and identifiers. Ids are the handbook's numbers as decimal strings
 * (CUSTOMER_ID 42 → "42", TRANSACTION_ID 0 → "0"), so a training table built from the stream joins
 * 1:1 with the handbook's pandas frames (`int(customerId)`). Use these helpers, never String(n), so
 * the format lives in one place.
 */
import { deterministicUuid } from "./random.ts";

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
