/**
 * Event views of a simulation: TransactionCreated per transaction, FraudLabelReported per transaction
 * at occurredAt + labelDelayDays, merged into one stream in event-time order.
 *
 * Order of the merged stream (stable, documented because the feature stage depends on it):
 * - by event time (occurredAt of the event itself: the transaction's time, or the label's time);
 * - on equal times, labels before transactions: the handbook's terminal windows are
 *   (t − 7 − n days, t − 7 days], closed at t − 7 days, so a label that becomes known exactly at t must
 *   be visible to a transaction at t. A label never precedes its own transaction (delay 0 included);
 * - among labels, and among transactions, by transaction number (the simulator's own stable order).
 * Labels of the last labelDelayDays of transactions fall after the last transaction and close the
 * stream; every transaction gets exactly one label.
 */
import type { FraudLabelReported, TransactionCreated } from "../../../schemas/generated/types.ts";
import {
  customerIdOf,
  eventIdSeed,
  labelEventIdOf,
  terminalIdOf,
  transactionEventIdOf,
  transactionIdOf,
} from "./ids.ts";
import type { TransactionSimulatorInput } from "./options.ts";
import { simulate } from "./simulator.ts";
import type {
  EventStreamOptions,
  FraudScenario,
  FraudTruth,
  SimulatedEvent,
  SimulationResult,
  TransactionRow,
} from "./types.ts";
import { MS_PER_DAY } from "./units.ts";

export function transactionEvent(result: SimulationResult, i: number): TransactionCreated {
  const tx = result.transactions;
  return {
    eventId: transactionEventIdOf(eventIdSeed(result.options), i),
    transactionId: transactionIdOf(i),
    customerId: customerIdOf(tx.customer[i] as number),
    terminalId: terminalIdOf(tx.terminal[i] as number),
    amount: tx.amount[i] as number,
    currency: result.options.currency,
    occurredAt: tx.occurredAt[i] as number,
  };
}

export function fraudTruth(result: SimulationResult, i: number): FraudTruth {
  return {
    isFraud: result.transactions.isFraud[i] === 1,
    scenario: result.transactions.scenario[i] as FraudScenario,
  };
}

/** Fraud → CHARGEBACK, genuine → OUTCOME_KNOWN, at the transaction's time + labelDelayDays. */
export function labelEvent(result: SimulationResult, i: number): FraudLabelReported {
  const tx = result.transactions;
  const isFraud = tx.isFraud[i] === 1;
  const transactionOccurredAt = tx.occurredAt[i] as number;
  return {
    eventId: labelEventIdOf(eventIdSeed(result.options), i),
    transactionId: transactionIdOf(i),
    customerId: customerIdOf(tx.customer[i] as number),
    terminalId: terminalIdOf(tx.terminal[i] as number),
    isFraud,
    source: isFraud ? "CHARGEBACK" : "OUTCOME_KNOWN",
    transactionOccurredAt,
    occurredAt: transactionOccurredAt + result.options.labelDelayDays * MS_PER_DAY,
  };
}

/** A flat row with the ground truth, for training tables and CSV. */
export function transactionRow(result: SimulationResult, i: number): TransactionRow {
  const tx = result.transactions;
  return {
    transactionId: transactionIdOf(i),
    occurredAt: tx.occurredAt[i] as number,
    customerId: customerIdOf(tx.customer[i] as number),
    terminalId: terminalIdOf(tx.terminal[i] as number),
    amount: tx.amount[i] as number,
    isFraud: tx.isFraud[i] === 1,
    fraudScenario: tx.scenario[i] as FraudScenario,
  };
}

/** The merged stream, synchronously (see the module comment for the order). */
export function* transactionEvents(
  result: SimulationResult,
  options: Pick<EventStreamOptions, "withLabels"> = {},
): Generator<SimulatedEvent> {
  const withLabels = options.withLabels ?? true;
  const { count, occurredAt } = result.transactions;
  const delayMs = result.options.labelDelayDays * MS_PER_DAY;
  let next = 0; // next transaction
  let label = 0; // next label
  while (next < count) {
    if (
      withLabels &&
      label < next &&
      (occurredAt[label] as number) + delayMs <= (occurredAt[next] as number)
    ) {
      yield { kind: "label", event: labelEvent(result, label) };
      label++;
    } else {
      yield { kind: "transaction", event: transactionEvent(result, next), truth: fraudTruth(result, next) };
      next++;
    }
  }
  while (withLabels && label < count) {
    yield { kind: "label", event: labelEvent(result, label) };
    label++;
  }
}

/**
 * The call for publishers: simulates (unless given a result) and yields the merged stream as an async
 * iterable, handing the event loop back every `yieldEvery` events so a slow consumer's I/O and timers
 * keep running. Stops quietly when `signal` aborts.
 */
export async function* streamTransactionEvents(
  source: TransactionSimulatorInput | SimulationResult = {},
  options: EventStreamOptions = {},
): AsyncGenerator<SimulatedEvent> {
  const result = isResult(source) ? source : simulate(source);
  const yieldEvery = Math.max(1, options.yieldEvery ?? 5000);
  let sinceYield = 0;
  for (const event of transactionEvents(result, options)) {
    if (options.signal?.aborted) return;
    yield event;
    if (++sinceYield >= yieldEvery) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

function isResult(source: TransactionSimulatorInput | SimulationResult): source is SimulationResult {
  return typeof source === "object" && source !== null && "transactions" in source;
}
