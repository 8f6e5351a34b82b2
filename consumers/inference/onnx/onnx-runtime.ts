/**
 * The real ModelRuntime: onnxruntime-node. One execution provider per session (the provider chain
 * owns the fallback order, so we always know which provider a session runs on; ONNX Runtime itself
 * would silently fall back). Providers on Linux: cpu and webgpu are bundled; cuda/tensorrt need the
 * opt-in CUDA install, and fail here with "Failed to load shared library".
 * API: https://onnxruntime.ai/docs/api/js/interfaces/InferenceSession.SessionOptions.html
 */
import * as ort from "onnxruntime-node";
import type { IoSpec, ModelRuntime, Session, SessionRequest, TensorDtype, TensorValue } from "../types.ts";
import { checkProviderPrerequisites } from "./prerequisites.ts";

export interface OnnxRuntimeOptions {
  /**
   * ONNX Runtime's process-wide log level, applied before its first session (it is read once).
   * Default "fatal": every failure ONNX Runtime reports also reaches us as an error, which the
   * provider chain logs as JSON with context; its own plain-text stderr lines (e.g. for the CUDA
   * library that is expectedly missing) would only be noise in the log pipeline.
   */
  envLogLevel?: "verbose" | "info" | "warning" | "error" | "fatal";
  /** ONNX Runtime's own log level: 0 verbose … 3 error, 4 fatal. Default 3. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Check what a provider needs from the host before ONNX Runtime is asked (prerequisites.ts: the
   * Vulkan loader for WebGPU on Linux). Default true.
   */
  providerPrecheck?: boolean;
  /** Graph optimizations. Default "all". */
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
}

function spec(m: ort.InferenceSession.ValueMetadata): IoSpec {
  return m.isTensor
    ? { name: m.name, dtype: m.type, shape: [...m.shape] }
    : { name: m.name, dtype: "non-tensor", shape: [] };
}

function toTensor(v: TensorValue): ort.Tensor {
  return new ort.Tensor(v.dtype, v.data as ort.Tensor.DataType | string[], [...v.dims]);
}

function fromTensor(t: ort.OnnxValue): TensorValue {
  const tensor = t as ort.Tensor;
  return {
    dtype: tensor.type as TensorDtype,
    dims: [...tensor.dims],
    data: tensor.data as TensorValue["data"],
  };
}

/** Which providers this onnxruntime-node build has (bundled or installable). */
export function listOnnxProviders(): { name: string; bundled: boolean }[] {
  // listSupportedBackends lives on the package's main module in 1.20+; absent in older builds.
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] })
    .listSupportedBackends;
  return list ? list() : [{ name: "cpu", bundled: true }];
}

export function onnxRuntime(options: OnnxRuntimeOptions = {}): ModelRuntime {
  ort.env.logLevel = options.envLogLevel ?? "fatal";
  return {
    name: `onnxruntime-node ${ort.env.versions?.common ?? ""}`.trim(),
    async createSession(request: SessionRequest): Promise<Session> {
      if (options.providerPrecheck !== false) checkProviderPrerequisites(request.provider);
      const session = await ort.InferenceSession.create(request.modelPath, {
        executionProviders: [request.provider],
        graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
        logSeverityLevel: options.logSeverityLevel ?? 3,
        ...(request.intraOpNumThreads ? { intraOpNumThreads: request.intraOpNumThreads } : {}),
      });
      return {
        provider: request.provider,
        inputs: session.inputMetadata.map(spec),
        outputs: session.outputMetadata.map(spec),
        async run(feeds, outputNames) {
          const ortFeeds: Record<string, ort.Tensor> = {};
          for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = toTensor(value);
          const result = await session.run(ortFeeds, [...outputNames]);
          const out: Record<string, TensorValue> = {};
          for (const [name, value] of Object.entries(result)) out[name] = fromTensor(value);
          return out;
        },
        release: () => session.release(),
      };
    },
  };
}
