/**
 * Option validation shared by the simulators: zod parses once at the edge, a failure becomes one
 * VERDICT_ERR_CONFIG error naming every bad path, and the result is frozen.
 */
import type { z } from "zod";
import { VerdictError } from "../../../lib/errors/index.ts";

export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): Readonly<z.output<S>> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  - ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid ${what} options:\n${lines.join("\n")}`, {
      context: { issues: parsed.error.issues.map((i) => i.path.join(".")) },
    });
  }
  return Object.freeze(parsed.data) as Readonly<z.output<S>>;
}

/** Epoch ms of a `YYYY-MM-DD` date at midnight UTC, or NaN when it is not a real calendar date. */
export function utcMidnight(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return Number.NaN;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2018-02-30 over to March: reject instead of silently shifting.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return Number.NaN;
  }
  return ms;
}
