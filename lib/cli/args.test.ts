import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { deliveryOption, nonNegative, nonNegativeInt, percent, port, positiveInt } from "./args.ts";

function parse(args: string[]) {
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .option("--rate <n>", "", nonNegative, 300)
    .option("--seed <n>", "", nonNegativeInt, 42)
    .option("--concurrency <n>", "", positiveInt, 3)
    .option("--http-port <port>", "", port)
    .option("--percent <n>", "", percent)
    .addOption(deliveryOption());
  program.parse(args, { from: "user" });
  return program.opts();
}

describe("cli option parsers", () => {
  it("turns good values into numbers and keeps defaults", () => {
    expect(parse([])).toEqual({ rate: 300, seed: 42, concurrency: 3, delivery: "at-least-once" });
    expect(
      parse([
        "--rate",
        "2.5",
        "--seed",
        "0",
        "--http-port",
        "0",
        "--percent",
        "100",
        "--delivery",
        "exactly-once",
      ]),
    ).toMatchObject({ rate: 2.5, seed: 0, httpPort: 0, percent: 100, delivery: "exactly-once" });
  });

  it("refuses bad values before anything runs, naming the option and what it expects", () => {
    expect(() => parse(["--rate", "abc"])).toThrow(
      /'--rate <n>' argument 'abc' is invalid\. expected a number ≥ 0/,
    );
    expect(() => parse(["--rate", ""])).toThrow(/expected a number ≥ 0/);
    expect(() => parse(["--seed", "1.5"])).toThrow(/expected an integer ≥ 0/);
    expect(() => parse(["--concurrency", "0"])).toThrow(/expected an integer ≥ 1/);
    expect(() => parse(["--http-port", "70000"])).toThrow(/expected a port/);
    expect(() => parse(["--percent", "150"])).toThrow(/expected a number 0\.\.100/);
    expect(() => parse(["--delivery", "maybe"])).toThrow(/Allowed choices are at-least-once, exactly-once/);
  });
});
