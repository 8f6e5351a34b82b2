/**
 * Micro-benchmark: per-event session.run vs Verdict's micro-batcher, same model, same rows, same run.
 *
 *   npx tsx bench/inference.ts [--model models/fraud-mlp/1.0.0] [--rows 50000] [--concurrency 768]
 *                              [--providers cpu] [--max-batch 256] [--delay-ms 2] [--threads N]
 *                              [--workers 0|N] [--random-rows] [--screen models/fraud-mlp/1.0.0] [--json]
 *
 * Model: --model, else the active version of models/fraud-mlp, else the test fixture fraud-lr.
 * Rows: for models on the fraud features, replayed through the stream's feature code (the input the
 * pipeline gives them); for a text model, simulated posts' normalizedText; --random-rows (and any
 * other model): random around model.json's reference.
 * 1. Throughput (closed loop): rows/s of
 *    a. per-event, sequential: one single-row session.run after the other;
 *    b. per-event, concurrent: `concurrency` single-row runs in flight (what a per-key runner does
 *       without a batcher);
 *    c. micro-batched: `concurrency` rows in flight through LoadedModel.score (batcher + chain).
 * 2. Latency at an open-loop offered load of half the per-event maximum (as the mission asks):
 *    per-row latency p50/p99 per-event vs micro-batched, and the batching overhead = the time a
 *    row waits in the queue for its batch (p50/p99).
 * Prints a table and one JSON line (BENCHMARKS.md records the ratio).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FRAUD_FEATURE_NAMES } from "../consumers/features/fraud/definitions.ts";
import { normalizeText } from "../consumers/features/moderation/index.ts";
import { replayFeatures } from "../consumers/features/replay/replay.ts";
import { encodeBatch } from "../consumers/inference/encode.ts";
import {
  LoadedModel,
  type ModelFiles,
  ModelRegistry,
  type ModelRow,
  onnxRuntime,
  type RowScore,
} from "../consumers/inference/index.ts";
import { onnxWorkerRuntime } from "../consumers/inference/onnx/onnx-worker-runtime.ts";
import { silentLogger } from "../lib/log/index.ts";
import { simulatePosts } from "../producers/simulators/posts/index.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    rows: { type: "string", default: "50000" },
    repeat: { type: "string", default: "3" },
    /** Rows in flight: the runner's defaults allow 3 partitions × 256 (partitionsConsumedConcurrently × maxInFlight). */
    concurrency: { type: "string", default: "768" },
    providers: { type: "string", default: process.env.VERDICT_EP ?? "cpu" },
    "max-batch": { type: "string", default: "256" },
    "delay-ms": { type: "string", default: "2" },
    /** ONNX Runtime intra-op threads for both paths. Default 1: tabular models gain nothing from more. */
    threads: { type: "string", default: "1" },
    /**
     * ONNX Runtime worker threads for both paths (the pipeline's default is 1, see
     * consumers/inference/options.ts). Default 0: sessions on this thread, the plain comparison.
     */
    workers: { type: "string", default: "0" },
    "latency-seconds": { type: "string", default: "2" },
    "load-shares": { type: "string", default: "0.25,0.5" },
    /** Random rows around the reference instead of rows replayed through the feature code. */
    "random-rows": { type: "boolean", default: false },
    /**
     * Model cascade: this screen model (a version folder, e.g. models/fraud-mlp/1.0.0) scores every row
     * first and clears those below its model.json `screening.clearBelow`; --model scores the rest.
     */
    screen: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const ROWS = Number(args.rows);
const CONCURRENCY = Number(args.concurrency);
const FIXTURE = resolve("consumers/inference/fixtures/models");

async function pickModel(): Promise<{ root: string; name: string; version: string; fixture: boolean }> {
  if (args.model) {
    const dir = resolve(args.model);
    const version = dir.split("/").at(-1)!;
    const name = dir.split("/").at(-2)!;
    return { root: resolve(dir, "..", ".."), name, version, fixture: dir.startsWith(FIXTURE) };
  }
  const real = new ModelRegistry({ root: "models" });
  if (existsSync(join("models", "fraud-mlp"))) {
    const version = await real.activeVersion("fraud-mlp").catch(() => undefined);
    if (version) return { root: real.root, name: "fraud-mlp", version, fixture: false };
  }
  return { root: FIXTURE, name: "fraud-lr", version: "1.0.0", fixture: true };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? Number.NaN };
}

