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
