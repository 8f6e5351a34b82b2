/**
 * Types of the card-transaction simulator. Large outputs are columnar (typed arrays, one entry per
 * transaction in event-time order) so the book-scale run (~1.75 M transactions) stays compact; the
 * event-shaped views (TransactionCreated, FraudLabelReported) are made one at a time when iterated.
 */
import type { FraudLabelReported, TransactionCreated } from "../../../schemas/generated/types.ts";

/** Validated simulator options (see options.ts for the schema and the defaults). */
export interface TransactionSimulatorOptions {
  /** Number of customers (cards). Default 5,000 (the handbook's scale). */
  customers: number;
  /** Number of terminals. Default 10,000. */
  terminals: number;
  /** Simulated days. Default 183. */
  days: number;
  /** First simulated day, `YYYY-MM-DD`, midnight UTC. Default "2018-04-01". */
  startDate: string;
  /** A customer may use the terminals at Euclidean distance < radius on the 100×100 grid. Default 5. */
  radius: number;
  /** PRNG seed (uint32). Same seed and options → identical output. Default 42. */
  seed: number;
  /** Apply the three fraud scenarios. Off: every transaction is genuine. Default true. */
  fraud: boolean;
  /** Days between a transaction and its label event (chargeback / outcome known). Default 7. */
  labelDelayDays: number;
  /** ISO 4217 currency of every amount. Default "EUR". */
  currency: string;
}

/** Customer profiles, one entry per customer number. */
export interface CustomerProfiles {
  readonly count: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly meanAmount: Float64Array;
  readonly stdAmount: Float64Array;
  readonly meanTxPerDay: Float64Array;
  /**
   * Terminals within the radius, as CSR: customer c may use
   * `availableTerminals[availableOffsets[c] .. availableOffsets[c + 1])`, ascending terminal numbers.
   */
  readonly availableOffsets: Int32Array;
  readonly availableTerminals: Int32Array;
}

export interface TerminalProfiles {
  readonly count: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** 0 genuine, 1 amount > 220, 2 compromised terminal, 3 compromised card (amount × 5). */
export type FraudScenario = 0 | 1 | 2 | 3;

/**
 * Every transaction, sorted by event time; index i is transaction number i (its transactionId is
 * `transactionIdOf(i)`).
 */
export interface TransactionColumns {
  readonly count: number;
  /** Seconds since startDate midnight UTC (the handbook's TX_TIME_SECONDS). */
  readonly timeSeconds: Int32Array;
  /** Event time, epoch milliseconds UTC. */
  readonly occurredAt: Float64Array;
  /** Customer number (customerId = customerIdOf(n)). */
  readonly customer: Int32Array;
  /** Terminal number (terminalId = terminalIdOf(n)). */
  readonly terminal: Int32Array;
  /** Amount, 2 decimals; scenario-3 frauds already multiplied by 5. */
  readonly amount: Float64Array;
  /** Ground truth, never part of the TransactionCreated event: 1 fraud, 0 genuine. */
  readonly isFraud: Uint8Array;
  /** Ground truth: the FraudScenario that made it fraud (0 when genuine). */
  readonly scenario: Uint8Array;
}

export interface SimulationResult {
  readonly options: Readonly<TransactionSimulatorOptions>;
  /** startDate midnight UTC, epoch ms. */
  readonly startMs: number;
  readonly customers: CustomerProfiles;
  readonly terminals: TerminalProfiles;
  readonly transactions: TransactionColumns;
}

/** Ground truth kept beside (never inside) the event: the upstream app does not know it. */
export interface FraudTruth {
  isFraud: boolean;
  scenario: FraudScenario;
}

/** One transaction as a plain row (training tables, CSV), truth included. */
export interface TransactionRow {
  transactionId: string;
  occurredAt: number;
  customerId: string;
  terminalId: string;
  amount: number;
  isFraud: boolean;
  fraudScenario: FraudScenario;
}

export interface TransactionSimEvent {
  kind: "transaction";
  event: TransactionCreated;
  truth: FraudTruth;
}

export interface LabelSimEvent {
  kind: "label";
  event: FraudLabelReported;
}

/** What the merged event stream yields, in event-time order. */
export type SimulatedEvent = TransactionSimEvent | LabelSimEvent;

export interface EventStreamOptions {
  /** Interleave one FraudLabelReported per transaction at occurredAt + labelDelayDays. Default true. */
  withLabels?: boolean;
  /** Stop early (async stream only). */
  signal?: AbortSignal;
  /** The async stream yields to the event loop (setImmediate) every this many events. Default 5,000. */
  yieldEvery?: number;
}
