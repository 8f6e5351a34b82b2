/**
 * End-to-end latency at half the maximum rate (issue 4). The fused pipeline (the embedded default:
 * four stages in one consumer group, per-key, in-memory state) runs in its own process; this process
 * is the upstream app (publishes the throughput dataset's mix of transactions, labels and posts at
 * a fixed rate, in small batches every --tick-ms) and the downstream service (consumes verdicts).
 * Reported: produce → verdict p50/p95/p99 on broker timestamps (verdict record timestamp −
 * `origin-timestamp` header) and on this client's clock (publish call → verdict consumed).
 * Target (MISSION.md): p99 ≤ 50 ms at half the maximum rate.
 *
 *   npx tsx bench/latency.ts --max-rate 2500        (rate = 50 % of it; the max from bench/pipeline.ts)
 *   npx tsx bench/latency.ts --rate 1200 --duration 60
 *   npx tsx bench/latency.ts                        (measures the fused max first: one throughput run)
 *   npx tsx bench/latency.ts --max-rate 19822 --shares 0.125,0.25,0.375,0.5   (a load sweep: one run
 *                                                   per share, then one table of latency vs offered rate)
 *
 * Only events published after --warmup seconds count (JIT, model warm-up, producer metadata).
 */
import { cli, num } from "./lib/cli.ts";
import { ensureBenchBuild } from "./lib/compiled.ts";
import { freshPrefix, runWorker, spawnWorker } from "./lib/orchestrate.ts";
import { datasetSpecs } from "./lib/specs.ts";
import { fmt, table } from "./lib/stats.ts";

export const latencySpecs = {
  rate: { type: "string", help: "input events/s to offer (default: 50 % of --max-rate)" },
  "max-rate": {
    type: "string",
    help: "the fused pipeline's max records/s (bench/pipeline.ts); default: measured now (one run)",
  },
  share: { type: "string", default: "0.5", help: "rate = share × max-rate" },
  shares: {
    type: "string",
    help: "a load sweep: comma-separated shares of --max-rate, one run each, then one summary table",
  },
  duration: { type: "string", default: "60", help: "measured seconds" },
  warmup: { type: "string", default: "5", help: "seconds published before measuring" },
  "tick-ms": {
    type: "string",
    default: "5",
    help: "publish every this many ms (rate × tick events at a time)",
  },
  "partitions-concurrency": {
    type: "string",
    default: "18",
    help: "pipeline runner partitionsConsumedConcurrently",
  },
  "onnx-threads": {
    type: "string",
    help: "ONNX Runtime intraOpNumThreads in the pipeline (default: the app's)",
  },
  "onnx-workers": {
    type: "string",
    help: "worker threads running ONNX Runtime in the pipeline (0: event-loop thread; default: the app's, 1)",
  },
  "chunk-size": { type: "string", help: "pipeline runner chunkSize (default: the runner's, 500)" },
  "fraud-model": { type: "string", help: "fraud model name in models/ (default: the app's, fraud-gbt)" },
  "release-keys": {
    type: "string",
    help: "fused pipeline: release a record's key at the stateless tail (true | false; default: the app's, true)",
  },
  "fraud-screen": {
    type: "string",
    help: "model cascade: screen model in front of the fraud model, e.g. fraud-mlp (default: none)",
  },
  explain: {
    type: "string",
    help: "occlusion contributions for flagged scores (true | false; default: the app's, true)",
  },
  "fetch-min-bytes": { type: "string", help: "pipeline runner fetchMinBytes (default: the runner's, 1)" },
  "fetch-max-wait-ms": { type: "string", help: "pipeline runner fetchMaxWaitMs (default: the runner's)" },
  "pipeline-depth": {
    type: "string",
    help: "pipeline runner pipelineDepth (0: wait for each chunk's acknowledgement; default: the runner's, 1)",
  },
  "linger-ms": {
    type: "string",
    help: "pipeline runner lingerMs (at-least-once produce requests wait up to this long for more outputs; default: the runner's)",
  },
  "commit-interval-ms": {
    type: "string",
    help: "pipeline runner commitIntervalMs (at-least-once offset commits at most this often; default: the runner's)",
  },
  profile: {
    type: "string",
    help: "write a V8 CPU profile of the pipeline process (READY to stop) to this file; summarize with bench/profile.ts --summarize",
  },
  "client-profile": {
    type: "string",
    help: "write a V8 CPU profile of this process (the upstream and downstream clients) over the measured window to this file",
  },
  seed: datasetSpecs.seed,
  json: { type: "boolean", default: false, help: "also print one JSON line" },
} as const;

/** The options above that configure the pipeline process, passed on to bench/worker.ts. */
const PIPELINE_OPTIONS = [
  "onnx-threads",
  "onnx-workers",
  "chunk-size",
  "fraud-model",
  "fraud-screen",
  "explain",
  "release-keys",
  "pipeline-depth",
  "commit-interval-ms",
  "linger-ms",
  "fetch-min-bytes",
  "fetch-max-wait-ms",
  "profile",
] as const;

