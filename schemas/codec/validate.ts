/** Validation against an Avro type that names the offending field, its expected type and the value. */
import type avro from "avsc";
import { UnrecoverableError } from "../../lib/errors/index.ts";

export interface FieldProblem {
  path: string;
  expected: string;
  got: string;
}

function describeType(type: avro.Type): string {
  const name = type.typeName;
  if (name === "union:unwrapped" || name === "union:wrapped") {
    return (type as unknown as { types: avro.Type[] }).types.map(describeType).join(" | ");
  }
  return name;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "undefined (missing)";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function findProblems(type: avro.Type, value: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  type.isValid(value, {
    errorHook: (path, got, t) =>
      problems.push({ path: path.join(".") || "(root)", expected: describeType(t), got: describeValue(got) }),
  });
  // avsc accepts NaN/Infinity for double; our events never mean them.
  if (problems.length === 0) collectNonFinite(value, "", problems);
  return problems;
}

function collectNonFinite(value: unknown, path: string, out: FieldProblem[]): void {
  if (typeof value === "number" && !Number.isFinite(value)) {
    out.push({ path: path || "(root)", expected: "a finite number", got: String(value) });
  } else if (value && typeof value === "object" && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) collectNonFinite(v, path ? `${path}.${k}` : k, out);
  }
}

export function assertValid(type: avro.Type, value: unknown, what: string): void {
  const problems = findProblems(type, value);
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.path}: expected ${p.expected}, got ${p.got}`).join("; ");
  throw new UnrecoverableError(
    "VERDICT_ERR_SCHEMA_VALIDATION",
    `${what} does not match its schema: ${list}`,
    {
      context: { fields: problems.map((p) => p.path) },
    },
  );
}
