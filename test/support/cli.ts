/** Runs a `verdict` command in-process (same code as bin/verdict.ts) and returns what it printed. */
import { createCliContext } from "../../cli/context.ts";
import { buildProgram } from "../../cli/program.ts";

export async function runCli(...args: string[]): Promise<string> {
  const ctx = createCliContext();
  const lines: string[] = [];
  ctx.print = (line) => lines.push(line);
  try {
    await buildProgram(ctx)
      .exitOverride()
      .parseAsync(["node", "verdict", ...args]);
  } finally {
    await ctx.close();
  }
  return lines.join("\n");
}
