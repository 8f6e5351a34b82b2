export {
  type Domain,
  featureReference,
  type InputSpec,
  type ModelManifest,
  manifestSchema,
  parseManifest,
  upperThreshold,
} from "./manifest.ts";
export {
  compareVersions,
  type ModelFiles,
  ModelRegistry,
  type ParitySample,
  type RegistryEvent,
  type RegistryOptions,
  type Rollout,
} from "./registry.ts";
export { checkProvided, checkSession, type ProvidedInputs } from "./validate.ts";
