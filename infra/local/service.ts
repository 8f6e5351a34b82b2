/**
 * The lifecycle every stack service shares: detect our running process, refuse taken ports,
 * prepare (fetch/configure/format), spawn detached, wait for health, stop by PID. The service
 * files (kafka.ts, registry.ts, redis.ts) only describe themselves as a ServiceSpec.
 */
import { rmSync } from "node:fs";
import { VerdictError } from "../../lib/errors/index.ts";
import { tailFile, waitUntil } from "./health.ts";
import { portEnvName, type StackOptions } from "./options.ts";
import { findPortHolder, isPortFree } from "./ports.ts";
import {
  cmdlineMatches,
  type LaunchCommand,
  ourLivePid,
  readCmdline,
  type StopResult,
  spawnDetached,
  stopPid,
  writePidFile,
} from "./process.ts";
import type { ServiceName, ServiceStatus } from "./types.ts";

export interface ServiceSpec {
  name: ServiceName;
  /** Human-readable endpoint(s) for status lines. */
  endpoint: string;
  /** Ports the process will bind; checked before starting. */
  ports: { key: keyof StackOptions["ports"]; port: number }[];
  pidFile: string;
  /** Logs whose tails explain a failure, most telling first. logFiles[0] is shown by `status`. */
  logFiles: string[];
  /** Substrings of /proc/<pid>/cmdline that identify our process (include a state-dir path). */
  markers: string[];
  /** Everything before the process can start (fetch, configure, format). Returns how to start it. */
  prepare(): Promise<LaunchCommand>;
  healthy(timeoutMs?: number): Promise<boolean>;
  /** How long SIGTERM may take before SIGKILL. */
  stopGraceMs: number;
}

export interface EnsureResult {
  pid: number;
  started: boolean;
}

function logTails(spec: ServiceSpec): string {
  return spec.logFiles
    .map((file) => ({ file, tail: tailFile(file, 25) }))
    .filter((t) => t.tail)
    .map((t) => `--- ${t.file} (last lines) ---\n${t.tail}`)
    .join("\n");
}

function unhealthy(spec: ServiceSpec, why: string, pid?: number): VerdictError {
  return new VerdictError(
    "VERDICT_ERR_STACK_UNHEALTHY",
    `${spec.name} ${why}.\n${logTails(spec) || "(no log output)"}\nFull logs: ${spec.logFiles.join(", ")}`,
    { context: { service: spec.name, pid } },
  );
}

export async function serviceStatus(spec: ServiceSpec): Promise<ServiceStatus> {
  const pid = ourLivePid(spec.pidFile, spec.markers);
  const base = { name: spec.name, endpoint: spec.endpoint, logFile: spec.logFiles[0] ?? "" };
  if (pid === undefined) return { ...base, state: "stopped" };
  return { ...base, pid, state: (await spec.healthy()) ? "running" : "unhealthy" };
}

async function assertPortsFree(spec: ServiceSpec): Promise<void> {
  for (const { key, port } of spec.ports) {
    if (await isPortFree(port)) continue;
    const holder = findPortHolder(port);
    const who = holder ? `pid ${holder.pid} (${holder.command})` : "another process";
    throw new VerdictError(
      "VERDICT_ERR_STACK_PORT_BUSY",
      `${spec.name} needs port ${port}, but ${who} listens on it. Stop that process, or set ` +
        `${portEnvName(key)} to a free port.`,
      { context: { service: spec.name, port, holderPid: holder?.pid } },
    );
  }
}

/** Idempotent: a healthy process of ours is left alone; otherwise start one and wait for health. */
export async function ensureRunning(spec: ServiceSpec, timeoutMs: number): Promise<EnsureResult> {
  const existing = ourLivePid(spec.pidFile, spec.markers);
  if (existing !== undefined) {
    // Ours and alive: healthy now, or still starting (an `up` that was interrupted).
    const gone = () => !cmdlineMatches(readCmdline(existing), spec.markers);
    if (await waitUntil(() => spec.healthy(), timeoutMs, { abort: gone }))
      return { pid: existing, started: false };
    throw unhealthy(
      spec,
      `(pid ${existing}) is running but not healthy; try \`npm run stack:down\` then up`,
      existing,
    );
  }
  await assertPortsFree(spec);
  const launch = await spec.prepare();
  let pid: number;
  try {
    pid = await spawnDetached(launch);
  } catch (cause) {
    throw new VerdictError("VERDICT_ERR_STACK_UNHEALTHY", `${spec.name}: cannot start ${launch.command}`, {
      cause,
    });
  }
  writePidFile(spec.pidFile, pid);
  const exited = () => !cmdlineMatches(readCmdline(pid), spec.markers);
  const ok = await waitUntil(() => spec.healthy(), timeoutMs, { abort: exited });
  if (ok) return { pid, started: true };
  if (exited()) {
    rmSync(spec.pidFile, { force: true });
    throw unhealthy(spec, "exited during startup", pid);
  }
  // Don't leave a half-started process behind: the next `up` starts clean.
  await stopPid(pid, spec.markers, spec.stopGraceMs);
  rmSync(spec.pidFile, { force: true });
  throw unhealthy(spec, `was not healthy after ${Math.round(timeoutMs / 1000)} s and was stopped`, pid);
}

export async function stopService(spec: ServiceSpec): Promise<{ pid?: number; result: StopResult }> {
  const pid = ourLivePid(spec.pidFile, spec.markers);
  if (pid === undefined) return { result: "not-running" };
  const result = await stopPid(pid, spec.markers, spec.stopGraceMs);
  rmSync(spec.pidFile, { force: true });
  return { pid, result };
}
