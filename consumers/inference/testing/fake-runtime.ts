/**
 * A fake ModelRuntime for unit tests only: sessions that report model.json's declared inputs, score
 * rows with a given function, and can be told to be unavailable, to fail runs, to be slow or to
 * disagree with the CPU. It records every session, run (provider, batch size) and release.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { IoSpec, ModelRuntime, Session, SessionRequest, TensorValue } from "../types.ts";

export interface FakeProvider {
  /** createSession throws this (e.g. "Failed to load shared library"). */
  unavailable?: string;
  /** The next N runs fail ("always" = every run). */
  failRuns?: number | "always";
  /** Added to every score: makes the self-check fail when above the tolerance. */
  skew?: number;
  /** Latency of one run, ms. */
  delayMs?: number;
}

export interface FakeRow {
  /** The dense input's values for this row (model feature order). */
  values: number[];
  text?: string;
}

export interface FakeRuntimeOptions {
  providers?: Record<string, FakeProvider>;
  /** Positive-class score of one row; `modelPath` tells versions apart. Default: a sigmoid of the mean. */
  score?: (row: FakeRow, modelPath: string) => number;
  /** Override the input metadata the sessions report (default: model.json's declared inputs). */
  inputs?: IoSpec[];
}

export interface FakeRun {
  provider: string;
  modelPath: string;
  batchSize: number;
  ok: boolean;
}

const defaultScore = (row: FakeRow) => {
  if (row.values.length === 0) return row.text?.includes("idiot") ? 0.9 : 0.1;
  const mean = row.values.reduce((a, b) => a + b, 0) / row.values.length;
  return 1 / (1 + Math.exp(-(mean - 50) / 25));
};

export class FakeRuntime implements ModelRuntime {
  readonly name = "fake";
  readonly runs: FakeRun[] = [];
  readonly created: { provider: string; modelPath: string }[] = [];
  readonly released: { provider: string; modelPath: string }[] = [];
  /** Runs started and not finished yet. */
  running = 0;
  readonly providers: Record<string, FakeProvider>;

  constructor(private readonly options: FakeRuntimeOptions = {}) {
    this.providers = { cpu: {}, ...(options.providers ?? {}) };
  }

  /** Batch sizes of successful runs. */
  batchSizes(provider?: string): number[] {
    return this.runs.filter((r) => r.ok && (!provider || r.provider === provider)).map((r) => r.batchSize);
  }

  async createSession(request: SessionRequest): Promise<Session> {
    const behaviour = this.providers[request.provider];
    if (!behaviour) throw new Error(`fake: no provider ${request.provider}`);
    if (behaviour.unavailable) throw new Error(behaviour.unavailable);
    const manifest = JSON.parse(readFileSync(join(dirname(request.modelPath), "model.json"), "utf8")) as {
      inputs: { name: string; dtype: string; shape: (number | null)[]; source?: string }[];
      output: { name: string; index?: number };
      outputs?: { name: string; dtype: string; shape: (number | null)[] }[];
    };
    const inputs: IoSpec[] =
      this.options.inputs ??
      manifest.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape.map((d) => d ?? "N") }));
    const outputs: IoSpec[] = manifest.outputs?.map((o) => ({
      name: o.name,
      dtype: o.dtype,
      shape: o.shape.map((d) => d ?? "N"),
    })) ?? [{ name: manifest.output.name, dtype: "float32", shape: ["N", 2] }];
    const score = this.options.score ?? defaultScore;
    const { modelPath, provider } = request;
    this.created.push({ provider, modelPath });
    const runs = this.runs;
    const released = this.released;
    const self = this;
    return {
      provider,
      inputs,
      outputs,
      async run(feeds: Record<string, TensorValue>): Promise<Record<string, TensorValue>> {
        const dense = manifest.inputs.find((i) => (i.source ?? "features") === "features");
        const text = manifest.inputs.find((i) => i.source === "text");
        const denseFeed = dense ? feeds[dense.name] : undefined;
        const textFeed = text ? feeds[text.name] : undefined;
        const n = (denseFeed ?? textFeed)?.dims[0] ?? 0;
        self.running++;
        if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
        self.running--;
        const fail = behaviour.failRuns === "always" || (behaviour.failRuns ?? 0) > 0;
        if (typeof behaviour.failRuns === "number" && behaviour.failRuns > 0) behaviour.failRuns--;
        runs.push({ provider, modelPath, batchSize: n, ok: !fail });
        if (fail) throw new Error(`fake ${provider}: device lost`);
        const width = denseFeed?.dims[1] ?? 0;
        const data = new Float32Array(n * 2);
        for (let r = 0; r < n; r++) {
          const values = denseFeed
            ? Array.from(denseFeed.data as Float32Array).slice(r * width, (r + 1) * width)
            : [];
          const t = textFeed ? (textFeed.data as string[])[r] : undefined;
          const s = Math.min(
            1,
            Math.max(0, score({ values, ...(t !== undefined ? { text: t } : {}) }, modelPath)),
          );
          data[r * 2 + 1] = s + (behaviour.skew ?? 0);
          data[r * 2] = 1 - s;
        }
        return { [manifest.output.name]: { dtype: "float32", dims: [n, 2], data } };
      },
      async release() {
        released.push({ provider, modelPath });
      },
    };
  }
}
