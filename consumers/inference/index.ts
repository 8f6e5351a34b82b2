export { type Batched, BatcherClosedError, type BatcherOptions, MicroBatcher } from "./batcher.ts";
export { type BreakerOptions, type BreakerState, CircuitBreaker } from "./breaker.ts";
export { checkRow, decodeScores, encodeBatch, encodePacked, type PackedRow, packRow } from "./encode.ts";
export {
  createInferenceStage,
  type DomainStatus,
  describeServing,
  type InferenceDeps,
  type InferenceStage,
  type ServingVersion,
  type SlotStatus,
  servingSlots,
  servingVersions,
  stageRuntime,
} from "./inference.ts";
export { checkModelVersion, loadVersion, type VersionCheck, type VersionLoadContext } from "./load.ts";
export { inCanary, keyHash, ModelSlot, type SlotScores } from "./model-slot.ts";
export { LoadedModel, type LoadOptions } from "./model-version.ts";
export { listOnnxProviders, type OnnxRuntimeOptions, onnxRuntime } from "./onnx/onnx-runtime.ts";
export {
  type BatchingSettings,
  type InferenceSettings,
  type InferenceSettingsInput,
  inferenceSettingsSchema,
  KNOWN_PROVIDERS,
  type ModelSlotSettings,
  parseInferenceSettings,
} from "./options.ts";
export { type ChainProbe, ProviderChain, type ProviderChainOptions } from "./provider-chain.ts";
export * from "./registry/index.ts";
export type {
  IoSpec,
  ModelRow,
  ModelRuntime,
  PreCheck,
  RowScore,
  RuleOutcome,
  Session,
  SessionRequest,
  TensorDtype,
  TensorValue,
} from "./types.ts";
