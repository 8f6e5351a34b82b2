/**
 * Offline feature replay: simulates transactions (and their labels) and runs them through the same
 * feature stage as the stream, in event-time order, writing the training table.
 *
 *   tsx consumers/features/replay/cli.ts                      # book scale → training/data/fraud-features.csv
 *   tsx consumers/features/replay/cli.ts --days 30 --customers 500 --terminals 1000 --out /tmp/f.csv
 *   tsx consumers/features/replay/cli.ts --posts 10000        # also training/data/moderation-features.csv
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import { nonNegativeInt } from "../../../lib/cli/index.ts";
import { VerdictError } from "../../../lib/errors/index.ts";
import { TRANSACTION_DEFAULTS } from "../../../producers/simulators/transactions/index.ts";
import { FRAUD_CSV_COLUMNS, fraudCsvLine, writeCsv } from "./csv.ts";
import { MODERATION_CSV_COLUMNS, moderationCsvLine, replayModerationFeatures } from "./moderation-replay.ts";
import { DEFAULT_FRAUD_OUTPUT, DEFAULT_MODERATION_OUTPUT } from "./options.ts";
import { type FraudFeatureRow, type ReplaySummary, replayFeatures } from "./replay.ts";

export function buildReplayCommand(): Command {
  const D = TRANSACTION_DEFAULTS;
  return new Command("replay-features")
    .description(
      "Replay simulated transactions through the online feature code; write the training table (CSV)",
    )
    .option("--days <n>", "simulated days", nonNegativeInt, D.days)
    .option("--customers <n>", "customers (cards)", nonNegativeInt, D.customers)
    .option("--terminals <n>", "terminals", nonNegativeInt, D.terminals)
    .option("--seed <n>", "simulator seed (uint32)", nonNegativeInt, D.seed)
    .option("--start-date <YYYY-MM-DD>", "first day, midnight UTC", D.startDate)
    .option("--out <file>", "fraud features CSV", DEFAULT_FRAUD_OUTPUT)
    .option("--posts <n>", "also simulate n posts and write the moderation features table", nonNegativeInt, 0)
    .option("--posts-out <file>", "moderation features CSV", DEFAULT_MODERATION_OUTPUT)
    .option("--quiet", "no progress on stderr");
}

export interface ReplayCliResult {
  rows: number;
  out: string;
  summary: ReplaySummary;
  totalMs: number;
  /** Moderation rows written (0 without --posts). */
  posts: number;
}

export async function runReplayCli(argv: readonly string[]): Promise<ReplayCliResult> {
  const command = buildReplayCommand();
  command.parse(argv as string[], { from: "user" });
  const o = command.opts();
  const started = performance.now();
  const iterator = replayFeatures({
    days: o.days,
    customers: o.customers,
    terminals: o.terminals,
    seed: o.seed,
    startDate: o.startDate,
  });
  let summary: ReplaySummary | undefined;
  let seen = 0;
  const rows: AsyncIterable<FraudFeatureRow> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          summary = next.value;
          return;
        }
        if (!o.quiet && ++seen % 250_000 === 0) {
          process.stderr.write(
            `replay: ${seen} rows, ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
          );
        }
        yield next.value;
      }
    },
  };
  const count = await writeCsv(o.out, FRAUD_CSV_COLUMNS, rows, fraudCsvLine);
  const totalMs = performance.now() - started;
  if (!summary) throw new Error("replay ended without a summary");
  if (!o.quiet) {
    const s = summary;
    process.stderr.write(
      `replay: wrote ${count} rows to ${o.out} in ${(totalMs / 1000).toFixed(1)} s ` +
        `(simulate ${(s.simulateMs / 1000).toFixed(1)} s, features ${(s.featuresMs / 1000).toFixed(1)} s; ` +
        `${s.frauds} frauds, ${s.labels} labels, ${s.rejected} rejected by ingest, ${s.stats.incomplete} incomplete)\n`,
    );
  }
  let posts = 0;
  if (o.posts > 0) {
    const postsStarted = performance.now();
    posts = await writeCsv(
      o.postsOut,
      MODERATION_CSV_COLUMNS,
      replayModerationFeatures({ count: o.posts, seed: o.seed, startDate: o.startDate }),
      moderationCsvLine,
    );
    if (!o.quiet) {
      const seconds = ((performance.now() - postsStarted) / 1000).toFixed(1);
      process.stderr.write(`replay: wrote ${posts} post rows to ${o.postsOut} in ${seconds} s\n`);
    }
  }
  return { rows: count, out: o.out, summary, totalMs, posts };
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  runReplayCli(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof VerdictError) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  });
}