/**
 * Rows as the stream computes them, for models on the fraud features: simulated card history through
 * the online feature code (the replay training uses), after 30 simulated days of warm-up so the
 * 30-day windows are full. A tree ensemble's cost depends on the paths rows take: on random rows
 * (below) fraud-gbt cost ~40 µs a row, on these ~25. Undefined for other models.
 */
async function replayedRows(features: readonly string[], n: number): Promise<ModelRow[] | undefined> {
  const names: readonly string[] = FRAUD_FEATURE_NAMES;
  if (!features.every((f) => names.includes(f))) return undefined;
  const index = features.map((f) => names.indexOf(f));
  const customers = 2000;
  // ≈1.9 transactions per customer-day
  const days = 30 + Math.ceil(n / (customers * 1.8)) + 1;
  const rows: ModelRow[] = [];
  let start: number | undefined;
  for await (const r of replayFeatures({ days, customers, terminals: 2 * customers, seed: 42 })) {
    start ??= r.occurredAt;
    if (r.occurredAt - start < 30 * 86_400_000) continue;
    rows.push({ features: Object.fromEntries(features.map((f, i) => [f, r.features[index[i]!]!])) });
    if (rows.length === n) break;
  }
  return rows.length === n ? rows : undefined;
}

/**
 * For a model with a text input (moderation-text): simulated posts' text as the stream feeds it, the
 * features stage's normalizedText (producers/simulators/posts, consumers/features/moderation).
 */
function postRows(n: number): ModelRow[] {
  return simulatePosts({ count: n, seed: 42 }).map((p) => ({
    features: {},
    text: normalizeText(p.event.text),
  }));
}

