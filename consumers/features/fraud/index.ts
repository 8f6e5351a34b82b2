export {
  computeFraudFeatures,
  computeFraudFeatureVector,
  type FraudFeatureInput,
  type FraudState,
  toFeatureRecord,
  utcHour,
  utcWeekday,
} from "./compute.ts";
export {
  CUSTOMER_WINDOW_DAYS,
  FEATURE_SET,
  FRAUD_FEATURE_NAMES,
  FRAUD_WINDOW_QUERY,
  type FraudFeatureName,
  type FraudFeatures,
  MS_PER_DAY,
  NIGHT_LAST_HOUR,
  TERMINAL_DELAY_DAYS,
  TERMINAL_WINDOW_DAYS,
} from "./definitions.ts";
export {
  createFraudFeatureStage,
  type FraudComputation,
  type FraudFeatureStage,
  type FraudFeatureStageDeps,
  type FraudFeatureStats,
} from "./fraud-stage.ts";
export { type GateResult, LabelGate } from "./label-gate.ts";
export {
  type FraudStageOptions,
  type FraudStageOptionsInput,
  fraudStageOptionsSchema,
  type LabelGateOptions,
  resolveFraudStageOptions,
} from "./options.ts";
