/**
 * Benchmarks measure the code as production runs it: compiled to JavaScript (`npm run build`, plain
 * node), not through tsx's on-the-fly transform (whose esbuild output wraps every named function in
 * a `__name(...)` call and carries inline source maps). The orchestrators build the runtime code and
 * bench/ once per invocation into .verdict/bench-dist (tsconfig.bench.json) and run every contender,
 * the baseline too, from there. VERDICT_BENCH_RUNTIME=tsx runs the TypeScript sources instead.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { packagePath } from "../../lib/paths/index.ts";

export type BenchRuntime = "compiled" | "tsx";

export function benchRuntime(env: NodeJS.ProcessEnv = process.env): BenchRuntime {
  const value = env.VERDICT_BENCH_RUNTIME ?? "compiled";
  if (value !== "compiled" && value !== "tsx") {
    throw new Error(`VERDICT_BENCH_RUNTIME must be "compiled" or "tsx", not "${value}"`);
  }
  return value;
}

const OUT_DIR = packagePath(".verdict", "bench-dist");
/** Set once built, so child orchestrators (a latency sweep's runs) reuse the build. */
const BUILT_ENV = "VERDICT_BENCH_BUILT";

/** Builds .verdict/bench-dist unless this process or its parent already did (compiled runtime only). */
export function ensureBenchBuild(runtime: BenchRuntime = benchRuntime()): void {
  if (runtime === "tsx" || process.env[BUILT_ENV] === OUT_DIR) return;
  execFileSync(
    process.execPath,
    [packagePath("infra", "build", "build.mjs"), OUT_DIR, "--project", "tsconfig.bench.json"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  process.env[BUILT_ENV] = OUT_DIR;
}

/** `node` arguments that run bench/<script> (e.g. "worker") in the given runtime, building it first if needed. */
export function benchEntry(script: string, runtime: BenchRuntime = benchRuntime()): string[] {
  if (runtime === "tsx") return ["--import", "tsx", packagePath("bench", `${script}.ts`)];
  ensureBenchBuild(runtime);
  return [join(OUT_DIR, "bench", `${script}.js`)];
}
