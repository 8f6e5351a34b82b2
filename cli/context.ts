/** What every CLI command gets: lazily built ports, a logger, and output helpers. */
import { type AppDeps, createDeps, ensureKafkaReachable } from "../app/deps.ts";
import { patchStatus } from "../infra/patches/kafkajs.mjs";
import { connectionsFromEnv } from "../lib/config/index.ts";
import { createLogger, type Logger } from "../lib/log/index.ts";

export interface CliContext {
  logger: Logger;
  /** The ports, for services (`stage`, `webhooks serve`): the clients retry while a broker starts. */
  deps(): AppDeps;
  /** The ports for a one-shot command: fails in a second or two, saying what to do, when no broker answers. */
  reachableDeps(): Promise<AppDeps>;
  print(line: string): void;
  close(): Promise<void>;
}

export function createCliContext(): CliContext {
  // Logs go to stderr: stdout carries what the command prints (reports, tables, `tail`'s JSON lines).
  const logger = createLogger({
    level: process.env.LOG_LEVEL ?? "warn",
    pretty: process.stderr.isTTY,
    destination: "stderr",
  });
  let deps: AppDeps | undefined;
  let checked: Promise<AppDeps> | undefined;
  const context: CliContext = {
    logger,
    deps() {
      deps ??= createDeps(connectionsFromEnv(), logger, "verdict-cli");
      return deps;
    },
    reachableDeps() {
      checked ??= (async () => {
        const d = context.deps();
        await ensureKafkaReachable(
          d.connections.kafka,
          "Is the stack up? (npm run stack:status; npm run stack:up starts it) Or set KAFKA_BROKERS.",
        );
        return d;
      })();
      return checked;
    },
    print: (line) => process.stdout.write(`${line}\n`),
    async close() {
      await deps?.close();
    },
  };
  return context;
}

export function printTable(ctx: CliContext, rows: Record<string, string>[]): void {
  if (rows.length === 0) {
    ctx.print("(none)");
    return;
  }
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  ctx.print(line(cols));
  for (const r of rows) ctx.print(line(cols.map((c) => r[c] ?? "")));
}

/**
 * The pipeline commands say so when npm's postinstall did not patch KafkaJS (`npm install
 * --ignore-scripts`): everything works, but the produce and fetch paths allocate ~40 % more
 * (infra/patches/kafkajs.mjs, BENCHMARKS.md fourth pass), and a consumer that joins while the
 * coordinator is still loading crashes and restarts (logged as errors) instead of retrying.
 */
export function warnIfKafkajsUnpatched(
  logger: Logger,
  status: () => { id: string; status: string }[] = patchStatus,
): void {
  const unpatched = status()
    .filter((s) => s.status === "unpatched")
    .map((s) => s.id);
  if (unpatched.length === 0) return;
  logger.warn(
    { modules: unpatched },
    "KafkaJS is not patched (npm install ran without its postinstall script?): slower, and consumers crash and restart while a broker is starting, same results. Fix: node infra/patches/kafkajs.mjs",
  );
}
