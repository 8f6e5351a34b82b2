import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureRunning, type ServiceSpec, serviceStatus, stopService } from "./service.ts";

const dir = mkdtempSync(join(tmpdir(), "verdict-service-"));

/** A fake service: a node process that listens on a port; healthy = it accepts a connection. */
function fakeSpec(tag: string, port: number, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  const script = `require("net").createServer().listen(${port}, "127.0.0.1")`;
  return {
    name: "redis",
    endpoint: `127.0.0.1:${port}`,
    ports: [{ key: "redis", port }],
    pidFile: join(dir, `${tag}.pid`),
    logFiles: [join(dir, `${tag}.log`)],
    markers: [tag],
    stopGraceMs: 2000,
    prepare: async () => ({
      command: process.execPath,
      args: ["-e", script, tag],
      cwd: dir,
      outFile: join(dir, `${tag}.log`),
    }),
    healthy: () =>
      new Promise((resolve) => {
        const s = createServer();
        // Healthy when the port is taken (by our fake).
        s.once("error", () => resolve(true));
        s.listen(port, "127.0.0.1", () => s.close(() => resolve(false)));
      }),
    ...overrides,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe("service lifecycle", () => {
  it("starts once, then reports the same PID without starting again", async () => {
    const spec = fakeSpec(`verdict-svc-${process.pid}-a`, await freePort());
    cleanups.push(() => stopService(spec));
    const first = await ensureRunning(spec, 10_000);
    expect(first.started).toBe(true);
    const second = await ensureRunning(spec, 10_000);
    expect(second).toEqual({ pid: first.pid, started: false });
    expect((await serviceStatus(spec)).state).toBe("running");
    expect(await stopService(spec)).toEqual({ pid: first.pid, result: "stopped" });
    expect((await serviceStatus(spec)).state).toBe("stopped");
    expect(await stopService(spec)).toEqual({ result: "not-running" });
  });

  it("refuses a busy port and names the holder and the env var", async () => {
    const port = await freePort();
    const blocker: Server = await new Promise((resolve) => {
      const s = createServer().listen(port, "127.0.0.1", () => resolve(s));
    });
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const spec = fakeSpec(`verdict-svc-${process.pid}-b`, port);
    await expect(ensureRunning(spec, 5000)).rejects.toMatchObject({
      code: "VERDICT_ERR_STACK_PORT_BUSY",
      message: expect.stringMatching(new RegExp(`port ${port}.*pid ${process.pid}.*VERDICT_REDIS_PORT`, "s")),
    });
  });

  it("reports a process that dies during startup with its log tail", async () => {
    const tag = `verdict-svc-${process.pid}-c`;
    const spec = fakeSpec(tag, await freePort(), {
      prepare: async () => ({
        command: process.execPath,
        args: ["-e", "console.error('boom: bad config'); process.exit(3)", tag],
        cwd: dir,
        outFile: join(dir, `${tag}.log`),
      }),
    });
    await expect(ensureRunning(spec, 10_000)).rejects.toMatchObject({
      code: "VERDICT_ERR_STACK_UNHEALTHY",
      message: expect.stringContaining("boom: bad config"),
    });
  });
});
