/**
 * Where the time goes: runs one contender (bench/worker.ts) under the V8 sampling profiler (the same
 * profile `node --cpu-prof` writes, but only for the measured phase: publishing the dataset and
 * loading models are left out), then summarizes the .cpuprofile by owner — each sample is charged to
 * the nearest frame that belongs to a package or an app folder (a Buffer read called by KafkaJS's
 * decoder counts as KafkaJS) — and lists the top functions by self time.
 *
 *   npx tsx bench/profile.ts [--contender pipeline-fused] [--out /tmp/verdict-bench/pipeline-fused.cpuprofile]
 *   npx tsx bench/profile.ts --summarize some.cpuprofile      (summarize an existing profile)
 *
 * ONNX Runtime runs session.run on its own threads: the main-thread profile shows only the JS side
 * of inference (encoding rows, the batcher, awaiting results).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { cli } from "./lib/cli.ts";
import { freshPrefix, spawnWorker, workerArgs } from "./lib/orchestrate.ts";
import { datasetSpecs } from "./lib/specs.ts";
import { table } from "./lib/stats.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const OWNERS: [RegExp, string][] = [
  [/node_modules\/(kafkajs|long)\//, "KafkaJS (protocol, fetch, produce, group)"],
  [/node_modules\/avsc\//, "Avro (avsc encode/decode)"],
  [/node_modules\/@kafkajs\/confluent-schema-registry\//, "schema registry client"],
  [/node_modules\/onnxruntime-(node|common)\//, "ONNX Runtime (JS side)"],
  [/node_modules\/ioredis\//, "ioredis"],
  [/node_modules\/pino/, "pino (logging)"],
  [/node_modules\/zod\//, "zod"],
  [/node_modules\/(tsx|esbuild|get-tsconfig)\//, "tsx loader"],
  [/node_modules\//, "other packages"],
  [/\/schemas\//, "codec (schemas/)"],
  [/\/consumers\/runtime\//, "stage runner (consumers/runtime)"],
  [/\/consumers\/ingest\//, "ingest stage"],
  [/\/consumers\/features\//, "features stage"],
  [/\/consumers\/inference\//, "inference stage (batcher, encode)"],
  [/\/consumers\/scoring\//, "scoring stage"],
  [/\/lib\/trace\//, "trace/headers (lib/trace)"],
  [/\/lib\//, "lib/ (errors, retry, config)"],
  [/\/bench\//, "benchmark harness"],
  [/\/topology\//, "topology"],
];

function ownerOf(frame: CallFrame): string | undefined {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(idle)") return "idle (waiting on I/O)";
  if (functionName === "(program)") return "(program: native, not attributed)";
  if (!url) return undefined;
  for (const [re, name] of OWNERS) if (re.test(url)) return name;
  return undefined; // node: internals and builtins: charged to the caller
}

export interface ProfileSummary {
  totalMs: number;
  owners: { owner: string; ms: number; share: number }[];
  top: { fn: string; ms: number; share: number }[];
}

export function summarize(profile: CpuProfile, topN = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, string>();
  const ownerFor = (id: number): string => {
    const known = owner.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const own = ownerOf(node.callFrame);
    const p = parent.get(id);
    const value = own ?? (p === undefined ? "node core / builtins (no JS caller)" : ownerFor(p));
    owner.set(id, value);
    return value;
  };
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const owners = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, ms] of self) {
    const o = ownerFor(id);
    owners.set(o, (owners.get(o) ?? 0) + ms);
    const f = byId.get(id)!.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(node_modules\/|work\/main\/)/, "")}:${f.lineNumber + 1}`
      : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + ms);
  }
  const sortDesc = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total,
    owners: sortDesc(owners).map(([o, ms]) => ({ owner: o, ms, share: ms / total })),
    top: sortDesc(fns)
      .slice(0, topN)
      .map(([fn, ms]) => ({ fn, ms, share: ms / total })),
  };
}

export function printSummary(s: ProfileSummary, title: string): string {
  const busy = s.owners.filter((o) => !o.owner.startsWith("idle")).reduce((n, o) => n + o.ms, 0);
  const out = [
    `${title}: ${(s.totalMs / 1000).toFixed(1)} s sampled on the main thread, ${(busy / 1000).toFixed(1)} s busy`,
    "",
    table(
      ["owner (sample charged to nearest package/app frame)", "ms", "% of all", "% of busy"],
      s.owners.map((o) => [
        o.owner,
        o.ms.toFixed(0),
        (o.share * 100).toFixed(1),
        o.owner.startsWith("idle") ? "" : ((o.ms / busy) * 100).toFixed(1),
      ]),
    ),
    "",
    table(
      ["top functions by self time", "ms", "%"],
      s.top.map((t) => [t.fn.slice(0, 110), t.ms.toFixed(0), (t.share * 100).toFixed(1)]),
    ),
  ];
  return out.join("\n");
}

async function main(): Promise<void> {
  const args = cli(
    "Profiles one contender's measured phase and summarizes where main-thread time goes.",
    "npx tsx bench/profile.ts [options]",
    {
      contender: { type: "string", default: "pipeline-fused", help: "see bench/worker.ts --help" },
      ...datasetSpecs,
      "partitions-concurrency": {
        type: "string",
        default: "18",
        help: "runner partitionsConsumedConcurrently",
      },
      "onnx-threads": { type: "string", help: "ONNX Runtime intraOpNumThreads (default: the app's)" },
      "onnx-workers": {
        type: "string",
        help: "worker threads running ONNX Runtime (0: event-loop thread; default: the app's, 1)",
      },
      "fraud-model": { type: "string", help: "fraud model name (default: the app's, fraud-gbt)" },
      out: {
        type: "string",
        help: "where to write the .cpuprofile (default /tmp/verdict-bench/<contender>.cpuprofile)",
      },
      summarize: { type: "string", help: "only summarize this existing .cpuprofile" },
      top: { type: "string", default: "25", help: "functions listed" },
    },
  );
  let file = args.summarize;
  if (!file) {
    file = args.out ?? `/tmp/verdict-bench/${args.contender}.cpuprofile`;
    mkdirSync(dirname(file), { recursive: true });
    const w = spawnWorker(
      [
        "--contender",
        args.contender,
        ...workerArgs(args),
        ...(args["fraud-model"] ? ["--fraud-model", args["fraud-model"]] : []),
        "--profile",
        file,
      ],
      freshPrefix("prof"),
    );
    const code = await w.exited;
    const line = w.lines.find((l) => l.startsWith("RESULT "));
    if (code !== 0 || !line) throw new Error(`profiled run failed (exit ${code}):\n${w.errors()}`);
    const r = JSON.parse(line.slice(7)) as { records: number; seconds: number; rate: number };
    process.stdout.write(
      `${args.contender} (profiled, so slower than unprofiled): ${r.records} records in ${r.seconds.toFixed(2)} s = ${r.rate.toFixed(0)} records/s\nprofile: ${file}\n\n`,
    );
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  process.stdout.write(
    `${printSummary(summarize(profile, Number(args.top)), args.summarize ? file : args.contender)}\n`,
  );
}

if (process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href) {
  await main();
}
