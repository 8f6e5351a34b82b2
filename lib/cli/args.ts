/**
 * Option parsers for commander: a bad value stops the command before it connects anything, with
 * commander's "option '--rate <n>' argument 'abc' is invalid. expected …" and exit code 1.
 */
import { InvalidArgumentError, Option } from "commander";

function numberWithin(what: string, ok: (n: number) => boolean): (value: string) => number {
  return (value) => {
    const n = value.trim() === "" ? Number.NaN : Number(value);
    if (!ok(n)) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

/** A number ≥ 0 (rates, seconds). */
export const nonNegative = numberWithin("a number ≥ 0", (n) => Number.isFinite(n) && n >= 0);

/** An integer ≥ 0 (counts, seeds, milliseconds). */
export const nonNegativeInt = numberWithin("an integer ≥ 0", (n) => Number.isInteger(n) && n >= 0);

/** An integer ≥ 1. */
export const positiveInt = numberWithin("an integer ≥ 1", (n) => Number.isInteger(n) && n >= 1);

/** A TCP port, 0 = any free one. */
export const port = numberWithin("a port 0..65535", (n) => Number.isInteger(n) && n >= 0 && n <= 65_535);

/** A percentage, 0..100. */
export const percent = numberWithin("a number 0..100", (n) => Number.isFinite(n) && n >= 0 && n <= 100);

/** `--delivery <mode>`: the runner's two delivery modes. */
export function deliveryOption(description = "at-least-once | exactly-once"): Option {
  return new Option("--delivery <mode>", description)
    .choices(["at-least-once", "exactly-once"])
    .default("at-least-once");
}
