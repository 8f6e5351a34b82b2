/**
 * Environment values that more than one part of Verdict reads the same way. One parser per kind,
 * so every VERDICT_* / KAFKA_* / REDIS_* flag accepts the same spellings and refuses the rest.
 */
import { VerdictError } from "../errors/index.ts";

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

/**
 * A boolean flag: 1/true/yes/on or 0/false/no/off (any case, surrounding spaces ignored); unset or
 * empty is `undefined` (the caller's default). Anything else is refused, so a typo such as
 * `VERDICT_DRIFT_ENABLED=ture` fails at start-up instead of quietly meaning false.
 */
export function envBool(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === "") return undefined;
  if (TRUE.test(value)) return true;
  if (FALSE.test(value)) return false;
  throw new VerdictError(
    "VERDICT_ERR_CONFIG",
    `${name}=${value} is not a boolean: use true or false (1/0, yes/no and on/off work too)`,
  );
}

/**
 * A whole number within [min, max]; unset or empty is `undefined` (the caller's default). Anything
 * else — `abc`, `2.5`, out of range — is refused with the variable's name and the range.
 */
export function envInt(
  env: Record<string, string | undefined>,
  name: string,
  range: { min: number; max: number; what?: string },
): number | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value) || n < range.min || n > range.max) {
    throw new VerdictError(
      "VERDICT_ERR_CONFIG",
      `${name}=${value} is not ${range.what ?? "a whole number"} (${range.min}-${range.max})`,
    );
  }
  return n;
}
