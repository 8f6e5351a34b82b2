/**
 * Runs contenders as fresh child processes (bench/worker.ts), each under its own topic namespace,
 * round after round, and reports each contender's records/s (median and min–max over rounds) and
 * its ratio to the baseline measured in the same round. The order of contenders rotates from round
 * to round so that neither side always runs first (the machine is shared: load drifts).
 */
import { spawn } from "node:child_process";
import { PACKAGE_ROOT } from "../../lib/paths/index.ts";
import { type BenchRuntime, benchEntry, benchRuntime } from "./compiled.ts";
import { waitForQuiet } from "./machine.ts";
import { fmt, fmtSpread, pct, type Spread, spread, table } from "./stats.ts";

/** The package root, also when this module runs compiled from .verdict/bench-dist. */
export const ROOT = PACKAGE_ROOT;

export interface WorkerResult {
  contender: string;
  prefix: string;
  data: { transactions: number; labels: number; posts: number; total: number; publishMs: number };
  records: number;
  seconds: number;
  rate: number;
  outputs: number;
  deadLetters: number;
  joinMs: number;
  cpuMs: number;
  loadavg: number;
  machineBusyCores: number;
  processCores: number;
  /** Busy cores seen just before the contender started (after the quiet wait). */
  busyBefore?: number;
  stages: Record<string, { records: number; outputs: number; chunks: number }>;
}

export function freshPrefix(tag: string): string {
  return `bench-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}-${tag}.`;
}

