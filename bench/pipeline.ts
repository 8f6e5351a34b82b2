/**
 * Pipeline throughput (issue 4): the whole pipeline (ingest → features → inference → scoring) fused in
 * one consumer group (fuse(..., { concurrency: "per-key" }), in-memory state: the embedded default)
 * and split (four runners, one consumer group each, all in ONE process, Redis state, as
 * `verdict stage ingest features inference scoring` runs them), each as a ratio of a raw KafkaJS
 * consume→produce passthrough over the same three input topics, measured in the same round.
 * Target (MISSION.md): fused ≥ 50 % of the passthrough.
 *
 *   npx tsx bench/pipeline.ts [--rounds 3] [--customers 1000] [--days 10] [--posts 10000] [--what-if] [--json]
 *
 * Each contender runs in a fresh process and topic namespace on the same pre-published dataset.
 * Clock: from the start of the first processed chunk (after the group join, metadata and model
 * loading) to the end of the last chunk that delivered a verdict; records = input events
 * (transactions + labels + posts) consumed, the same numerator for every contender.
 */
import { cli } from "./lib/cli.ts";
import { type ContenderSpec, printRounds, type RoundsReport, runRounds } from "./lib/orchestrate.ts";
import { datasetSpecs } from "./lib/specs.ts";

export const pipelineSpecs = {
  ...datasetSpecs,
  rounds: { type: "string", default: "3", help: "repetitions (median and min–max reported)" },
  "partitions-concurrency": {
    type: "string",
    default: "18",
    help: "partitionsConsumedConcurrently for every contender (the embedded pipeline uses 18)",
  },
  "what-if": {
    type: "boolean",
    default: false,
    help: "add fused variants: ONNX Runtime on the event-loop thread (no worker), run through tsx instead of compiled, the fraud-mlp model instead of fraud-gbt, and the fraud-mlp → fraud-gbt cascade",
  },
  "timeout-s": { type: "string", default: "600", help: "per contender" },
  "quiet-wait-s": {
    type: "string",
    default: "60",
    help: "before each contender, wait up to this long for the shared machine to have a core idle (0 = don't)",
  },
  json: { type: "boolean", default: false, help: "also print one JSON line with every round" },
} as const;

export function pipelineContenders(whatIf: boolean): ContenderSpec[] {
  return [
    { id: "passthrough-all", label: "raw passthrough [tx, labels, posts]" },
    { id: "pipeline-fused", label: "pipeline fused (per-key, memory)" },
    { id: "pipeline-split", label: "pipeline split (4 groups, 1 process, Redis)" },
    ...(whatIf
      ? [
          {
            id: "pipeline-fused-onnx-inline",
            contender: "pipeline-fused",
            label: "what-if: fused, ONNX on the event-loop thread (0 workers)",
            extraArgs: ["--onnx-workers", "0"],
          },
          {
            id: "pipeline-fused-tsx",
            contender: "pipeline-fused",
            label: "what-if: fused, TypeScript through tsx (not compiled)",
            runtime: "tsx" as const,
          },
          {
            id: "pipeline-fused-mlp",
            contender: "pipeline-fused",
            label: "what-if: fused, fraud-mlp instead of fraud-gbt",
            extraArgs: ["--fraud-model", "fraud-mlp"],
          },
          {
            id: "pipeline-fused-cascade",
            contender: "pipeline-fused",
            label: "what-if: fused, cascade fraud-mlp → fraud-gbt",
            extraArgs: ["--fraud-screen", "fraud-mlp"],
          },
        ]
      : []),
  ];
}

export function runPipeline(args: Record<string, unknown>): Promise<RoundsReport> {
  return runRounds({
    title: "pipeline throughput (issue 4)",
    args,
    contenders: pipelineContenders(Boolean(args["what-if"])),
    baseline: "passthrough-all",
  });
}

async function main(): Promise<void> {
  const args = cli(
    "Pipeline throughput (issue 4): fused and split vs a raw KafkaJS passthrough (target: fused ≥ 50 %).",
    "npx tsx bench/pipeline.ts [options]",
    pipelineSpecs,
  );
  printRounds(await runPipeline(args), args.json);
}

if (process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href) {
  await main();
}
