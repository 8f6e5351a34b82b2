/**
 * Orchestration: the three services start concurrently (the JVMs dominate; Redis is instant),
 * under a lock so concurrent `up`s on one state dir don't race. Every call is idempotent.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { VerdictError } from "../../lib/errors/index.ts";
import { kafkaService } from "./kafka.ts";
import { SCRAM_USER } from "./kafka-config.ts";
import { resolveStackOptions, type StackOptions, type StackOptionsInput } from "./options.ts";
import { withLock } from "./process.ts";
import { redisService } from "./redis.ts";
import { CCOMPAT_PATH, registryService } from "./registry.ts";
import { ensureRunning, type ServiceSpec, serviceStatus, stopService } from "./service.ts";
import type { ServiceName, ServiceStatus, StackEndpoints, StackUpResult } from "./types.ts";

export interface StackCallOptions extends StackOptionsInput {
  /** Receives one human-readable line per service. Default: silent. */
  print?: (line: string) => void;
}

/** A cold start with downloads can take minutes; a waiting `up` must outlast it. */
const LOCK_WAIT_MS = 15 * 60_000;

export function serviceSpecs(opts: StackOptions): ServiceSpec[] {
  return [kafkaService(opts), registryService(opts), redisService(opts)];
}

export function stackEndpoints(opts: StackOptions): StackEndpoints {
  const { host, ports } = opts;
  return {
    brokers: [`${host}:${ports.kafka}`],
    saslBrokers: [`${host}:${ports.kafkaSasl}`],
    registryUrl: `http://${host}:${ports.registry}${CCOMPAT_PATH}`,
    redisUrl: `redis://${host}:${ports.redis}`,
    scram: { username: SCRAM_USER.username, password: SCRAM_USER.password, mechanism: "scram-sha-256" },
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function statusLine(s: ServiceStatus, note?: string): string {
  const pid = s.pid ? `pid ${s.pid}` : "";
  return `${s.name.padEnd(9)} ${(note ?? s.state).padEnd(22)} ${pid.padEnd(12)} ${s.endpoint}`.trimEnd();
}

export async function stackUp(input: StackCallOptions = {}): Promise<StackUpResult> {
  const opts = resolveStackOptions(input);
  const print = input.print ?? (() => undefined);
  return withLock(join(opts.stateDir, "stack.lock"), LOCK_WAIT_MS, async () => {
    const specs = serviceSpecs(opts);
    const settled = await Promise.allSettled(
      specs.map(async (spec) => {
        const t0 = Date.now();
        try {
          const r = await ensureRunning(spec, opts.startTimeoutMs);
          const note = r.started ? `started in ${seconds(Date.now() - t0)}` : "already running";
          print(
            statusLine(
              { name: spec.name, state: "running", pid: r.pid, endpoint: spec.endpoint, logFile: "" },
              note,
            ),
          );
          return { spec, ...r };
        } catch (err) {
          print(`${spec.name.padEnd(9)} FAILED after ${seconds(Date.now() - t0)}`);
          throw err;
        }
      }),
    );
    const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
    if (failures.length > 0) {
      // Leave nothing half-up: stop what this call started (services that were already running stay).
      for (const s of settled) {
        if (s.status === "fulfilled" && s.value.started) {
          await stopService(s.value.spec).catch(() => undefined);
          print(`${s.value.spec.name.padEnd(9)} stopped again (another service failed)`);
        }
      }
      throw combine(failures);
    }
    const ok = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const services: ServiceStatus[] = ok.map((r) => ({
      name: r.spec.name,
      state: "running",
      pid: r.pid,
      endpoint: r.spec.endpoint,
      logFile: r.spec.logFiles[0] ?? "",
    }));
    const started: ServiceName[] = ok.filter((r) => r.started).map((r) => r.spec.name);
    return { ...stackEndpoints(opts), services, started };
  });
}

/** One failure is rethrown as is; several become one error listing each (the first is the cause). */
function combine(failures: unknown[]): unknown {
  if (failures.length === 1) return failures[0];
  const first = failures[0] as VerdictError;
  const text = failures.map((f) => (f instanceof Error ? f.message : String(f))).join("\n\n");
  return new VerdictError(first instanceof VerdictError ? first.code : "VERDICT_ERR_STACK_UNHEALTHY", text, {
    cause: first,
  });
}

export interface StackDownOptions extends StackCallOptions {
  /** Also delete the state dir (Kafka data, registry database, logs). */
  purge?: boolean;
}

export async function stackDown(input: StackDownOptions = {}): Promise<ServiceStatus[]> {
  const opts = resolveStackOptions(input);
  const print = input.print ?? (() => undefined);
  return withLock(join(opts.stateDir, "stack.lock"), LOCK_WAIT_MS, async () => {
    const specs = serviceSpecs(opts);
    const results = await Promise.all(
      specs.map(async (spec) => {
        const t0 = Date.now();
        const { pid, result } = await stopService(spec);
        const note = result === "not-running" ? "not running" : `${result} in ${seconds(Date.now() - t0)}`;
        const status: ServiceStatus = {
          name: spec.name,
          state: "stopped",
          endpoint: spec.endpoint,
          logFile: "",
        };
        print(statusLine({ ...status, pid }, note));
        return status;
      }),
    );
    if (input.purge) {
      rmSync(opts.stateDir, { recursive: true, force: true });
      print(`purged ${opts.stateDir}`);
    }
    return results;
  });
}

export async function stackStatus(input: StackCallOptions = {}): Promise<{
  endpoints: StackEndpoints;
  services: ServiceStatus[];
}> {
  const opts = resolveStackOptions(input);
  const services = await Promise.all(serviceSpecs(opts).map((spec) => serviceStatus(spec)));
  for (const s of services) input.print?.(statusLine(s));
  return { endpoints: stackEndpoints(opts), services };
}
