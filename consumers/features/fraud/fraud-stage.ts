/**
 * The fraud feature stage: TransactionIngested → TransactionFeatures (one per transaction, same event
 * id), FraudLabelReported → feature-store update and no output (labels are state, not events to
 * score). Pure apart from the injected store: the runner owns Kafka, the offline replay calls the same
 * handlers.
 *
 * Run it "sequential" (the runner's default): label progress per partition must be recorded in
 * partition order for the watermark to mean anything. The caller owns the store (creates and closes
 * it), so one store can serve several stages of a fused process.
 */
import { UnrecoverableError } from "../../../lib/errors/index.ts";
import type {
  FraudLabelReported,
  TransactionFeatures,
  TransactionIngested,
} from "../../../schemas/generated/types.ts";
import { TOPICS } from "../../../topology/index.ts";
import { input, type Stage, type StageContext, type StageOutput } from "../../runtime/types.ts";
import type { FeatureStore, TransactionSnapshot } from "../store/index.ts";
import { computeFraudFeatureVector, toFeatureRecord } from "./compute.ts";
import { FEATURE_SET, FRAUD_WINDOW_QUERY } from "./definitions.ts";
import { LabelGate } from "./label-gate.ts";
import { type FraudStageOptionsInput, resolveFraudStageOptions } from "./options.ts";

export interface FraudFeatureStageDeps {
  store: FeatureStore;
  options?: FraudStageOptionsInput;
}

export interface FraudFeatureStats {
  transactions: number;
  /** Transactions already in the store (redelivery/replay): recomputed, not counted again. */
  duplicateTransactions: number;
  labels: number;
  duplicateLabels: number;
  /** Transactions that waited for the label watermark, and those that gave up waiting. */
  gateWaits: number;
  gateTimeouts: number;
  /** Transactions computed while the watermark was not past t − allowedLatenessMs. */
  incomplete: number;
}

/** What one transaction produced, for callers that need more than the output record (replay, tests). */
export interface FraudComputation {
  value: TransactionFeatures;
  vector: number[];
  snapshot: TransactionSnapshot;
  complete: boolean;
}

export interface FraudFeatureStage extends Stage {
  onTransaction(tx: TransactionIngested, ctx: StageContext): Promise<StageOutput[]>;
  onLabel(label: FraudLabelReported, ctx: StageContext): Promise<StageOutput[]>;
  /** The transaction path without the StageOutput envelope. */
  compute(
    tx: TransactionIngested,
    ctx?: Partial<Pick<StageContext, "now" | "signal" | "partition">>,
  ): Promise<FraudComputation>;
  stats(): Readonly<FraudFeatureStats>;
}

export function createFraudFeatureStage(deps: FraudFeatureStageDeps): FraudFeatureStage {
  const options = resolveFraudStageOptions(deps.options);
  const store = deps.store;
  const gate = new LabelGate(store, options.labelGate);
  const stats: FraudFeatureStats = {
    transactions: 0,
    duplicateTransactions: 0,
    labels: 0,
    duplicateLabels: 0,
    gateWaits: 0,
    gateTimeouts: 0,
    incomplete: 0,
  };

  async function compute(
    tx: TransactionIngested,
    ctx?: Partial<Pick<StageContext, "now" | "signal" | "partition">>,
  ): Promise<FraudComputation> {
    checkTransaction(tx);
    const fact = {
      transactionId: tx.transactionId,
      customerId: tx.customerId,
      terminalId: tx.terminalId,
      occurredAt: tx.occurredAt,
      amount: tx.amount,
    };
    const partition = ctx?.partition;
    let snapshot = await store.recordTransaction(fact, FRAUD_WINDOW_QUERY, partition);
    const duplicate = snapshot.duplicate;
    const result = await gate.wait(tx.occurredAt, snapshot.labelWatermark, ctx?.now ?? Date.now, ctx?.signal);
    if (result.waitedMs > 0 || result.timedOut) stats.gateWaits++;
    if (result.timedOut) stats.gateTimeouts++;
    if (result.watermark !== snapshot.labelWatermark) {
      // Labels arrived while waiting: read again (idempotent: the transaction is already recorded).
      snapshot = { ...(await store.recordTransaction(fact, FRAUD_WINDOW_QUERY, partition)), duplicate };
    }
    stats.transactions++;
    if (duplicate) stats.duplicateTransactions++;
    if (!result.complete) stats.incomplete++;
    const vector = computeFraudFeatureVector(tx, snapshot);
    const value: TransactionFeatures = {
      eventId: tx.eventId,
      transactionId: tx.transactionId,
      customerId: tx.customerId,
      terminalId: tx.terminalId,
      amount: tx.amount,
      occurredAt: tx.occurredAt,
      featureSet: FEATURE_SET,
      features: toFeatureRecord(vector),
    };
    return { value, vector, snapshot, complete: result.complete };
  }

  async function onTransaction(tx: TransactionIngested, ctx: StageContext): Promise<StageOutput[]> {
    const { value } = await compute(tx, ctx);
    return [{ topic: TOPICS.transactionFeatures, value, key: tx.customerId, eventId: tx.eventId }];
  }

  async function onLabel(label: FraudLabelReported, ctx: StageContext): Promise<StageOutput[]> {
    checkLabel(label);
    const result = await store.recordLabel(
      {
        eventId: label.eventId,
        transactionId: label.transactionId,
        terminalId: label.terminalId,
        isFraud: label.isFraud,
        transactionOccurredAt: label.transactionOccurredAt,
        occurredAt: label.occurredAt,
      },
      ctx.partition,
    );
    stats.labels++;
    if (result.duplicate) stats.duplicateLabels++;
    return [];
  }

  return {
    name: options.name,
    concurrency: "sequential",
    inputs: [input(TOPICS.transactionIngested, onTransaction), input(TOPICS.fraudLabelReported, onLabel)],
    produces: [TOPICS.transactionFeatures],
    onTransaction,
    onLabel,
    compute,
    stats: () => ({ ...stats }),
  };
}

function checkTransaction(tx: TransactionIngested): void {
  if (!Number.isFinite(tx.occurredAt) || !Number.isFinite(tx.amount)) {
    throw new UnrecoverableError(
      "VERDICT_ERR_VALIDATION",
      `Transaction ${tx.transactionId}: occurredAt and amount must be finite numbers`,
      { context: { transactionId: tx.transactionId } },
    );
  }
}

function checkLabel(label: FraudLabelReported): void {
  if (!Number.isFinite(label.occurredAt) || !Number.isFinite(label.transactionOccurredAt)) {
    throw new UnrecoverableError(
      "VERDICT_ERR_VALIDATION",
      `Label ${label.eventId}: occurredAt and transactionOccurredAt must be finite numbers`,
      { context: { eventId: label.eventId } },
    );
  }
}
