export { headerList, toDeadLetter } from "./dead-letter.ts";
export { groupByTopic, messageSize, OutputEncoder, type TopicMessages } from "./encode.ts";
export { FusedStageError, type FuseOptions, fuse } from "./fuse.ts";
export { combine, emit, type Instrumentation, type RunnerEvent, wantsRecords } from "./instrumentation.ts";
export {
  type ErrorPolicy,
  errorPolicySchema,
  parseRunnerSettings,
  type RunnerSettings,
  type RunnerSettingsInput,
  runnerSettingsSchema,
} from "./options.ts";
export {
  type ProcessOptions,
  processChunk,
  type RecordResult,
  runWithPolicy,
  type WorkItem,
} from "./process.ts";
export { createStageRunner, type StageRunner, type StageRunnerDeps } from "./runner.ts";
export { atLeastOnceSink, type CommitPoint, exactlyOnceSink, type Sink } from "./sink.ts";
export {
  type Concurrency,
  input,
  isPromise,
  type Stage,
  type StageContext,
  type StageHandler,
  type StageInput,
  type StageOutput,
} from "./types.ts";
