/**
 * All benchmarks, in order, in one run (`npm run bench`):
 *   1. stage throughput (bench/stages.ts): ingest, ingest+features fused/split vs a raw passthrough;
 *   2. pipeline throughput (bench/pipeline.ts): fused and split vs a raw passthrough (target ≥ 50 %);
 *   3. end-to-end latency (bench/latency.ts) at 50 % of the fused max measured in 2 (target p99 ≤ 50 ms);
 *   4. inference micro-batching (bench/inference.ts, run as is, output captured; target ≥ 10×).
 * Prints each benchmark's table, then a Markdown summary for BENCHMARKS.md; writes every number
 * to a JSON report (--out).
 *
 *   npm run bench -- [--rounds 3] [--only stages,pipeline,latency,inference] [--out file.json]
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { type LatencyReport, latencySpecs, printLatency, runLatency } from "./latency.ts";
import { cli } from "./lib/cli.ts";
import { benchEntry } from "./lib/compiled.ts";
import { printRounds, ROOT, type RoundsReport } from "./lib/orchestrate.ts";
import { datasetSpecs } from "./lib/specs.ts";
import { fmt, pct } from "./lib/stats.ts";
import { runPipeline } from "./pipeline.ts";
import { runStages } from "./stages.ts";

const ALL = ["stages", "pipeline", "latency", "inference"] as const;

const args = cli(
  "Runs every Verdict benchmark and prints a Markdown summary.",
  "npm run bench -- [options]",
  {
    only: { type: "string", default: ALL.join(","), help: "which benchmarks, comma-separated" },
    ...datasetSpecs,
    rounds: { type: "string", default: "3", help: "repetitions of each throughput contender" },
    "partitions-concurrency": {
      type: "string",
      default: "18",
      help: "partitionsConsumedConcurrently everywhere",
    },
    "what-if": {
      type: "boolean",
      default: false,
      help: "pipeline: add fused variants (ONNX on the event-loop thread; and with fraud-mlp)",
    },
    "quiet-wait-s": {
      type: "string",
      default: "60",
      help: "wait up to this long for a core to be idle before each contender (0 = don't)",
    },
    duration: latencySpecs.duration,
    warmup: latencySpecs.warmup,
    "latency-rounds": { type: "string", default: "1", help: "repetitions of the latency run" },
    "inference-args": {
      type: "string",
      default: "|--model models/fraud-gbt/1.0.0",
      help: "bench/inference.ts runs, '|'-separated argument lists (empty = its defaults)",
    },
    out: { type: "string", help: "JSON report path (default /tmp/verdict-bench/report-<time>.json)" },
  },
);

const only = new Set(args.only.split(",").map((s) => s.trim()));
const log = (l: string) => process.stderr.write(`${l}\n`);
function commit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT })
      .toString()
      .trim();
    return dirty ? `${sha} (+ uncommitted changes)` : sha;
  } catch {
    return "unknown";
  }
}

const report: {
  date: string;
  commit: string;
  node: string;
  cpus: number;
  stages?: RoundsReport;
  pipeline?: RoundsReport;
  latency?: LatencyReport[];
  inference?: { args: string; output: string; json?: Record<string, unknown> }[];
} = { date: new Date().toISOString(), commit: commit(), node: process.version, cpus: cpus().length };

function runInference(extra: string[]): Promise<{ output: string; json?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...benchEntry("inference"), ...extra], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`bench/inference.ts ${extra.join(" ")} exited ${code}`));
      const line = out
        .trim()
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("{"));
      resolve({ output: out, json: line ? (JSON.parse(line) as Record<string, unknown>) : undefined });
    });
  });
}

function ratioLine(r: RoundsReport, id: string): string {
  const c = r.contenders.find((x) => x.id === id)!;
  return `${fmt(c.rate.median)} rec/s (${fmt(c.rate.min)}–${fmt(c.rate.max)}); ${pct(c.ratio.median)} of ${c.baseline} (${pct(c.ratio.min)}–${pct(c.ratio.max)})`;
}

function markdown(): string {
  const out: string[] = [
    `Run ${report.date}, commit ${report.commit}, Node ${report.node}, ${report.cpus} vCPU (shared).`,
    "",
  ];
  for (const r of [report.stages, report.pipeline]) {
    if (!r) continue;
    out.push(
      `### ${r.title}`,
      "",
      "| contender | records/s median (min–max) | ratio median (min–max) | vs | busy cores |",
      "|---|---|---|---|---|",
    );
    for (const c of r.contenders) {
      out.push(
        `| ${c.label} | ${fmt(c.rate.median)} (${fmt(c.rate.min)}–${fmt(c.rate.max)}) | ${pct(c.ratio.median)} (${pct(c.ratio.min)}–${pct(c.ratio.max)}) | ${c.id === c.baseline ? "baseline" : c.baseline} | ${fmt(c.machineBusy.median, 2)} |`,
      );
    }
    out.push("");
  }
  for (const l of report.latency ?? []) {
    const x = l.result;
    out.push(
      `### latency at ${fmt(x.rate)} events/s (${pct(l.share)} of ${fmt(l.maxRate)})`,
      "",
      "| clock | p50 | p95 | p99 | max | n |",
      "|---|---|---|---|---|---|",
      `| broker timestamps | ${x.brokerClockMs.p50} | ${x.brokerClockMs.p95} | ${x.brokerClockMs.p99} | ${x.brokerClockMs.max} | ${x.brokerClockMs.n} |`,
      `| client clock | ${x.clientClockMs.p50} | ${x.clientClockMs.p95} | ${x.clientClockMs.p99} | ${x.clientClockMs.max} | ${x.clientClockMs.n} |`,
      "",
    );
  }
  for (const i of report.inference ?? []) {
    const j = i.json ?? {};
    out.push(
      `### inference ${i.args || "(defaults)"}: ${String(j.model)} — ${fmt(Number(j.microBatchedRowsPerSec))} vs ${fmt(Number(j.perEventSequentialRowsPerSec))} rows/s = ${String(j.ratioVsSequential)}× (vs concurrent ${String(j.ratioVsConcurrent)}×)`,
      "",
    );
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const out = args.out ?? `/tmp/verdict-bench/report-${report.date.replace(/[:.]/g, "-")}.json`;
  mkdirSync(dirname(out), { recursive: true });
  const save = () => writeFileSync(out, JSON.stringify(report, null, 2));
  if (only.has("stages")) {
    report.stages = await runStages(args);
    printRounds(report.stages, false);
    save();
  }
  if (only.has("pipeline")) {
    report.pipeline = await runPipeline(args);
    printRounds(report.pipeline, false);
    save();
  }
  if (only.has("latency")) {
    const fused = report.pipeline?.contenders.find((c) => c.id === "pipeline-fused");
    report.latency = [];
    for (let i = 0; i < Number(args["latency-rounds"]); i++) {
      const l = await runLatency(
        {
          ...args,
          share: "0.5",
          "tick-ms": "5",
          ...(fused ? { "max-rate": String(Math.round(fused.rate.median)) } : {}),
        },
        log,
      );
      printLatency(l, false);
      report.latency.push(l);
      save();
    }
  }
  if (only.has("inference")) {
    report.inference = [];
    for (const a of args["inference-args"].split("|")) {
      const extra = a.trim() ? a.trim().split(/\s+/) : [];
      log(`[inference] npx tsx bench/inference.ts ${extra.join(" ")}`);
      const r = await runInference(extra);
      process.stdout.write(r.output);
      report.inference.push({ args: extra.join(" "), ...r });
      save();
    }
  }
  process.stdout.write(`\n---- summary (Markdown) ----\n${markdown()}\nreport: ${out}\n`);
  if (report.pipeline) {
    log(`pipeline fused: ${ratioLine(report.pipeline, "pipeline-fused")}`);
  }
}

await main();
