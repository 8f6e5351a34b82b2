/**
 * Stage throughput (issue 3): records/s of the ingest stage alone, and of ingest+features fused (one
 * group, in-memory store) and split (two groups, Redis dedupe and Redis feature store), each as a
 * ratio of a raw KafkaJS consume→produce passthrough over the same input topics, measured in the
 * same round. Every contender runs in a fresh process under a fresh topic namespace with the same
 * deterministic dataset (same events, keys, partitions); rounds rotate the order.
 *
 *   npx tsx bench/stages.ts [--rounds 3] [--customers 1000] [--days 10] [--posts 10000] [--json]
 *
 * Clock: from the start of the first processed chunk to the end of the last (group join excluded).
 */
import { cli } from "./lib/cli.ts";
import { type ContenderSpec, printRounds, type RoundsReport, runRounds } from "./lib/orchestrate.ts";
import { datasetSpecs } from "./lib/specs.ts";

export const stageSpecs = {
  ...datasetSpecs,
  rounds: { type: "string", default: "3", help: "repetitions (median and min–max reported)" },
  "partitions-concurrency": {
    type: "string",
    default: "18",
    help: "partitionsConsumedConcurrently for every contender (the embedded pipeline uses 18)",
  },
  "timeout-s": { type: "string", default: "600", help: "per contender" },
  "quiet-wait-s": {
    type: "string",
    default: "60",
    help: "before each contender, wait up to this long for the shared machine to have a core idle (0 = don't)",
  },
  json: { type: "boolean", default: false, help: "also print one JSON line with every round" },
} as const;

export const STAGE_CONTENDERS: ContenderSpec[] = [
  { id: "passthrough-ingest", label: "raw passthrough [tx, posts]" },
  { id: "ingest", label: "ingest (memory dedupe)" },
  { id: "passthrough-all", label: "raw passthrough [tx, labels, posts]", baseline: "passthrough-all" },
  { id: "ingest+features-fused", label: "ingest+features fused (memory)", baseline: "passthrough-all" },
  { id: "ingest+features-split", label: "ingest+features split (Redis)", baseline: "passthrough-all" },
];

export function runStages(args: Record<string, unknown>): Promise<RoundsReport> {
  return runRounds({
    title: "stage throughput (issue 3)",
    args,
    contenders: STAGE_CONTENDERS,
    baseline: "passthrough-ingest",
  });
}

async function main(): Promise<void> {
  const args = cli(
    "Stage throughput (issue 3): ingest, ingest+features fused/split, each vs a raw KafkaJS passthrough.",
    "npx tsx bench/stages.ts [options]",
    stageSpecs,
  );
  printRounds(await runStages(args), args.json);
}

if (process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href) {
  await main();
}
