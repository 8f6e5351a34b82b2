/**
 * Detached service processes, tracked by PID files. We only ever signal a PID after checking, via
 * /proc/<pid>/cmdline, that it still runs our command line: PIDs are reused, and a stale PID file
 * must never make us kill somebody else's process.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { VerdictError } from "../../lib/errors/index.ts";
import { sleep } from "../../lib/retry/index.ts";

/** argv of a live process, or undefined when it is gone or a zombie (whose cmdline is empty). */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (raw.length === 0) return undefined;
    return raw.replace(/\0$/, "").split("\0");
  } catch {
    return undefined;
  }
}

/** True when every marker occurs in the command line (markers are absolute paths or class names). */
export function cmdlineMatches(argv: readonly string[] | undefined, markers: readonly string[]): boolean {
  if (!argv || markers.length === 0) return false;
  const joined = argv.join(" ");
  return markers.every((m) => joined.includes(m));
}

/** The PID from a PID file, or undefined when the file is missing or garbage. */
export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${pid}\n`);
}

/** The PID in `pidFile` if that process is alive and still ours; removes a stale PID file. */
export function ourLivePid(pidFile: string, markers: readonly string[]): number | undefined {
  const pid = readPidFile(pidFile);
  if (pid === undefined) {
    if (existsSync(pidFile)) rmSync(pidFile, { force: true });
    return undefined;
  }
  if (cmdlineMatches(readCmdline(pid), markers)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

export interface LaunchCommand {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  outFile: string;
}

/**
 * Starts a process in its own session (detached), so it survives the CLI that started it and a
 * Ctrl-C in that terminal. Resolves with its PID once spawned, rejects if the spawn fails.
 */
export function spawnDetached(launch: LaunchCommand): Promise<number> {
  mkdirSync(dirname(launch.outFile), { recursive: true });
  const fd = openSync(launch.outFile, "a");
  return new Promise((resolve, reject) => {
    const child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env: launch.env ?? process.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    child.once("error", (err) => {
      closeSync(fd);
      reject(err);
    });
    child.once("spawn", () => {
      closeSync(fd);
      child.unref();
      resolve(child.pid as number);
    });
  });
}

export type StopResult = "stopped" | "killed" | "not-running";

/**
 * SIGTERM, wait up to `graceMs` (Kafka's controlled shutdown flushes logs), then SIGKILL. Each
 * signal is sent only while /proc/<pid>/cmdline still matches our markers.
 */
export async function stopPid(
  pid: number,
  markers: readonly string[],
  graceMs = 30_000,
): Promise<StopResult> {
  const ours = () => cmdlineMatches(readCmdline(pid), markers);
  if (!ours()) return "not-running";
  signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!ours()) return "stopped";
  }
  if (!ours()) return "stopped";
  signal(pid, "SIGKILL");
  for (let i = 0; i < 50 && ours(); i++) await sleep(100);
  return "killed";
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/**
 * A lock file so two `stack:up`s (two terminals, two test runs) don't start the same service
 * twice. A lock left by a dead process is taken over.
 */
export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readPidFile(path);
      if (holder === undefined || readCmdline(holder) === undefined) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new VerdictError(
          "VERDICT_ERR_STACK_LOCKED",
          `${path} is held by pid ${holder}; waited ${timeoutMs} ms`,
          {
            retriable: true,
            context: { path, holder },
          },
        );
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
