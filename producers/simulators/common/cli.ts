/** Bits shared by the simulator CLIs: flag parsers for commander and the entry-point guard. */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError } from "commander";
import { VerdictError } from "../../../lib/errors/index.ts";
import { parseIntegerFlag, parseNumberFlag } from "./output.ts";

function commanderParser(parse: (value: string) => number): (value: string) => number {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export const intFlag = commanderParser(parseIntegerFlag);
export const numberFlag = commanderParser(parseNumberFlag);

/** True when the module at `url` is the script node was started with (not an import). */
export function isEntryPoint(url: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

/** Runs a CLI main: config errors → exit 2 with the code, anything else → exit 1 with the stack. */
export function runMain(main: (argv: string[]) => Promise<void>): void {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof VerdictError) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  });
}
