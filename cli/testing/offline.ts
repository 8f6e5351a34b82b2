import { silentLogger } from "../../lib/log/index.ts";
import type { CliContext } from "../context.ts";
import { buildProgram } from "../program.ts";

/**
 * The `verdict` program for tests of commands that must not touch Kafka, the registry or Redis:
 * any attempt fails the test with `what` in the message. `lines` collects what the commands print.
 */
export function offlineCli(what: string) {
  const lines: string[] = [];
  const refuse = () => new Error(`${what} must not connect anywhere`);
  const ctx: CliContext = {
    logger: silentLogger(),
    deps: () => {
      throw refuse();
    },
    reachableDeps: () => Promise.reject(refuse()),
    print: (line) => lines.push(line),
    close: async () => {},
  };
  const program = buildProgram(ctx).exitOverride();
  return { ctx, lines, program, run: (...args: string[]) => program.parseAsync(args, { from: "user" }) };
}
