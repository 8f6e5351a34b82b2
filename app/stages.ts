/**
 * Which stages exist and how each is built from the app's ports. Split mode runs one of these per
 * consumer group; fused mode chains several with fuse(). Same stage code either way.
 */

import { createIngestStage, memoryDedupe, redisDedupe } from "../consumers/ingest/index.ts";
import type { Stage } from "../consumers/runtime/index.ts";
import { VerdictError } from "../lib/errors/index.ts";
import type { AppDeps } from "./deps.ts";

export type StateBackend = "memory" | "redis";

export interface StageBuildOptions {
  /** Where stage state lives: "memory" (single embedded process) or "redis" (split, many consumers). */
  state: StateBackend;
}

type Builder = (deps: AppDeps, options: StageBuildOptions) => Stage | Promise<Stage>;

const builders = new Map<string, Builder>([
  [
    "ingest",
    (deps, o) =>
      createIngestStage({ dedupe: o.state === "redis" ? redisDedupe(deps.redis()) : memoryDedupe() }),
  ],
]);

/** Registers a stage builder (each stage module adds itself in app/register.ts). */
export function registerStage(name: string, builder: Builder): void {
  builders.set(name, builder);
}

export function stageNames(): string[] {
  return [...builders.keys()];
}

export async function buildStage(name: string, deps: AppDeps, options: StageBuildOptions): Promise<Stage> {
  const builder = builders.get(name);
  if (!builder) {
    throw new VerdictError(
      "VERDICT_ERR_CONFIG",
      `Unknown stage "${name}" (known: ${stageNames().join(", ")})`,
    );
  }
  return builder(deps, options);
}
