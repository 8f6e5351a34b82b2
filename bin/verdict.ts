#!/usr/bin/env -S npx tsx
import { createCliContext } from "../cli/context.ts";
import { buildProgram } from "../cli/program.ts";
import { endQuietlyWhenPipeCloses } from "../cli/signals.ts";
import { VerdictError } from "../lib/errors/index.ts";

const ctx = createCliContext();
endQuietlyWhenPipeCloses(process.stdout, () => ctx.close());
try {
  await buildProgram(ctx).parseAsync(process.argv);
  await ctx.close();
} catch (err) {
  await ctx.close().catch(() => {});
  if (err instanceof VerdictError) {
    process.stderr.write(`verdict: ${err.message}\n  (${err.code})\n`);
  } else {
    process.stderr.write(`verdict: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
}