export interface WorkerHandle {
  /** Lines printed so far (stdout). */
  lines: string[];
  /** stderr tail, for diagnosis. */
  errors(): string;
  /** Resolves on the first stdout line matching `re`. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * V8 flags of every contender's process, the app's own (package.json scripts, Dockerfile): a 32 MiB
 * young generation. Streaming allocates many short-lived objects per record; with V8's default
 * (16 MiB) scavenges run twice as often (GC was ~22 % of the fused pipeline's main thread, ~17 % with
 * this). Same flags for the baseline, so the ratios compare code, not tuning.
 */
export const NODE_FLAGS = process.env.VERDICT_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [
  "--max-semi-space-size=32",
];

/**
 * Spawns bench/worker with its own VERDICT_TOPIC_PREFIX: compiled (the default, as production runs)
 * or through tsx (bench/lib/compiled.ts).
 */
export function spawnWorker(
  args: string[],
  prefix: string,
  env: Record<string, string> = {},
  runtime: BenchRuntime = benchRuntime(),
): WorkerHandle {
  const child = spawn(process.execPath, [...NODE_FLAGS, ...benchEntry("worker", runtime), ...args], {
    cwd: ROOT,
    env: { ...process.env, VERDICT_TOPIC_PREFIX: prefix, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
      i = buf.indexOf("\n");
    }
  });
  child.stderr.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-8000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    lines,
    errors: () => err,
    exited,
    kill: (signal = "SIGTERM") => child.kill(signal),
    waitForLine(re, timeoutMs) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker: no line matching ${re} in ${timeoutMs} ms\n${err}`)),
          timeoutMs,
        );
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`worker exited (${code}) before printing ${re}\n${err}`));
        });
      });
    },
  };
}

/** Runs one contender to completion; returns its RESULT. */
export async function runWorker(
  contender: string,
  args: string[],
  tag: string,
  runtime?: BenchRuntime,
): Promise<WorkerResult> {
  const w = spawnWorker(["--contender", contender, ...args], freshPrefix(tag), {}, runtime);
  const code = await w.exited;
  const line = w.lines.find((l) => l.startsWith("RESULT "));
  if (code !== 0 || !line) throw new Error(`contender ${contender} failed (exit ${code}):\n${w.errors()}`);
  return JSON.parse(line.slice("RESULT ".length)) as WorkerResult;
}

export interface ContenderSpec {
  /** Key in the report (unique). */
  id: string;
  /** bench/worker.ts --contender (default: id). */
  contender?: string;
  label: string;
  /** Contender id this one is a ratio of (default: the run's baseline). */
  baseline?: string;
  /** Extra worker arguments (what-if variants). */
  extraArgs?: string[];
  /** Run this contender compiled or through tsx (default: the run's, VERDICT_BENCH_RUNTIME). */
  runtime?: BenchRuntime;
}

export interface ContenderSummary {
  id: string;
  label: string;
  rate: Spread;
  /** Ratio to its baseline measured in the same round. */
  baseline: string;
  ratio: Spread;
  seconds: Spread;
  joinMs: Spread;
  /** Process CPU ms per 1,000 input records (join included). */
  cpuPer1k: Spread;
  /** Machine-wide busy cores while it ran. */
  machineBusy: Spread;
  records: number;
  outputs: number;
  deadLetters: number;
  rounds: WorkerResult[];
}

export interface RoundsReport {
  title: string;
  date: string;
  node: string;
  args: Record<string, unknown>;
  baseline: string;
  data: WorkerResult["data"];
  contenders: ContenderSummary[];
}

/** Worker arguments forwarded from an orchestrator's parsed options. */
export function workerArgs(args: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of [
    "customers",
    "days",
    "posts",
    "seed",
    "partitions-concurrency",
    "max-in-flight",
    "chunk-size",
    "onnx-threads",
    "onnx-workers",
    "timeout-s",
  ]) {
    if (args[k] !== undefined) out.push(`--${k}`, String(args[k]));
  }
  return out;
}

export async function runRounds(options: {
  title: string;
  args: Record<string, unknown>;
  contenders: ContenderSpec[];
  baseline: string;
  log?: (line: string) => void;
}): Promise<RoundsReport> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const rounds = Number(options.args.rounds ?? 3);
  const results = new Map<string, WorkerResult[]>(options.contenders.map((c) => [c.id, []]));
  const ratios = new Map<string, number[]>(options.contenders.map((c) => [c.id, []]));
  for (let r = 0; r < rounds; r++) {
    const order = options.contenders.map((_, i) => options.contenders[(i + r) % options.contenders.length]!);
    const round = new Map<string, WorkerResult>();
    for (const c of order) {
      log(`[${options.title}] round ${r + 1}/${rounds}: ${c.label}...`);
      const quietWait = Number(options.args["quiet-wait-s"] ?? 60);
      const busyBefore = quietWait > 0 ? await waitForQuiet(1.0, quietWait, log) : Number.NaN;
      const res = await runWorker(
        c.contender ?? c.id,
        [...workerArgs(options.args), ...(c.extraArgs ?? [])],
        `r${r + 1}`,
        c.runtime,
      );
      res.busyBefore = busyBefore;
      log(
        `  ${fmt(res.records)} records in ${res.seconds.toFixed(2)} s = ${fmt(res.rate)} records/s (join ${fmt(res.joinMs)} ms, dead letters ${res.deadLetters}; busy cores before ${busyBefore.toFixed(2)}, during ${res.machineBusyCores.toFixed(2)}, this process ${res.processCores.toFixed(2)})`,
      );
      round.set(c.id, res);
      results.get(c.id)!.push(res);
    }
    for (const c of options.contenders) {
      const base = round.get(c.baseline ?? options.baseline)!.rate;
      ratios.get(c.id)!.push(round.get(c.id)!.rate / base);
    }
  }
  const first = results.get(options.baseline)![0]!;
  const report: RoundsReport = {
    title: options.title,
    date: new Date().toISOString(),
    node: process.version,
    args: options.args,
    baseline: options.baseline,
    data: first.data,
    contenders: options.contenders.map((c) => {
      const rs = results.get(c.id)!;
      return {
        id: c.id,
        label: c.label,
        baseline: c.baseline ?? options.baseline,
        rate: spread(rs.map((x) => x.rate)),
        ratio: spread(ratios.get(c.id)!),
        seconds: spread(rs.map((x) => x.seconds)),
        joinMs: spread(rs.map((x) => x.joinMs)),
        cpuPer1k: spread(rs.map((x) => (x.cpuMs / x.records) * 1000)),
        machineBusy: spread(rs.map((x) => x.machineBusyCores)),
        records: rs[0]!.records,
        outputs: rs[0]!.outputs,
        deadLetters: Math.max(...rs.map((x) => x.deadLetters)),
        rounds: rs,
      };
    }),
  };
  return report;
}

export function printRounds(report: RoundsReport, json: boolean): void {
  const d = report.data;
  const lines = [
    `${report.title} — ${report.date}, Node ${report.node}, ${report.contenders[0]!.rounds.length} round(s)`,
    `dataset: ${fmt(d.transactions)} transactions + ${fmt(d.labels)} labels + ${fmt(d.posts)} posts (published in ${(d.publishMs / 1000).toFixed(1)} s before each contender)`,
    "",
    table(
      [
        "contender",
        "records",
        "records/s median (min–max)",
        "ratio median (min–max)",
        "vs",
        "CPU ms/1k rec",
        "busy cores",
        "join ms",
      ],
      report.contenders.map((c) => [
        c.label,
        fmt(c.records),
        fmtSpread(c.rate),
        `${pct(c.ratio.median)} (${pct(c.ratio.min)}–${pct(c.ratio.max)})`,
        c.id === c.baseline ? "(baseline)" : c.baseline,
        fmt(c.cpuPer1k.median),
        fmt(c.machineBusy.median, 2),
        fmt(c.joinMs.median),
      ]),
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
}
