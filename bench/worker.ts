/**
 * One benchmark contender in one process, under its own topic namespace (the orchestrators spawn it
 * with a fresh VERDICT_TOPIC_PREFIX): create the topics, publish the deterministic dataset, run the
 * contender until every input record has gone through, print one `RESULT {json}` line, clean up.
 *
 *   VERDICT_TOPIC_PREFIX=bench-x. npx tsx bench/worker.ts --contender pipeline-fused [--profile f.cpuprofile]
 *
 * Contenders (input topics in brackets; "all" = transactions + labels + posts):
 *   passthrough-ingest   raw KafkaJS consume→produce [transactions, posts]
 *   passthrough-all      raw KafkaJS consume→produce [all]
 *   ingest               the ingest stage alone, in-memory dedupe [transactions, posts]
 *   ingest+features-fused  ingest→features fused in one group, in-memory store [all]
 *   ingest+features-split  two groups, Redis dedupe + Redis feature store [all]
 *   pipeline-fused       ingest→features→inference→scoring fused, per-key, in-memory (the embedded default) [all]
 *   pipeline-split       four groups in this one process, Redis state (as `verdict stage` runs them) [all]
 *   serve                the fused pipeline on live input until SIGTERM (bench/latency.ts); no dataset
 */
import { loadavg } from "node:os";
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import type { AppDeps } from "../app/deps.ts";
import { buildStage, PIPELINE, StageContext } from "../app/stages.ts";
import { createStageRunner, fuse, type Stage, type StageRunner } from "../consumers/runtime/index.ts";
import { TOPICS } from "../topology/index.ts";
import { cli, num } from "./lib/cli.ts";
import {
  benchDeps,
  cleanupBench,
  createBenchTopics,
  type DatasetCounts,
  passthroughTopic,
  publishDataset,
  requirePrefix,
} from "./lib/env.ts";
import { busyCores, cpuSnapshot } from "./lib/machine.ts";
import { Meter } from "./lib/meter.ts";
import { startProfiling } from "./lib/profiling.ts";
import { datasetSpecs } from "./lib/specs.ts";
import { startPassthrough } from "./passthrough.ts";

export const CONTENDERS = [
  "passthrough-ingest",
  "passthrough-all",
  "ingest",
  "ingest+features-fused",
  "ingest+features-split",
  "pipeline-fused",
  "pipeline-split",
  "serve",
] as const;
export type Contender = (typeof CONTENDERS)[number];

const args = cli(
  "Runs one benchmark contender (spawned by the orchestrators).",
  "bench/worker.ts --contender <name>",
  {
    contender: { type: "string", help: `one of ${CONTENDERS.join(", ")}` },
    ...datasetSpecs,
    "partitions-concurrency": {
      type: "string",
      default: "18",
      help: "runner partitionsConsumedConcurrently",
    },
    "chunk-size": {
      type: "string",
      default: "500",
      help: "runner chunkSize (records per produce+commit unit)",
    },
    "max-in-flight": {
      type: "string",
      default: "500",
      help: "runner maxInFlight (per-key records in flight per chunk)",
    },
    "pipeline-depth": {
      type: "string",
      default: "1",
      help: "runner pipelineDepth (at-least-once chunks per partition awaiting acknowledgement while the next are processed; 0 = none; the runner's default)",
    },
    "commit-interval-ms": {
      type: "string",
      default: "100",
      help: "runner commitIntervalMs (at-least-once offset commits at most this often; the runner's default)",
    },
    "linger-ms": {
      type: "string",
      default: "2",
      help: "runner lingerMs (at-least-once produce requests wait up to this long for more outputs; the runner's default)",
    },
    "fetch-min-bytes": { type: "string", default: "1", help: "runner fetchMinBytes (the runner's default)" },
    "fetch-max-wait-ms": {
      type: "string",
      default: "5000",
      help: "runner fetchMaxWaitMs (the runner's default)",
    },
    "max-bytes-per-partition": {
      type: "string",
      default: "2097152",
      help: "runner maxBytesPerPartition (fetch bound per partition; the runner's default)",
    },
    "max-bytes": {
      type: "string",
      default: "16777216",
      help: "runner maxBytes (fetch bound; the runner's default)",
    },
    "onnx-threads": {
      type: "string",
      help: "ONNX Runtime intraOpNumThreads for the inference stage (default: the app's, i.e. ONNX Runtime's)",
    },
    "fraud-model": {
      type: "string",
      help: "fraud model name in models/ for the inference stage (default: the app's, fraud-gbt)",
    },
    "onnx-workers": {
      type: "string",
      help: "worker threads running ONNX Runtime (0: on the event-loop thread; default: the app's, 1)",
    },
    "release-keys": {
      type: "string",
      default: "true",
      help: "fused: release a record's key lane at the stateless tail (inference, scoring) (default true)",
    },
    "fraud-screen": {
      type: "string",
      help: "model cascade: this screen model (e.g. fraud-mlp) clears records before the fraud model (default: none)",
    },
    explain: {
      type: "string",
      help: "occlusion contributions for flagged scores (inference explain.contributions: true | false; default: the app's, true)",
    },
    "timeout-s": { type: "string", default: "600", help: "give up after this long" },
    profile: { type: "string", help: "write a V8 CPU profile of the measured phase to this file" },
    "heap-profile": {
      type: "string",
      help: "write a V8 sampling heap profile (allocations by function) of the measured phase to this file",
    },
    keep: { type: "boolean", default: false, help: "keep the topics (default: delete them at the end)" },
  },
);

