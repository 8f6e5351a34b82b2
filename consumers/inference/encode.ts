/**
 * Rows ↔ tensors for one model: named features are laid out in the model's declared order into one
 * [N, F] tensor per features input, texts into a [N, 1] string tensor; the positive-class column is
 * read back from the declared output. Rows are checked one by one before they join a batch, so a bad
 * record is poison on its own and never fails the other rows of its batch.
 */
import { UnrecoverableError, VerdictError } from "../../lib/errors/index.ts";
import type { InputSpec, ModelManifest } from "./registry/manifest.ts";
import type { ModelRow, TensorValue } from "./types.ts";

const layouts = new WeakMap<ModelManifest, { dense: boolean; text: boolean }>();

/** Which kinds of input a model has, computed once per manifest (packRow runs per record). */
function layoutOf(m: ModelManifest): { dense: boolean; text: boolean } {
  let layout = layouts.get(m);
  if (!layout) {
    layout = {
      dense: m.inputs.some((i) => i.source === "features"),
      text: m.inputs.some((i) => i.source === "text"),
    };
    layouts.set(m, layout);
  }
  return layout;
}

/** A row checked and laid out for one model: its features in model order, its text. */
export interface PackedRow {
  /** A plain array: cheaper to allocate per record than a typed array (GC pressure on the hot path). */
  values: number[] | undefined;
  text: string | undefined;
}

/**
 * Checks a row against the model and lays its features out in model order, in one pass (it runs
 * for every record, before the batch). Throws a non-retriable validation error for a missing or
 * non-finite feature, or missing text.
 */
export function packRow(m: ModelManifest, row: ModelRow): PackedRow {
  const { dense, text: needsText } = layoutOf(m);
  let values: number[] | undefined;
  if (dense) {
    values = new Array<number>(m.features.length);
    for (let c = 0; c < m.features.length; c++) {
      const name = m.features[c]!;
      const v = row.features[name];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new UnrecoverableError(
          "VERDICT_ERR_VALIDATION",
          `feature ${name} is ${v === undefined ? "missing" : String(v)}; model ${m.name}@${m.version} needs a finite number`,
          { context: { model: m.name, feature: name } },
        );
      }
      values[c] = v;
    }
  }
  if (needsText && typeof row.text !== "string") {
    throw new UnrecoverableError("VERDICT_ERR_VALIDATION", `model ${m.name}@${m.version} needs text`);
  }
  return { values, text: needsText ? row.text : undefined };
}

/** Throws like packRow when the row cannot be fed to the model. */
export function checkRow(m: ModelManifest, row: ModelRow): void {
  packRow(m, row);
}

function denseTensor(m: ModelManifest, spec: InputSpec, rows: readonly PackedRow[]): TensorValue {
  const width = m.features.length;
  const n = rows.length;
  const dims = [n, width];
  switch (spec.dtype) {
    case "float32":
    case "float64": {
      const data = spec.dtype === "float32" ? new Float32Array(n * width) : new Float64Array(n * width);
      for (let r = 0; r < n; r++) {
        const v = rows[r]!.values!;
        for (let c = 0; c < width; c++) data[r * width + c] = v[c]!;
      }
      return { dtype: spec.dtype, dims, data };
    }
    case "int32": {
      const data = new Int32Array(n * width);
      for (let r = 0; r < n; r++) data.set(rows[r]!.values!.map(Math.round), r * width);
      return { dtype: "int32", dims, data };
    }
    case "int64": {
      const data = new BigInt64Array(n * width);
      rows.forEach((row, r) => {
        for (let c = 0; c < width; c++) data[r * width + c] = BigInt(Math.round(row.values![c]!));
      });
      return { dtype: "int64", dims, data };
    }
    default:
      throw new VerdictError(
        "VERDICT_ERR_MODEL_INVALID",
        `features input ${spec.name} cannot be ${spec.dtype}`,
      );
  }
}

/** The feeds of one batch of packed rows. */
export function encodePacked(m: ModelManifest, rows: readonly PackedRow[]): Record<string, TensorValue> {
  const feeds: Record<string, TensorValue> = {};
  for (const spec of m.inputs) {
    feeds[spec.name] =
      spec.source === "text"
        ? {
            dtype: "string",
            dims: spec.shape.length === 2 ? [rows.length, 1] : [rows.length],
            data: rows.map((r) => r.text ?? ""),
          }
        : denseTensor(m, spec, rows);
  }
  return feeds;
}

/** The feeds of one batch (rows are checked and packed first). */
export function encodeBatch(m: ModelManifest, rows: readonly ModelRow[]): Record<string, TensorValue> {
  return encodePacked(
    m,
    rows.map((r) => packRow(m, r)),
  );
}

/** The positive-class probability of each of `n` rows from the declared output. */
export function decodeScores(m: ModelManifest, outputs: Record<string, TensorValue>, n: number): number[] {
  const out = outputs[m.output.name];
  if (!out) {
    throw new VerdictError(
      "VERDICT_ERR_MODEL_RUNTIME",
      `model ${m.name}@${m.version} returned no ${m.output.name}`,
    );
  }
  const data = out.data;
  const cols = out.dims.length >= 2 ? (out.dims[1] ?? 1) : 1;
  if (typeof data[0] === "string" || typeof data[0] === "bigint" || data.length !== n * cols) {
    throw new VerdictError(
      "VERDICT_ERR_MODEL_RUNTIME",
      `model ${m.name}@${m.version}: output ${m.output.name} has dims [${out.dims}] for ${n} rows`,
    );
  }
  const scores = new Array<number>(n);
  for (let i = 0; i < n; i++) scores[i] = Number(data[i * cols + m.output.index]);
  return scores;
}

/** Rows of a parity sample as ModelRows; columns are matched by name when the sample names them. */
export function rowsFromParity(
  m: ModelManifest,
  sample: { rows?: number[][]; texts?: string[]; features?: string[] },
): ModelRow[] {
  const columns = sample.features ?? m.features;
  const n = sample.rows?.length ?? sample.texts?.length ?? 0;
  return Array.from({ length: n }, (_, i) => ({
    features: Object.fromEntries(columns.map((f, c) => [f, sample.rows?.[i]?.[c] ?? Number.NaN])),
    ...(sample.texts ? { text: sample.texts[i] ?? "" } : {}),
  }));
}

/** A probe batch for the provider self-check when the model ships no parity sample. */
export function syntheticRows(m: ModelManifest): ModelRow[] {
  const ref = (m.reference?.features ?? {}) as Record<string, { mean?: number; std?: number }>;
  return [0, 1, -1, 2].map((k) => ({
    features: Object.fromEntries(
      m.features.map((f) => {
        const mean = ref[f]?.mean ?? 0.5;
        const std = ref[f]?.std ?? 1;
        return [f, Math.max(0, mean + k * std)];
      }),
    ),
    text: ["", "hello there", "you are an idiot", "free money click here click here"][k + 1] ?? "",
  }));
}
