/**
 * Test support: a Redis for the feature-store tests. Uses REDIS_URL when it answers; otherwise starts
 * a throwaway `redis-server` (Debian's package) on a free loopback port, so the Redis suite runs
 * wherever the binary is installed. `RedisProcess` can also be killed (-9) and restarted on the same
 * port and data directory, to test surviving a Redis restart. Never used by production code.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/** True when something at `url` answers PING within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(Number(port || 6379), hostname || "127.0.0.1", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class RedisProcess {
  readonly dir = mkdtempSync(join(tmpdir(), "verdict-features-redis-"));
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly persistent: boolean,
  ) {}

  /** Starts redis-server on a free port; `persistent` = AOF with fsync always (kill -9 loses nothing acknowledged). */
  static async start(options: { persistent?: boolean } = {}): Promise<RedisProcess> {
    const server = new RedisProcess(await freePort(), options.persistent ?? false);
    await server.spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async spawn(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--dir", this.dir];
    args.push(
      ...(this.persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    );
    this.child = spawn("redis-server", args, { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(this.url, 200))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL, like a crash; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** REDIS_URL when it answers, else a throwaway server (stop it after), else undefined (skip). */
export async function testRedis(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (await redisAnswers(url)) return { url, stop: async () => {} };
  if (!redisServerAvailable()) return undefined;
  const server = await RedisProcess.start();
  return { url: server.url, stop: () => server.stop() };
}
