import type { Command } from "commander";
import { nonNegative, nonNegativeInt, positiveInt } from "../../lib/cli/index.ts";
import { interleave, postSource, publishStream, transactionSource } from "../../producers/publish/index.ts";
import { createProducer } from "../../producers/sdk/index.ts";
import type { CliContext } from "../context.ts";

const DAY = 86_400_000;

export function simulateCommand(program: Command, ctx: CliContext): void {
  program
    .command("simulate")
    .description("Publish simulated card transactions (+ late fraud labels) and/or user posts to Kafka")
    .option("--transactions", "publish card transactions (handbook simulator)", false)
    .option("--posts", "publish user posts", false)
    .option("--days <n>", "simulated days of transactions", positiveInt, 7)
    .option("--customers <n>", "simulated customers", positiveInt, 500)
    .option("--terminals <n>", "simulated terminals", positiveInt, 1000)
    .option("--post-count <n>", "number of posts", nonNegativeInt, 1000)
    .option("--seed <n>", "random seed (same seed, same events)", nonNegativeInt, 42)
    .option("--no-labels", "do not publish the late fraud-label events")
    .option("--rate <n>", "events per second, 0 = as fast as possible", nonNegative, 0)
    .option("--limit <n>", "stop after this many events", positiveInt)
    .option("--live", "shift event times so the simulation ends now (ingestion refuses future times)")
    .action(async (opts) => {
      const transactions = opts.transactions || !opts.posts;
      const posts = opts.posts || !opts.transactions;
      const days: number = opts.days;
      // Whole weeks, so weekday and time-of-day features stay as simulated.
      const WEEK = 7 * DAY;
      const offsetMs = opts.live
        ? Math.floor((Date.now() - (Date.UTC(2018, 3, 1) + days * DAY)) / WEEK) * WEEK
        : 0;
      const sources = [];
      if (transactions) {
        sources.push(
          transactionSource(
            {
              days,
              customers: opts.customers,
              terminals: opts.terminals,
              seed: opts.seed,
            },
            { withLabels: opts.labels, offsetMs },
          ),
        );
      }
      if (posts) {
        const count: number = opts.postCount;
        // Posts are ~1 s apart from the simulator's start date; leave headroom for random gaps.
        const postOffset = opts.live ? Date.now() - (Date.UTC(2018, 3, 1) + count * 1000 * 1.5) : 0;
        sources.push(postSource({ count, seed: opts.seed }, { offsetMs: postOffset }));
      }
      const producer = await createProducer({
        connections: (await ctx.reachableDeps()).connections,
        clientId: "verdict-simulator",
      });
      const started = Date.now();
      try {
        const n = await publishStream(producer, interleave(...sources), {
          rate: opts.rate,
          limit: opts.limit,
          onProgress: (count) => {
            if (process.stderr.isTTY) process.stderr.write(`\rpublished ${count}`);
          },
        });
        const secs = (Date.now() - started) / 1000;
        ctx.print(`\npublished ${n} events in ${secs.toFixed(1)} s (${Math.round(n / secs)}/s)`);
      } finally {
        await producer.close();
      }
    });
}
