/**
 * Port checks before starting a service, so a taken port becomes a clear error naming the port,
 * the env var that moves it and the process holding it, instead of a Java stack trace in a log.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { readCmdline } from "./process.ts";

/** True when nothing listens on host:port (we could bind it ourselves). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Socket inodes listening on `port` in a /proc/net/tcp{,6} table. Columns: sl, local_address
 * (hex ip:port), rem_address, st (0A = LISTEN), ..., inode (10th). See proc(5).
 */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes: string[] = [];
  for (const line of procNetTcp.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const localPort = cols[1]?.split(":").pop();
    if (localPort === hexPort && cols[3] === "0A" && cols[9] && cols[9] !== "0") inodes.push(cols[9]);
  }
  return inodes;
}

/** A readable command line: JVM flags and the classpath hide what a java process actually runs. */
export function summarizeCommand(argv: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-cp" || arg === "-classpath") {
      i++;
      continue;
    }
    if (/^-(X|D)/.test(arg)) continue;
    out.push(arg);
  }
  return out.join(" ").slice(0, 200);
}

export interface PortHolder {
  pid: number;
  command: string;
}

/** Best effort (Linux /proc; other users' processes may be unreadable): who listens on `port`. */
export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const inode of listeningInodes(readFileSync(table, "utf8"), port)) inodes.add(`socket:[${inode}]`);
    } catch {
      // No /proc (not Linux) or no IPv6: nothing to add.
    }
  }
  if (inodes.size === 0) return undefined;
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          return { pid: Number(pid), command: summarizeCommand(readCmdline(Number(pid)) ?? []) };
        }
      } catch {
        // The fd closed while we looked.
      }
    }
  }
  return undefined;
}