const contender = args.contender as Contender;
if (!CONTENDERS.includes(contender)) {
  process.stderr.write(`--contender must be one of ${CONTENDERS.join(", ")}\n`);
  process.exit(2);
}
const prefix = requirePrefix();
const runnerSettings = {
  partitionsConsumedConcurrently: num(args, "partitions-concurrency"),
  maxInFlight: num(args, "max-in-flight"),
  pipelineDepth: num(args, "pipeline-depth"),
  commitIntervalMs: num(args, "commit-interval-ms"),
  lingerMs: num(args, "linger-ms"),
  fetchMinBytes: num(args, "fetch-min-bytes"),
  fetchMaxWaitMs: num(args, "fetch-max-wait-ms"),
  chunkSize: num(args, "chunk-size"),
  maxBytesPerPartition: num(args, "max-bytes-per-partition"),
  maxBytes: num(args, "max-bytes"),
};

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface Running {
  /** Input records the contender consumes (the throughput numerator). */
  records: number;
  /** Records each meter stage must reach. */
  expected: Record<string, number>;
  /** Meter stage whose outputs are the final outputs (verdicts...). */
  final: string;
  stop(): Promise<void>;
}

function runners(deps: AppDeps, meter: Meter, stages: Stage[]): StageRunner[] {
  return stages.map((stage) =>
    createStageRunner(
      stage,
      { kafka: deps.kafka, codec: deps.codec, logger: deps.logger, instrumentation: meter },
      { ...runnerSettings, groupId: `${prefix}bench.${stage.name}` },
    ),
  );
}

async function startContender(deps: AppDeps, meter: Meter, data: DatasetCounts): Promise<Running> {
  const txPosts = data.transactions + data.posts;
  const all = data.total;
  if (contender === "passthrough-ingest" || contender === "passthrough-all") {
    const inputs = [TOPICS.transactionCreated.name, TOPICS.postSubmitted.name];
    if (contender === "passthrough-all") inputs.push(TOPICS.fraudLabelReported.name);
    const p = await startPassthrough({
      kafka: deps.kafka,
      inputs,
      output: passthroughTopic(),
      groupId: `${prefix}bench.passthrough`,
      partitionsConsumedConcurrently: runnerSettings.partitionsConsumedConcurrently,
      meter,
    });
    const records = contender === "passthrough-all" ? all : txPosts;
    return {
      records,
      expected: { passthrough: records },
      final: "passthrough",
      stop: p.stop,
    };
  }
  const state = contender.endsWith("-split") ? "redis" : "memory";
  const onnxThreads = args["onnx-threads"] ? num(args, "onnx-threads") : undefined;
  const inference = {
    ...(onnxThreads ? { intraOpNumThreads: onnxThreads } : {}),
    ...(args["onnx-workers"] !== undefined ? { workers: num(args, "onnx-workers") } : {}),
    ...(args.explain !== undefined ? { explain: { contributions: args.explain !== "false" } } : {}),
    ...(args["fraud-model"] || args["fraud-screen"]
      ? {
          models: {
            fraud: {
              name: args["fraud-model"] ?? "fraud-gbt",
              shadow: [],
              ...(args["fraud-screen"] ? { screen: { name: args["fraud-screen"] } } : {}),
            },
            moderation: { name: "moderation-text", shadow: [] },
          },
        }
      : {}),
  };
  const shared = new StageContext(deps, { state, inference });
  const names: readonly string[] =
    contender === "ingest"
      ? ["ingest"]
      : contender.startsWith("ingest+features")
        ? ["ingest", "features"]
        : PIPELINE;
  const stages = names.map((n) => buildStage(n, shared));
  let units: Stage[];
  let expected: Record<string, number>;
  let final: string;
  if (contender === "ingest") {
    units = stages;
    expected = { ingest: txPosts };
    final = "ingest";
  } else if (contender.endsWith("-fused") || contender === "serve") {
    const name = contender === "serve" ? "pipeline" : contender.replace(/-fused$/, "");
    // The embedded pipeline's choice (app/embedded.ts): per-key, so the micro-batcher fills batches.
    units = [fuse(stages, { name, concurrency: "per-key", releaseKeys: args["release-keys"] !== "false" })];
    expected = { [name]: all };
    final = name;
  } else {
    units = stages;
    expected =
      names.length === 2
        ? { ingest: txPosts, features: all }
        : { ingest: txPosts, features: all, inference: txPosts, scoring: txPosts };
    final = names.at(-1)!;
  }
  const rs = runners(deps, meter, units);
  for (const r of rs) await r.start();
  return {
    records: contender === "ingest" ? txPosts : all,
    expected,
    final,
    async stop() {
      for (const r of rs) await r.stop();
      await shared.close();
    },
  };
}

