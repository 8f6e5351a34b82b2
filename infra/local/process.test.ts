import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  cmdlineMatches,
  ourLivePid,
  readCmdline,
  spawnDetached,
  stopPid,
  withLock,
  writePidFile,
} from "./process.ts";

const dir = mkdtempSync(join(tmpdir(), "verdict-process-"));
const spawned: number[] = [];

/** A harmless long-running process whose command line carries a unique tag. */
async function sleeper(tag: string): Promise<number> {
  const pid = await spawnDetached({
    command: process.execPath,
    args: ["-e", "setTimeout(() => {}, 60000)", tag],
    cwd: dir,
    outFile: join(dir, `${tag}.out`),
  });
  spawned.push(pid);
  return pid;
}

afterEach(() => {
  for (const pid of spawned.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

describe("cmdlineMatches", () => {
  it("needs every marker", () => {
    const argv = ["java", "-cp", "/x/lib/*", "kafka.Kafka", "/state/kafka/server.properties"];
    expect(cmdlineMatches(argv, ["kafka.Kafka", "/state/kafka/server.properties"])).toBe(true);
    expect(cmdlineMatches(argv, ["kafka.Kafka", "/other/kafka/server.properties"])).toBe(false);
  });

  it("never matches a missing process or an empty marker list", () => {
    expect(cmdlineMatches(undefined, ["x"])).toBe(false);
    expect(cmdlineMatches(["x"], [])).toBe(false);
  });
});

describe("PID files and stopping", () => {
  it("reads our own command line", () => {
    expect(readCmdline(process.pid)?.join(" ")).toContain("node");
    expect(readCmdline(2 ** 22 + 1)).toBeUndefined();
  });

  it("keeps a PID file whose process still matches, drops a stale one", async () => {
    const tag = `verdict-test-${process.pid}-live`;
    const pid = await sleeper(tag);
    const pidFile = join(dir, "live.pid");
    writePidFile(pidFile, pid);
    expect(ourLivePid(pidFile, [tag])).toBe(pid);
    // Same PID, but the markers say it's someone else's process now: the file is stale.
    expect(ourLivePid(pidFile, ["not-our-command"])).toBeUndefined();
    expect(existsSync(pidFile)).toBe(false);
  });

  it("drops a garbage PID file", () => {
    const pidFile = join(dir, "garbage.pid");
    writeFileSync(pidFile, "not a pid\n");
    expect(ourLivePid(pidFile, ["x"])).toBeUndefined();
    expect(existsSync(pidFile)).toBe(false);
  });

  it("refuses to signal a process whose command line does not match", async () => {
    const pid = await sleeper(`verdict-test-${process.pid}-foreign`);
    expect(await stopPid(pid, ["some-other-service"], 1000)).toBe("not-running");
    expect(readCmdline(pid)).toBeDefined();
  });

  it("stops a matching process with SIGTERM", async () => {
    const tag = `verdict-test-${process.pid}-stop`;
    const pid = await sleeper(tag);
    expect(await stopPid(pid, [tag], 5000)).toBe("stopped");
    expect(cmdlineMatches(readCmdline(pid), [tag])).toBe(false);
  });

  it("falls back to SIGKILL when SIGTERM is ignored", async () => {
    const tag = `verdict-test-${process.pid}-stubborn`;
    const pid = await spawnDetached({
      command: process.execPath,
      args: ["-e", "process.on('SIGTERM', () => {}); setTimeout(() => {}, 60000)", tag],
      cwd: dir,
      outFile: join(dir, "stubborn.out"),
    });
    spawned.push(pid);
    await new Promise((r) => setTimeout(r, 300)); // let it install the handler
    expect(await stopPid(pid, [tag], 500)).toBe("killed");
    expect(cmdlineMatches(readCmdline(pid), [tag])).toBe(false);
  });
});

describe("withLock", () => {
  it("serializes callers and takes over a lock left by a dead process", async () => {
    const lock = join(dir, "stack.lock");
    writeFileSync(lock, "999999999\n"); // no such process
    const order: string[] = [];
    await Promise.all([
      withLock(lock, 5000, async () => {
        order.push("a-start");
        await new Promise((r) => setTimeout(r, 100));
        order.push("a-end");
      }),
      withLock(lock, 5000, async () => {
        order.push("b-start");
        order.push("b-end");
      }),
    ]);
    expect(
      order.indexOf("a-end") + 1 === order.indexOf("b-start") ||
        order.indexOf("b-end") + 1 === order.indexOf("a-start"),
    ).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});
