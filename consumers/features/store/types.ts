/**
 * The feature store port: the state the fraud features need, behind one small interface with two
 * implementations (in-memory for the embedded/fused process and offline replay; Redis for split
 * deployments where many consumers share terminal state). The store keeps raw facts, never feature
 * values: the features are computed in TypeScript from what it returns (fraud/compute.ts), so both
 * implementations produce bit-identical features by construction and the same code builds the
 * training table.
 *
 * Layout and guarantees (details in ../README.md):
 * - per customer, the raw (occurredAt, amount) of its recent transactions in arrival order, deduped
 *   by (transactionId, occurredAt) inside the same atomic update;
 * - per terminal, the outcome labels of its recent transactions keyed by transaction time, deduped
 *   by label identity (same event, same content); collapsed per transaction at read time (latest
 *   label known at t wins);
 * - per label partition, the largest label event time stored (the label watermark); per transaction
 *   partition, the largest transaction time (holds back eviction for lagging partitions);
 * - state older than the largest window plus a replay slack is evicted on write (event time), and
 *   Redis keys also carry a TTL so inactive entities disappear.
 */

/** What the store records for a transaction (a projection of TransactionIngested). */
export interface TransactionFact {
  transactionId: string;
  customerId: string;
  terminalId: string;
  /** Event time, epoch ms. */
  occurredAt: number;
  amount: number;
}

/** What the store records for a label (a projection of FraudLabelReported). */
export interface LabelFact {
  eventId: string;
  transactionId: string;
  terminalId: string;
  isFraud: boolean;
  /** Event time of the labelled transaction, epoch ms: positions the label in the terminal windows. */
  transactionOccurredAt: number;
  /** When the label became known (event time), epoch ms: "known at t" means knownAt ≤ t. */
  occurredAt: number;
}

/** Which slices of state a transaction needs back; all bounds in ms relative to its event time t. */
export interface WindowQuery {
  /** Customer entries with occurredAt in (t − customerWindowMs, t]. */
  customerWindowMs: number;
  /** Terminal labels with transactionOccurredAt in (t − terminalFromMs, t − terminalToMs]. */
  terminalFromMs: number;
  terminalToMs: number;
}

/**
 * A customer's window as two parallel arrays in arrival order (no object per entry: this is read
 * ~1.75 M times per book-scale replay).
 */
export interface CustomerWindow {
  occurredAt: number[];
  amount: number[];
}

/** A terminal's labels as parallel arrays, ascending by transaction time. */
export interface TerminalWindow {
  transactionOccurredAt: number[];
  knownAt: number[];
  isFraud: boolean[];
  transactionId: string[];
  eventId: string[];
}

/** The state as of one transaction, read in the same atomic update that recorded it. */
export interface TransactionSnapshot {
  /** True when this transactionId was already recorded (a replay): nothing was counted again. */
  duplicate: boolean;
  /**
   * The customer's transactions recorded up to and including this one (arrival order), restricted
   * to the customer window. A replay of an older transaction sees exactly what it saw the first time:
   * entries recorded after it are excluded even when their event time is equal.
   */
  customer: CustomerWindow;
  /**
   * The terminal's labels in the terminal range, ascending by transactionOccurredAt, NOT yet filtered
   * by knownAt (the feature code applies "known at t").
   */
  terminal: TerminalWindow;
  /** The label watermark when the snapshot was read (see FeatureStore.labelWatermark). */
  labelWatermark: number;
}

export interface LabelResult {
  /** True when this exact label was already stored: nothing changed. */
  duplicate: boolean;
}

export interface FeatureStore {
  /** "memory" or "redis": for logs and metrics. */
  readonly kind: string;
  /**
   * Records the transaction in its customer's history (idempotent by transactionId and event time)
   * and returns the state the features need, atomically for the customer. With `partition` (the
   * transaction topic partition it came from), also advances that partition's transaction progress,
   * which holds back terminal-label eviction for lagging partitions. Throws a retriable
   * VerdictError(VERDICT_ERR_FEATURE_STORE) when the backend fails.
   */
  recordTransaction(
    tx: TransactionFact,
    query: WindowQuery,
    partition?: number,
  ): Promise<TransactionSnapshot>;
  /** The same as recordTransaction, answered synchronously: in-process stores only. */
  recordTransactionSync?(tx: TransactionFact, query: WindowQuery, partition?: number): TransactionSnapshot;
  /**
   * Stores a label in its terminal's state (idempotent) and, when `partition` is given, advances that
   * label partition's watermark to the label's occurredAt, in that order, atomically.
   */
  recordLabel(label: LabelFact, partition?: number): Promise<LabelResult>;
  /** The same as recordLabel, answered synchronously: in-process stores only. */
  recordLabelSync?(label: LabelFact, partition?: number): LabelResult;
  /**
   * Declares that label partition `partition` will carry no label with occurredAt < eventTime (idle
   * or finished partition). Monotone: a smaller value is ignored. Infinity closes the partition.
   */
  advanceLabelWatermark(partition: number, eventTime: number): Promise<void>;
  /**
   * The label watermark W: min over label partitions of the largest label occurredAt stored there
   * (−Infinity while a partition has reported nothing). With each partition in event-time order,
   * every label with occurredAt < W is stored.
   */
  labelWatermark(): Promise<number>;
  close(): Promise<void>;
}

/** Retention and sizing shared by both implementations. */
export interface FeatureStoreOptions {
  /**
   * Customer entries older than this (event time) relative to the newest recorded transaction of the
   * customer are evicted. Must cover the customer window (30 d) plus how far back a replayed
   * transaction may be recomputed exactly. Default 37 days.
   */
  customerRetentionMs: number;
  /**
   * Terminal labels whose transaction time is older than this, relative to the eviction horizon, are
   * evicted. The horizon is min(the new label's known time, the slowest transaction partition's
   * progress), so labels consumed far ahead of the transactions (a fast replay) never evict what a
   * lagging partition still needs. Must cover the terminal range (37 d) plus a slack for replays of
   * older transactions. Default 44 days.
   */
  terminalRetentionMs: number;
  /** Number of partitions of the label topic: the watermark is the min over 0..labelPartitions−1. */
  labelPartitions: number;
}