/** Random rows around the model's reference distribution (or 0..100 when it has none). */
function makeRows(
  features: readonly string[],
  reference: Record<string, { mean: number; std: number }>,
): ModelRow[] {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: ROWS }, () => ({
    features: Object.fromEntries(
      features.map((f) => {
        const r = reference[f];
        const v = r ? r.mean + r.std * (rand() * 4 - 2) : rand() * 100;
        return [f, Math.max(0, v)];
      }),
    ),
  }));
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Offers `rate` rows/s for `seconds` (open loop), returns per-row latencies (ms) and results. */
async function openLoop<R>(
  rows: ModelRow[],
  rate: number,
  seconds: number,
  fn: (row: ModelRow) => Promise<R>,
) {
  const latencies: number[] = [];
  const results: R[] = [];
  const total = Math.min(rows.length, Math.floor(rate * seconds));
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; sent < due; sent++) {
      const start = performance.now();
      inflight.push(
        fn(rows[sent]!).then((r) => {
          latencies.push(performance.now() - start);
          results.push(r);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  return { latencies, results, seconds: (performance.now() - t0) / 1000 };
}

async function main() {
  const pick = await pickModel();
  const registry = new ModelRegistry({ root: pick.root });
  const files = await registry.load(pick.name, pick.version);
  const m = files.manifest;
  const workers = Number(args.workers);
  const workerRuntime = workers > 0 ? onnxWorkerRuntime({ workers }) : undefined;
  const runtime = workerRuntime ?? onnxRuntime();
  const providers = args.providers.split(",").map((p) => p.trim());
  const threads = args.threads ? Number(args.threads) : undefined;
  const text = m.inputs.some((i) => i.source === "text");
  const replayed = args["random-rows"] || text ? undefined : await replayedRows(m.features, ROWS);
  const rows = text
    ? postRows(ROWS)
    : (replayed ??
      makeRows(m.features, (m.reference?.features ?? {}) as Record<string, { mean: number; std: number }>));
  const rowSource = text
    ? "simulated posts, normalizedText as the features stage computes it"
    : replayed
      ? "replayed through the online feature code (simulated days 31+)"
      : "random around the reference";

  const loadPath = async (f: ModelFiles) => {
    const loaded = await loadModel(f);
    const session = await runtime.createSession({
      modelPath: f.modelPath,
      provider: loaded.provider,
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
    const out = f.manifest.output;
    const single = async (row: ModelRow): Promise<number> => {
      const r = await session.run(encodeBatch(f.manifest, [row]), [out.name]);
      return Number(r[out.name]!.data[out.index] ?? Number.NaN);
    };
    return { loaded, session, single };
  };
  const loadModel = (f: ModelFiles) =>
    LoadedModel.load(f, {
      runtime,
      provided: { features: m.features, text },
      chain: {
        providers,
        tolerance: 1e-3,
        breaker: { failureThreshold: 3, cooldownMs: 10_000 },
        ...(threads ? { intraOpNumThreads: threads } : {}),
      },
      batching: {
        maxBatchSize: Number(args["max-batch"]),
        maxQueueDelayMs: Number(args["delay-ms"]),
        maxQueueSize: 8192,
        maxConcurrentBatches: 2,
      },
      logger: silentLogger(),
    });
  // Per-event: a plain session on the first provider that loads, one row per run.
  const decider = await loadPath(files);
  let model: { score(row: ModelRow): Promise<RowScore>; provider: string } = decider.loaded;
  let single = decider.single;
  let screen: Awaited<ReturnType<typeof loadPath>> | undefined;
  let clearBelow = Number.NaN;
  if (args.screen) {
    const dir = resolve(args.screen);
    const screenFiles = await new ModelRegistry({ root: resolve(dir, "..", "..") }).load(
      dir.split("/").at(-2)!,
      dir.split("/").at(-1)!,
    );
    clearBelow = screenFiles.manifest.screening?.clearBelow ?? Number.NaN;
    if (Number.isNaN(clearBelow)) throw new Error(`${args.screen}/model.json has no screening.clearBelow`);
    const sp = await loadPath(screenFiles);
    screen = sp;
    single = async (row) => {
      const s0 = await sp.single(row);
      return s0 < clearBelow ? s0 : decider.single(row);
    };
    model = {
      provider: decider.loaded.provider,
      score: (row) =>
        sp.loaded.score(row).then((r) => (r.score < clearBelow ? r : decider.loaded.score(row))),
    };
  }

  // warm-up both paths (JIT, ONNX Runtime arenas)
  for (const row of rows.slice(0, 5000)) await single(row);
  await pool(rows.slice(0, 20_000), CONCURRENCY, async (r) => void (await model.score(r)));

  // Each mode runs `repeat` times, interleaved (a noisy neighbour hits all modes alike); median kept.
  // Wall-clock rows/s, and rows per CPU-second of this process (all threads, ONNX Runtime's
  // included): the second is robust to other processes competing for the cores.
  const cpu: Record<string, number[]> = { seq: [], conc: [], batched: [] };
  const time = async (fn: () => Promise<void>, mode?: string) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    if (mode) cpu[mode]!.push(ROWS / ((c.user + c.system) / 1e6));
    return ROWS / ((performance.now() - t0) / 1000);
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const seq: number[] = [];
  const conc: number[] = [];
  const batched: number[] = [];
  const batchSizes: number[] = [];
  for (let i = 0; i < Number(args.repeat); i++) {
    seq.push(
      await time(async () => {
        for (const row of rows) await single(row);
      }, "seq"),
    );
    conc.push(await time(() => pool(rows, CONCURRENCY, async (row) => void (await single(row))), "conc"));
    batched.push(
      await time(
        () =>
          pool(rows, CONCURRENCY, async (row) => {
            batchSizes.push((await model.score(row)).batchSize);
          }),
        "batched",
      ),
    );
  }
  const seqRps = median(seq);
  const concRps = median(conc);
  const batchedRps = median(batched);
  const perEventMax = Math.max(seqRps, concRps);

  // Latency under an open-loop offered load, as shares of the per-event maximum; the same rows and
  // rate for both paths. Per-event at 50 % may already queue up (the harness shares its event loop).
  const seconds = Number(args["latency-seconds"]);
  const latency = [];
  for (const share of args["load-shares"].split(",").map(Number)) {
    const rate = Math.round(perEventMax * share);
    const perEventLat = await openLoop(rows, rate, seconds, single);
    const batchedLat = await openLoop<RowScore>(rows, rate, seconds, (row) => model.score(row));
    const lp = stats(perEventLat.latencies);
    const lb = stats(batchedLat.latencies);
    const queue = stats(batchedLat.results.map((r) => r.queueMs));
    latency.push({
      share,
      offeredRowsPerSec: rate,
      perEventMs: { p50: round(lp.p50), p99: round(lp.p99) },
      batchedMs: { p50: round(lb.p50), p99: round(lb.p99) },
      queueWaitMs: { p50: round(queue.p50), p99: round(queue.p99) },
      addedMs: { p50: round(lb.p50 - lp.p50), p99: round(lb.p99 - lp.p99) },
    });
  }

  const escalated = screen
    ? (await Promise.all(rows.slice(0, 5000).map((r) => screen.loaded.score(r)))).filter(
        (r) => r.score >= clearBelow,
      ).length / Math.min(5000, rows.length)
    : undefined;
  const name = `${m.name}@${m.version}${pick.fixture ? " (test fixture)" : ""}`;
  const result = {
    bench: "inference",
    model: screen
      ? `cascade ${screen.loaded.name}@${screen.loaded.version} (clears below ${clearBelow}) → ${name}`
      : name,
    ...(escalated !== undefined ? { escalatedShare: Number(escalated.toFixed(4)) } : {}),
    provider: model.provider,
    rows: ROWS,
    rowSource,
    concurrency: CONCURRENCY,
    maxBatchSize: Number(args["max-batch"]),
    maxQueueDelayMs: Number(args["delay-ms"]),
    perEventSequentialRowsPerSec: Math.round(seqRps),
    perEventConcurrentRowsPerSec: Math.round(concRps),
    microBatchedRowsPerSec: Math.round(batchedRps),
    ratioVsSequential: Number((batchedRps / seqRps).toFixed(1)),
    ratioVsConcurrent: Number((batchedRps / concRps).toFixed(1)),
    rowsPerCpuSecond: {
      perEventSequential: Math.round(median(cpu.seq!)),
      perEventConcurrent: Math.round(median(cpu.conc!)),
      microBatched: Math.round(median(cpu.batched!)),
    },
    cpuRatioVsSequential: Number((median(cpu.batched!) / median(cpu.seq!)).toFixed(1)),
    meanBatchSize: Number((batchSizes.reduce((a, b) => a + b, 0) / batchSizes.length).toFixed(1)),
    latency,
    cpus: (await import("node:os")).cpus().length,
    onnxWorkers: workers,
    node: process.version,
  };
  for (const p of [decider, ...(screen ? [screen] : [])]) {
    await p.loaded.close();
    await p.session.release();
  }
  await workerRuntime?.close();

  if (!args.json) {
    console.log(
      `model ${result.model} on ${result.provider}${workers > 0 ? ` in ${workers} worker thread(s)` : ""}, ${ROWS} rows (${rowSource}), ${CONCURRENCY} in flight, ${result.cpus} CPUs`,
    );
    if (escalated !== undefined)
      console.log(`  escalated to the decider: ${(escalated * 100).toFixed(1)} % of rows`);
    console.log(`  per-event sequential   ${result.perEventSequentialRowsPerSec.toLocaleString()} rows/s`);
    console.log(`  per-event concurrent   ${result.perEventConcurrentRowsPerSec.toLocaleString()} rows/s`);
    console.log(
      `  micro-batched          ${result.microBatchedRowsPerSec.toLocaleString()} rows/s (mean batch ${result.meanBatchSize})`,
    );
    console.log(
      `  ratio                  ${result.ratioVsSequential}x vs sequential, ${result.ratioVsConcurrent}x vs concurrent`,
    );
    const pc = result.rowsPerCpuSecond;
    console.log(
      `  rows per CPU-second    per-event ${pc.perEventSequential.toLocaleString()} / ${pc.perEventConcurrent.toLocaleString()}, batched ${pc.microBatched.toLocaleString()} (${result.cpuRatioVsSequential}x)`,
    );
    for (const l of latency) {
      console.log(
        `  open loop at ${l.offeredRowsPerSec.toLocaleString()} rows/s (${l.share * 100}% of the per-event max):`,
      );
      console.log(`    per-event     latency p50 ${l.perEventMs.p50} ms  p99 ${l.perEventMs.p99} ms`);
      console.log(`    micro-batched latency p50 ${l.batchedMs.p50} ms  p99 ${l.batchedMs.p99} ms`);
      console.log(
        `    batching: queue wait p50 ${l.queueWaitMs.p50} ms  p99 ${l.queueWaitMs.p99} ms;` +
          ` added vs per-event p50 ${l.addedMs.p50} ms  p99 ${l.addedMs.p99} ms`,
      );
    }
  }
  console.log(JSON.stringify(result));
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
