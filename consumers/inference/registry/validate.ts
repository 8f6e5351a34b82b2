/**
 * Load-time checks that refuse a model before it scores anything: its declared inputs against what
 * the stage feeds (feature names, text), and model.json against the ONNX session's real inputs and
 * outputs (names, element types, ranks, static dims, a dynamic batch axis). Each failure names the
 * model, the input and both sides of the mismatch.
 */
import { UnrecoverableError } from "../../../lib/errors/index.ts";
import type { IoSpec, Session } from "../types.ts";
import type { ModelManifest } from "./manifest.ts";

/** What the stage can feed a model of one domain. */
export interface ProvidedInputs {
  /** Feature names present on every record (the features stage's list). */
  features: readonly string[];
  /** Whether records carry text (normalizedText). */
  text: boolean;
}

function invalid(m: ModelManifest, problems: string[]): UnrecoverableError {
  return new UnrecoverableError(
    "VERDICT_ERR_MODEL_INVALID",
    `Model ${m.name}@${m.version} refused:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    { context: { model: m.name, version: m.version, problems } },
  );
}

export function checkProvided(m: ModelManifest, provided: ProvidedInputs): void {
  const problems: string[] = [];
  const have = new Set(provided.features);
  const missing = m.features.filter((f) => !have.has(f));
  if (missing.length) {
    problems.push(
      `needs features the stage does not provide: ${missing.join(", ")} (stage provides ${provided.features.length}: ${provided.features.join(", ")})`,
    );
  }
  if (m.inputs.some((i) => i.source === "text") && !provided.text) {
    problems.push("has a text input but the stage feeds no text");
  }
  if (problems.length) throw invalid(m, problems);
}

const isDynamic = (d: number | string | null | undefined) => d === null || typeof d === "string" || d === -1;
const showShape = (s: readonly (number | string | null)[]) => `[${s.map((d) => d ?? "?").join(", ")}]`;

export function checkSession(m: ModelManifest, session: Session): void {
  const problems: string[] = [];
  const actual = new Map<string, IoSpec>(session.inputs.map((i) => [i.name, i]));
  for (const declared of m.inputs) {
    const real = actual.get(declared.name);
    if (!real) {
      problems.push(
        `input "${declared.name}" is declared in model.json but the ONNX graph has inputs: ${session.inputs.map((i) => i.name).join(", ")}`,
      );
      continue;
    }
    if (real.dtype !== declared.dtype) {
      problems.push(
        `input "${declared.name}": model.json says ${declared.dtype}, the ONNX graph says ${real.dtype}`,
      );
    }
    if (real.shape.length > 0) {
      if (real.shape.length !== declared.shape.length) {
        problems.push(
          `input "${declared.name}": model.json shape ${showShape(declared.shape)}, ONNX shape ${showShape(real.shape)}`,
        );
      } else {
        if (!isDynamic(real.shape[0])) {
          problems.push(
            `input "${declared.name}": the ONNX batch axis is fixed at ${real.shape[0]}; re-export with a dynamic first axis`,
          );
        }
        real.shape.slice(1).forEach((d, i) => {
          const want = declared.shape[i + 1];
          if (typeof d === "number" && d >= 0 && typeof want === "number" && want >= 0 && d !== want) {
            problems.push(
              `input "${declared.name}" axis ${i + 1}: model.json says ${want}, the ONNX graph says ${d} (shape ${showShape(real.shape)})`,
            );
          }
        });
      }
    }
  }
  const declaredNames = new Set(m.inputs.map((i) => i.name));
  for (const extra of session.inputs.filter((i) => !declaredNames.has(i.name))) {
    problems.push(
      `the ONNX graph has an input "${extra.name}" (${extra.dtype}) that model.json does not declare`,
    );
  }
  for (const declared of m.outputs ?? []) {
    const real = session.outputs.find((o) => o.name === declared.name);
    if (!real) problems.push(`output "${declared.name}" is declared in model.json but not in the ONNX graph`);
    else if (real.dtype !== declared.dtype) {
      problems.push(
        `output "${declared.name}": model.json says ${declared.dtype}, the ONNX graph says ${real.dtype}`,
      );
    }
  }
  const out = session.outputs.find((o) => o.name === m.output.name);
  if (!out) {
    problems.push(
      `output "${m.output.name}" not found; the ONNX graph has outputs: ${session.outputs.map((o) => o.name).join(", ")}`,
    );
  } else if (out.dtype !== "float32" && out.dtype !== "float64") {
    problems.push(
      `output "${m.output.name}" is ${out.dtype}; a probability output must be a float tensor (disable zipmap when exporting)`,
    );
  } else {
    const cols = out.shape.length === 2 ? out.shape[1] : 1;
    if (typeof cols === "number" && cols > 0 && m.output.index >= cols) {
      problems.push(
        `output "${m.output.name}" has ${cols} columns; model.json asks for column ${m.output.index}`,
      );
    }
  }
  if (problems.length) throw invalid(m, problems);
}
