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
import { input, isPromise, type Stage, type StageContext, type StageOutput } from "../../runtime/types.ts";
import type { FeatureStore, LabelResult, TransactionFact, TransactionSnapshot } from "../store/index.ts";
import { computeFraudFeatureVector, toFeatureRecord } from "./compute.ts";
import { FEATURE_SET, FRAUD_WINDOW_QUERY } from "./definitions.ts";
import { type GateResult, LabelGate } from "./label-gate.ts";
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
  /** Synchronous with an in-process store unless the label gate must wait; a promise otherwise. */
  onTransaction(tx: TransactionIngested, ctx: StageContext): StageOutput[] | Promise<StageOutput[]>;
  onLabel(label: FraudLabelReported, ctx: StageContext): StageOutput[] | Promise<StageOutput[]>;
  /** The transaction path without the StageOutput envelope (synchronous as onTransaction). */
  compute(
    tx: TransactionIngested,
    ctx?: Partial<Pick<StageContext, "now" | "signal" | "partition">>,
  ): FraudComputation | Promise<FraudComputation>;
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

  type Ctx = Partial<Pick<StageContext, "now" | "signal" | "partition">>;

  /**
   * Records the transaction and computes its features. Synchronous with an in-process store when the
   * label gate is open (the fused default), so the chain makes no promise here; a promise otherwise.
   */
  function compute(tx: TransactionIngested, ctx?: Ctx): FraudComputation | Promise<FraudComputation> {
    checkTransaction(tx);
    const fact = {
      transactionId: tx.transactionId,
      customerId: tx.customerId,
      terminalId: tx.terminalId,
      occurredAt: tx.occurredAt,
      amount: tx.amount,
    };
    const partition = ctx?.partition;
    if (store.recordTransactionSync) {
      return gated(tx, fact, store.recordTransactionSync(fact, FRAUD_WINDOW_QUERY, partition), ctx);
    }
    return store.recordTransaction(fact, FRAUD_WINDOW_QUERY, partition).then((s) => gated(tx, fact, s, ctx));
  }

  function gated(
    tx: TransactionIngested,
    fact: TransactionFact,
    snapshot: TransactionSnapshot,
    ctx?: Ctx,
  ): FraudComputation | Promise<FraudComputation> {
    const open = gate.immediate(tx.occurredAt, snapshot.labelWatermark);
    return open ? finish(tx, snapshot, open) : waitForLabels(tx, fact, snapshot, ctx);
  }

  async function waitForLabels(
    tx: TransactionIngested,
    fact: TransactionFact,
    first: TransactionSnapshot,
    ctx?: Ctx,
  ): Promise<FraudComputation> {
    const partition = ctx?.partition;
    let snapshot = first;
    const result = await gate.wait(tx.occurredAt, snapshot.labelWatermark, ctx?.now ?? Date.now, ctx?.signal);
    if (result.waitedMs > 0 || result.timedOut) stats.gateWaits++;
    if (result.timedOut) stats.gateTimeouts++;
    if (result.watermark !== snapshot.labelWatermark) {
      // Labels arrived while waiting: read again (idempotent: the transaction is already recorded).
      const again = await store.recordTransaction(fact, FRAUD_WINDOW_QUERY, partition);
      snapshot = { ...again, duplicate: first.duplicate };
    }
    return finish(tx, snapshot, result);
  }

  function finish(
    tx: TransactionIngested,
    snapshot: TransactionSnapshot,
    result: GateResult,
  ): FraudComputation {
    stats.transactions++;
    if (snapshot.duplicate) stats.duplicateTransactions++;
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

  function onTransaction(tx: TransactionIngested, ctx: StageContext): StageOutput[] | Promise<StageOutput[]> {
    const c = compute(tx, ctx);
    return isPromise(c) ? c.then(featuresOutput) : featuresOutput(c);
  }

  function onLabel(label: FraudLabelReported, ctx: StageContext): StageOutput[] | Promise<StageOutput[]> {
    checkLabel(label);
    const fact = {
      eventId: label.eventId,
      transactionId: label.transactionId,
      terminalId: label.terminalId,
      isFraud: label.isFraud,
      transactionOccurredAt: label.transactionOccurredAt,
      occurredAt: label.occurredAt,
    };
    if (store.recordLabelSync) return countLabel(store.recordLabelSync(fact, ctx.partition));
    return store.recordLabel(fact, ctx.partition).then(countLabel);
  }

  function countLabel(result: LabelResult): StageOutput[] {
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

function featuresOutput({ value }: FraudComputation): StageOutput[] {
  return [{ topic: TOPICS.transactionFeatures, value, key: value.customerId, eventId: value.eventId }];
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