export interface LatencyReport {
  /** The pipeline's "record dead-lettered" log lines (reason, code, position), if any. */
  deadLettered: string[];
  date: string;
  node: string;
  maxRate: number;
  maxRateSource: string;
  share: number;
  result: import("./lib/latency-client.ts").LatencyResult;
  pipeline: unknown;
}

export async function runLatency(
  args: Record<string, unknown>,
  log: (l: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<LatencyReport> {
  const share = Number(args.share ?? 0.5);
  let maxRate = args["max-rate"] ? num(args, "max-rate") : Number.NaN;
  let maxRateSource = "--max-rate";
  let rate = args.rate ? num(args, "rate") : Number.NaN;
  if (!Number.isFinite(rate) && !Number.isFinite(maxRate)) {
    log("[latency] measuring the fused pipeline's max rate (one throughput run)...");
    // The same pipeline settings as the run below (its profile excepted).
    const r = await runWorker(
      "pipeline-fused",
      [
        "--partitions-concurrency",
        String(args["partitions-concurrency"] ?? 18),
        ...pipelineArgs(args, ["profile"]),
      ],
      "max",
    );
    maxRate = r.rate;
    maxRateSource = "measured now (one pipeline-fused run)";
  }
  if (!Number.isFinite(rate)) rate = Math.round(maxRate * share);
  const offeredShare = Number.isFinite(maxRate) ? rate / maxRate : Number.NaN;
  const prefix = freshPrefix("lat");
  // The client below imports topology: it must see the pipeline's namespace.
  process.env.VERDICT_TOPIC_PREFIX = prefix;
  const serveArgs = [
    "--contender",
    "serve",
    "--partitions-concurrency",
    String(args["partitions-concurrency"] ?? 18),
    ...pipelineArgs(args),
  ];
  const serve = spawnWorker(serveArgs, prefix);
  try {
    await serve.waitForLine(/^READY/, 180_000);
    log(
      `[latency] fused pipeline ready; offering ${fmt(rate)} events/s for ${args.warmup ?? 5}+${args.duration ?? 60} s...`,
    );
    const { measureLatency } = await import("./lib/latency-client.ts");
    const result = await measureLatency({
      rate,
      durationS: Number(args.duration ?? 60),
      warmupS: Number(args.warmup ?? 5),
      tickMs: Number(args["tick-ms"] ?? 5),
      postShare: 10_000 / 51_038,
      seed: Number(args.seed ?? 7),
      clientProfile: args["client-profile"] as string | undefined,
      log,
    });
    serve.kill("SIGTERM");
    await serve.exited;
    const line = serve.lines.find((l) => l.startsWith("RESULT "));
    const deadLettered = serve
      .errors()
      .split("\n")
      .filter((l) => l.includes("dead-lettered"));
    return {
      deadLettered,
      date: new Date().toISOString(),
      node: process.version,
      maxRate,
      maxRateSource,
      share: offeredShare,
      result,
      pipeline: line ? JSON.parse(line.slice(7)) : undefined,
    };
  } finally {
    serve.kill("SIGTERM");
    await serve.exited;
  }
}

function describePipeline(p: unknown): string {
  const r = p as
    | {
        stages?: Record<string, { records: number; outputs: number; deadLetters: number }>;
        eventLoopDelayMs?: { p50: number; p99: number; max: number };
        gc?: { pauses: number; totalMs: number; p99Ms: number; maxMs: number };
        cpuMs?: number;
      }
    | undefined;
  const s = r?.stages?.pipeline;
  if (!s) return "n/a";
  const loop = r?.eventLoopDelayMs;
  const gc = r?.gc;
  return [
    `${fmt(s.records)} records consumed, ${fmt(s.outputs)} outputs, ${s.deadLetters} dead-lettered`,
    r?.cpuMs
      ? `CPU ${Math.round((r.cpuMs / s.records) * 1000)} ms per 1k records (process, incl. the ONNX worker)`
      : "",
    loop ? `event-loop delay p50 ${loop.p50} / p99 ${loop.p99} / max ${loop.max} ms` : "",
    gc ? `GC ${gc.pauses} pauses, ${gc.totalMs} ms in all, p99 ${gc.p99Ms} / max ${gc.maxMs} ms` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

export function printLatency(r: LatencyReport, json: boolean): void {
  const x = r.result;
  const row = (name: string, p: import("./lib/latency-client.ts").Percentiles) => [
    name,
    fmt(p.n),
    p.p50.toFixed(1),
    p.p95.toFixed(1),
    p.p99.toFixed(1),
    p.max.toFixed(1),
  ];
  const lines = [
    `end-to-end latency (issue 4) — ${r.date}, Node ${r.node}`,
    `offered ${fmt(x.rate)} events/s (${Number.isFinite(r.share) ? `${Math.round(r.share * 100)} % of max ${fmt(r.maxRate)}, ${r.maxRateSource}` : "no max rate given"}), achieved ${fmt(x.achievedRate)} events/s; ${fmt(x.measured.events)} events measured, ${fmt(x.measured.verdicts)}/${fmt(x.measured.expectedVerdicts)} verdicts back (${x.measured.missing} missing${x.measured.missing ? `: ${x.measured.missingIds.join(", ")}` : ""})`,
    `pipeline process: ${describePipeline(r.pipeline)}`,
    ...r.deadLettered.map((l) => `  ${l.slice(0, 400)}`),
    "",
    table(
      ["produce → verdict, ms", "n", "p50", "p95", "p99", "max"],
      [
        row("broker timestamps (verdict ts − origin-timestamp)", x.brokerClockMs),
        row("client clock (send call → verdict consumed)", x.clientClockMs),
        row("send call per tick (request + ack)", x.produceCallMs),
      ],
    ),
    "",
    table(
      ["timings carried in verdicts, ms", "n", "p50", "p95", "p99", "max"],
      Object.entries(x.timings).map(([k, p]) => row(k, p)),
    ),
    "",
    `target p99 ≤ 50 ms: ${x.brokerClockMs.p99 <= 50 ? "met" : "MISSED"} (broker clock p99 ${x.brokerClockMs.p99.toFixed(1)} ms, client clock p99 ${x.clientClockMs.p99.toFixed(1)} ms)`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
}

async function main(): Promise<void> {
  const args = cli(
    "End-to-end produce → verdict latency of the fused pipeline at half its maximum rate (target p99 ≤ 50 ms).",
    "npx tsx bench/latency.ts [options]",
    latencySpecs,
  );
  if (!args.shares) {
    printLatency(await runLatency(args), args.json);
    return;
  }
  // One child process per run: the client binds its topic names at import (VERDICT_TOPIC_PREFIX),
  // and each run gets a fresh namespace. Without --max-rate, the first run measures it.
  let maxRate = args["max-rate"] as string | undefined;
  const reports: LatencyReport[] = [];
  for (const share of String(args.shares).split(",")) {
    const report = await runChild([
      ...passOn(args),
      "--share",
      share,
      ...(maxRate ? ["--max-rate", maxRate] : []),
    ]);
    maxRate = String(report.maxRate);
    reports.push(report);
  }
  printSweep(reports);
}

/** The options given that configure the pipeline process, as bench/worker.ts arguments. */
function pipelineArgs(args: Record<string, unknown>, except: string[] = []): string[] {
  return PIPELINE_OPTIONS.flatMap((name) =>
    args[name] === undefined || except.includes(name) ? [] : [`--${name}`, String(args[name])],
  );
}

/** The command-line options given, minus the sweep's own, as arguments for one run. */
function passOn(args: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(args)) {
    if (
      value === undefined ||
      value === false ||
      ["shares", "share", "rate", "max-rate", "json"].includes(name)
    )
      continue;
    out.push(`--${name}`, ...(value === true ? [] : [String(value)]));
  }
  return out;
}

/** Runs this benchmark once in a child process (its report goes to our stdout), returns the report. */
async function runChild(argv: string[]): Promise<LatencyReport> {
  const { spawn } = await import("node:child_process");
  ensureBenchBuild(); // once for the whole sweep: the child inherits VERDICT_BENCH_BUILT
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv, "--json"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const lines = out.trimEnd().split("\n");
  const json = lines.pop() ?? "";
  process.stdout.write(`${lines.join("\n")}\n`);
  if (code !== 0 || !json.startsWith("{"))
    throw new Error(`latency run ${argv.join(" ")} failed (exit ${code})`);
  return JSON.parse(json) as LatencyReport;
}

/** Latency against offered load, one row per run of a sweep. */
export function printSweep(reports: LatencyReport[]): void {
  const rows = reports.map((r) => {
    const x = r.result;
    const p = x.brokerClockMs;
    const s =
      (r.pipeline as { cpuMs?: number; stages?: { pipeline?: { records: number } } } | undefined) ?? {};
    const records = s.stages?.pipeline?.records;
    return [
      `${Math.round(r.share * 100)} %`,
      fmt(x.rate),
      fmt(x.achievedRate),
      p.p50.toFixed(0),
      p.p95.toFixed(0),
      p.p99.toFixed(0),
      p.max.toFixed(0),
      x.clientClockMs.p99.toFixed(0),
      s.cpuMs && records ? String(Math.round((s.cpuMs / records) * 1000)) : "n/a",
      String(x.measured.missing),
      p.p99 <= 50 ? "met" : "missed",
    ];
  });
  process.stdout.write(
    `\nload sweep (max rate ${fmt(reports[0]?.maxRate ?? Number.NaN)}, ${reports[0]?.maxRateSource ?? ""})\n${table(
      [
        "share of max",
        "offered/s",
        "achieved/s",
        "p50 ms",
        "p95",
        "p99",
        "max",
        "client-clock p99",
        "pipeline CPU ms/1k",
        "missing",
        "p99 ≤ 50",
      ],
      rows,
    )}\n`,
  );
}

if (process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href) {
  await main();
}
