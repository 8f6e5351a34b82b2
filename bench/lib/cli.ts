/** A tiny typed CLI for the benchmarks: node:util parseArgs plus a generated --help. */
import { parseArgs } from "node:util";

export interface OptionSpec {
  type: "string" | "boolean";
  default?: string | boolean;
  help: string;
}

export type Specs = Record<string, OptionSpec>;

type Parsed<S extends Specs> = {
  [K in keyof S]: S[K]["type"] extends "boolean" ? boolean : string;
};

export function usage(title: string, usageLine: string, specs: Specs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag = s.type === "boolean" ? `--${name}` : `--${name} <v>`;
    const def = s.default !== undefined && s.type !== "boolean" ? ` (default ${s.default})` : "";
    return `  ${flag.padEnd(30)} ${s.help}${def}`;
  });
  return `${title}\n\nUsage: ${usageLine}\n\nOptions:\n${rows.join("\n")}\n  ${"--help".padEnd(30)} this text\n`;
}

/** Parses argv; prints usage and exits on --help or an unknown option. */
export function cli<S extends Specs>(
  title: string,
  usageLine: string,
  specs: S,
  argv = process.argv.slice(2),
): Parsed<S> {
  const options: Record<string, { type: "string" | "boolean"; default?: string | boolean }> = {
    help: { type: "boolean", default: false },
  };
  for (const [name, s] of Object.entries(specs)) {
    options[name] = s.default === undefined ? { type: s.type } : { type: s.type, default: s.default };
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage(title, usageLine, specs)}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(usage(title, usageLine, specs));
    process.exit(0);
  }
  return values as Parsed<S>;
}

/** A positive number option, or exit 2 naming the option. */
export function num(values: Record<string, unknown>, name: string): number {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < 0) {
    process.stderr.write(`--${name} must be a non-negative number (got ${String(values[name])})\n`);
    process.exit(2);
  }
  return v;
}
