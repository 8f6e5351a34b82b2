/**
 * The model runtime port. Everything the inference stage needs from ONNX Runtime goes through these
 * two small interfaces, so unit tests can swap in a fake (a second implementation, see
 * testing/fake-runtime.ts) and the real one (onnx/onnx-runtime.ts) stays the only place that
 * imports onnxruntime-node.
 */
import type { PostFeatures, TransactionFeatures } from "../../schemas/generated/types.ts";

/** Tensor element types Verdict feeds or reads (ONNX Runtime's JS names). */
export type TensorDtype = "float32" | "float64" | "int32" | "int64" | "string" | "bool";

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];

/** A tensor as plain data: no runtime object crosses the port. */
export interface TensorValue {
  dtype: TensorDtype;
  dims: readonly number[];
  data: TensorData;
}

/** One input or output as the loaded session reports it. A string or null dimension is symbolic (dynamic). */
export interface IoSpec {
  name: string;
  /** Element type; "non-tensor" for sequences/maps (which Verdict cannot feed or read). */
  dtype: TensorDtype | "non-tensor" | (string & {});
  shape: readonly (number | string | null)[];
}

/** One model loaded on one execution provider. */
export interface Session {
  /** The execution provider the session was created for (cpu, cuda, webgpu...). */
  readonly provider: string;
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  /** Runs one batch. Rejects on runtime failure (the provider chain decides what happens next). */
  run(
    feeds: Record<string, TensorValue>,
    outputNames: readonly string[],
  ): Promise<Record<string, TensorValue>>;
  /** Frees native resources. Called once, after the last run finished. */
  release(): Promise<void>;
}

export interface SessionRequest {
  /** Absolute path of model.onnx. */
  modelPath: string;
  /** One execution provider per session: the chain, not ONNX Runtime, decides the fallback order. */
  provider: string;
  /** Threads per operator (ONNX Runtime intraOpNumThreads). Default: the runtime's. */
  intraOpNumThreads?: number;
}

/** Creates sessions. Throws (any error) when the provider cannot be loaded here. */
export interface ModelRuntime {
  readonly name: string;
  createSession(request: SessionRequest): Promise<Session>;
}

/** One row to score: the record's named features, and its text for text models. */
export interface ModelRow {
  features: Readonly<Record<string, number>>;
  text?: string;
}

/** What the stage gets back for one row. */
export interface RowScore {
  /** Probability of the positive class. */
  score: number;
  model: { name: string; version: string; provider: string };
  /** Time the row waited in the batch queue, ms. */
  queueMs: number;
  /** Duration of the session.run that scored it (including fallback re-runs), ms. */
  runMs: number;
  /** Rows in that session.run. */
  batchSize: number;
}

/**
 * The cascade's rules pre-check, run before a record joins a batch. When `decided`, the record skips
 * inference: its Scored carries the rule hits and `model.provider = "rules"`. Implemented by the
 * scoring policy (consumers/scoring, `createRuleGate`), injected here so inference does not depend on
 * the policy's code, only on this shape.
 */
export interface RuleOutcome {
  /** True when a rule decided alone; the model is not run. */
  decided: boolean;
  /** Rule hits, in the scoring policy's `<rule>:<OUTCOME>[:detail]` form; also kept when undecided. */
  hits: string[];
  /** The score a decided record carries (1 for decline/block, 0 for approve/allow). */
  score?: number;
  /** Name and version of the rule set, for Scored.model when decided. */
  ruleSet: { name: string; version: string };
}

export interface PreCheck {
  fraud?(input: TransactionFeatures): RuleOutcome;
  moderation?(input: PostFeatures): RuleOutcome;
}
