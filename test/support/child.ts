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

export function spawnVerdict(args: string[], env: Record<string, string> = {}): Child {
  // `node --import tsx` keeps it one process: the tsx CLI would fork a child that SIGKILL would orphan.
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bin", "verdict.ts"), ...args], {
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
