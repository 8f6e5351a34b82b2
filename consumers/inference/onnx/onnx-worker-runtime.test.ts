import { afterEach, describe, expect, it } from "vitest";
import { stageRuntime } from "../inference.ts";
import { parseInferenceSettings } from "../options.ts";
import type { TensorValue } from "../types.ts";
import { onnxRuntime } from "./onnx-runtime.ts";
import { type ClosableModelRuntime, onnxWorkerRuntime } from "./onnx-worker-runtime.ts";

const MLP = "models/fraud-mlp/1.0.0/model.onnx";
const TEXT = "models/moderation-text/1.0.0/model.onnx";

const runtimes: ClosableModelRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
});
function workerRuntime(workers = 1): ClosableModelRuntime {
  const r = onnxWorkerRuntime({ workers });
  runtimes.push(r);
  return r;
}

function rows(n: number, seed: number): Float32Array {
  const data = new Float32Array(n * 15);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919 + seed * 104729) % 1000) / 100;
  return data;
}
const features = (n: number, seed = 1) => ({
  features: { dtype: "float32" as const, dims: [n, 15], data: rows(n, seed) },
});

describe("ONNX Runtime in a worker thread", () => {
  it("scores exactly what the in-process runtime scores (numeric and string inputs)", async () => {
    const inProcess = onnxRuntime();
    const worker = workerRuntime();
    const cases: [string, Record<string, TensorValue>][] = [
      [MLP, features(37)],
      [TEXT, { text: { dtype: "string", dims: [3, 1], data: ["hello there", "you absolute idiot", ""] } }],
    ];
    for (const [path, feeds] of cases) {
      const a = await inProcess.createSession({ modelPath: path, provider: "cpu", intraOpNumThreads: 1 });
      const b = await worker.createSession({ modelPath: path, provider: "cpu", intraOpNumThreads: 1 });
      expect(b.inputs).toEqual(a.inputs);
      expect(b.outputs).toEqual(a.outputs);
      const names = a.outputs.map((o) => o.name);
      const ra = await a.run(feeds, names);
      const rb = await b.run(feeds, names);
      for (const name of names) {
        expect(rb[name]!.dims).toEqual(ra[name]!.dims);
        expect(Array.from(rb[name]!.data as ArrayLike<unknown>)).toEqual(
          Array.from(ra[name]!.data as ArrayLike<unknown>),
        );
      }
      await a.release();
      await b.release();
    }
  });

  it("keeps each concurrent run's result with its caller, and the caller's feeds intact", async () => {
    const worker = workerRuntime(2);
    const session = await worker.createSession({ modelPath: MLP, provider: "cpu", intraOpNumThreads: 1 });
    const batches = Array.from({ length: 12 }, (_, i) => features(1 + i, i));
    const results = await Promise.all(batches.map((f) => session.run(f, ["probabilities"])));
    for (const [i, r] of results.entries()) expect(r.probabilities!.dims).toEqual([1 + i, 2]);
    // a second, sequential pass gives the same numbers (no crossed replies), and feeds were not detached
    for (let i = 0; i < batches.length; i++) {
      expect(batches[i]!.features.data.length).toBe((1 + i) * 15);
      const again = await session.run(batches[i]!, ["probabilities"]);
      expect(Array.from(again.probabilities!.data as Float32Array)).toEqual(
        Array.from(results[i]!.probabilities!.data as Float32Array),
      );
    }
  });

  it("re-creates its sessions on a fresh thread after the worker is gone", async () => {
    const worker = workerRuntime();
    const session = await worker.createSession({ modelPath: MLP, provider: "cpu", intraOpNumThreads: 1 });
    const before = await session.run(features(4), ["probabilities"]);
    await worker.close(); // the thread ends, as after a native crash
    const after = await session.run(features(4), ["probabilities"]);
    expect(Array.from(after.probabilities!.data as Float32Array)).toEqual(
      Array.from(before.probabilities!.data as Float32Array),
    );
  });

  it("reports a model that cannot load with ONNX Runtime's reason", async () => {
    const worker = workerRuntime();
    await expect(
      worker.createSession({ modelPath: "models/no-such-model/model.onnx", provider: "cpu" }),
    ).rejects.toThrow(/no-such-model|Load model|No such file/i);
  });

  it("refuses a worker count that is not a positive integer", () => {
    expect(() => onnxWorkerRuntime({ workers: 0 })).toThrow(/workers must be an integer >= 1/);
  });
});

describe("the runtime a stage's settings name", () => {
  it("is worker threads, or the calling thread with workers 0 (as the stage and `verdict models check` run)", async () => {
    const threads = stageRuntime(parseInferenceSettings({ workers: 2 }, {}));
    expect(threads.name).toBe("onnxruntime-node (2 worker threads)");
    await threads.close();
    const inline = stageRuntime(parseInferenceSettings({ workers: 0 }, {}));
    expect(inline.name).toMatch(/^onnxruntime-node \d/);
    await inline.close();
  });
});
