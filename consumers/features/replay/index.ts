export { buildReplayCommand, type ReplayCliResult, runReplayCli } from "./cli.ts";
export { csvField, FRAUD_CSV_COLUMNS, fraudCsvLine, writeCsv } from "./csv.ts";
export {
  MODERATION_CSV_COLUMNS,
  type ModerationFeatureRow,
  moderationCsvLine,
  replayModerationFeatures,
} from "./moderation-replay.ts";
export {
  DEFAULT_FRAUD_OUTPUT,
  DEFAULT_MODERATION_OUTPUT,
  type ReplayOptions,
  type ReplayOptionsInput,
  replayOptionsSchema,
  resolveReplayOptions,
} from "./options.ts";
export {
  type PartitionedRunOptions,
  type PartitionedRunResult,
  partitionOf,
  runPartitioned,
} from "./partitioned.ts";
export {
  collectReplay,
  type FraudFeatureRow,
  ingestTransaction,
  type ReplaySource,
  type ReplaySummary,
  replayContext,
  replayFeatures,
} from "./replay.ts";