const profileFiles = { cpu: args.profile, heap: args["heap-profile"] };

async function main(): Promise<void> {
  const deps = benchDeps(`bench-${contender}`);
  const redis = contender.endsWith("-split");
  const timeoutMs = num(args, "timeout-s") * 1000;
  const meter = new Meter();
  try {
    await createBenchTopics(deps);
    if (contender === "serve") {
      const running = await startContender(deps, meter, {
        transactions: 0,
        labels: 0,
        posts: 0,
        total: 0,
        publishMs: 0,
      });
      // How long the event loop stalled and what GC paused, so latency tails can be explained.
      const loopDelay = monitorEventLoopDelay({ resolution: 5 });
      loopDelay.enable();
      const gcPauses: number[] = [];
      const gcKinds: Record<string, { n: number; ms: number; maxMs: number }> = {};
      const gcKindNames: Record<number, string> = {
        [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
        [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
        [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
        [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
      };
      const gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          gcPauses.push(e.duration);
          const kind = gcKindNames[(e as unknown as { detail: { kind: number } }).detail.kind] ?? "other";
          const k = gcKinds[kind] ?? { n: 0, ms: 0, maxMs: 0 };
          gcKinds[kind] = k;
          k.n++;
          k.ms += e.duration;
          k.maxMs = Math.max(k.maxMs, e.duration);
        }
      });
      gcObserver.observe({ entryTypes: ["gc"] });
      const profiling = await startProfiling(profileFiles);
      const cpuAtReady = process.cpuUsage();
      print("READY");
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
        process.stdin.once("end", resolve);
        process.stdin.resume();
      });
      const cpu = process.cpuUsage(cpuAtReady);
      await profiling.stop();
      const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
      loopDelay.disable();
      gcObserver.disconnect();
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      const eventLoopDelayMs = {
        p50: ms(loopDelay.percentile(50)),
        p99: ms(loopDelay.percentile(99)),
        max: ms(loopDelay.max),
      };
      gcPauses.sort((a, b) => a - b);
      const gc = {
        pauses: gcPauses.length,
        totalMs: Math.round(gcPauses.reduce((a, b) => a + b, 0)),
        p99Ms: Math.round((gcPauses[Math.floor(gcPauses.length * 0.99)] ?? 0) * 100) / 100,
        maxMs: Math.round((gcPauses.at(-1) ?? 0) * 100) / 100,
        kinds: gcKinds,
      };
      await running.stop();
      print(
        `RESULT ${JSON.stringify({ contender, stages: Object.fromEntries(meter.stages), eventLoopDelayMs, gc, cpuMs })}`,
      );
      return;
    }
    const data = await publishDataset(deps, {
      customers: num(args, "customers"),
      days: num(args, "days"),
      posts: num(args, "posts"),
      seed: num(args, "seed"),
    });
    await new Promise((r) => setTimeout(r, 1000)); // let the broker settle after the burst
    const profiling = await startProfiling(profileFiles);
    const cpu0 = process.cpuUsage();
    const machine0 = cpuSnapshot();
    const startCalled = performance.timeOrigin + performance.now();
    const running = await startContender(deps, meter, data);
    await meter.waitFor(running.expected, timeoutMs);
    const cpu = process.cpuUsage(cpu0);
    const machineBusy = busyCores(machine0, cpuSnapshot());
    await profiling.stop();
    const { start, end } = meter.window();
    const seconds = (end - start) / 1000;
    const finalStage = meter.stages.get(running.final)!;
    const result = {
      contender,
      prefix,
      data,
      records: running.records,
      seconds,
      rate: running.records / seconds,
      outputs: finalStage.outputs,
      deadLetters: meter.deadLetters(),
      joinMs: start - startCalled,
      // CPU of this process from start() to completion (includes the join): user+system, ms.
      cpuMs: (cpu.user + cpu.system) / 1000,
      loadavg: loadavg()[0],
      // Cores busy machine-wide (this process, the broker, Redis, the registry and other tenants)
      // and this process's share, over the same interval (start() to completion).
      machineBusyCores: machineBusy,
      processCores:
        (cpu.user + cpu.system) / 1000 / (performance.timeOrigin + performance.now() - startCalled),
      stages: Object.fromEntries(meter.stages),
    };
    await running.stop();
    print(`RESULT ${JSON.stringify(result)}`);
  } finally {
    if (!args.keep) await cleanupBench(deps, redis).catch(() => {});
    await deps.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`worker ${contender} failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
