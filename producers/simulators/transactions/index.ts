/**
 * The card-transaction simulator (handbook ch. 3): public surface. See ../README.md.
 *
 * Publishers: `streamTransactionEvents(options, { withLabels: true })` → AsyncGenerator of
 * `{ kind: "transaction", event, truth } | { kind: "label", event }` in event-time order.
 * Feature / training code: `simulate(options)` → columnar SimulationResult; `transactionRow(result, i)`.
 */
export {
  fraudTruth,
  labelEvent,
  streamTransactionEvents,
  transactionEvent,
  transactionEvents,
  transactionRow,
} from "./events.ts";
export { FRAUD_RULES } from "./frauds.ts";
export {
  customerIdOf,
  eventIdSeed,
  labelEventIdOf,
  STREAM,
  terminalIdOf,
  transactionEventIdOf,
  transactionIdOf,
} from "./ids.ts";
export {
  resolveTransactionOptions,
  TRANSACTION_DEFAULTS,
  type TransactionSimulatorInput,
  transactionOptionsSchema,
} from "./options.ts";
export { createRandom, deterministicUuid, Random } from "./random.ts";
export { simulate } from "./simulator.ts";
export { HANDBOOK_REFERENCE, type PerDay, summarizeTransactions, type TransactionStats } from "./stats.ts";
export type {
  CustomerProfiles,
  EventStreamOptions,
  FraudScenario,
  FraudTruth,
  LabelSimEvent,
  SimulatedEvent,
  SimulationResult,
  TerminalProfiles,
  TransactionColumns,
  TransactionRow,
  TransactionSimEvent,
  TransactionSimulatorOptions,
} from "./types.ts";
export { MS_PER_DAY, SECONDS_PER_DAY } from "./units.ts";
