/**
 * Runs `verdict` CLI commands as child processes for crash tests: same environment as the test
 * (stack endpoints, topic prefix), output captured for diagnosis, kill -9 on demand.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Child {
  process: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown hook runs, nothing is flushed or committed. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `entry`: the CLI to run, bin/verdict.ts by default (through tsx), or a compiled one such as
 * dist/bin/verdict.js (plain node).
 */
export function spawnVerdict(
  args: string[],
  env: Record<string, string> = {},
  entry = join(ROOT, "bin", "verdict.ts"),
): Child {
  // `node --import tsx` keeps it one process: the tsx CLI would fork a child that SIGKILL would orphan.
  const loader = entry.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...loader, entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out = (out + d.toString()).slice(-20_000);
  });
  child.stderr?.on("data", (d) => {
    out = (out + d.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    process: child,
    output: () => out,
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

/** A throwaway redis-server on a free loopback port, restartable, for failure tests. */
export interface ThrowawayRedis {
  url: string;
  kill9(): Promise<void>;
  start(): Promise<void>;
}

export async function throwawayRedis(): Promise<ThrowawayRedis> {
  const { createServer } = await import("node:net");
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    const { Redis } = await import("ioredis");
    const client = new Redis(`redis://127.0.0.1:${port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => {}); // refusals until the server listens are the point of this probe
    for (let i = 0; i < 50; i++) {
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return;
      } catch {
        client.disconnect();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`redis-server on ${port} did not start`);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async kill9() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await exited;
    },
  };
}
