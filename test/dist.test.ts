/**
 * The production build (`npm run build` → dist/, run with plain node, no TypeScript loader): it
 * compiles, finds its assets (Avro schemas, models and the ONNX worker, blocklist) from the package,
 * and the fused pipeline it runs turns events into verdicts on the real stack. Also: a reader that
 * closes the pipe early (`verdict … | head`) ends the command quietly.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { PACKAGE_ROOT } from "../lib/paths/index.ts";
import { testDeps } from "./support/app.ts";
import { type Child, spawnVerdict } from "./support/child.ts";
import { checkVerdicts, collectVerdicts, publishWorkload } from "./support/e2e.ts";
import { applyTestTopology, deleteTestTopology } from "./support/pipeline.ts";

const OUT = join(PACKAGE_ROOT, ".verdict", `dist-test-${process.pid}`);
const CLI = join(OUT, "bin", "verdict.js");
const deps = testDeps();
const children: Child[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(PACKAGE_ROOT, "infra", "build", "build.mjs"), OUT], { stdio: "pipe" });
  await applyTestTopology(deps);
}, 120_000);

afterAll(async () => {
  for (const c of children) await c.kill9().catch(() => {});
  await deleteTestTopology(deps.kafka);
  await deps.close();
  rmSync(OUT, { recursive: true, force: true });
});

describe("the compiled build (dist/)", () => {
  it("runs the fused pipeline with plain node: events in, one verdict each out", async () => {
    const published = await publishWorkload(5, 2, 40, 60);
    const child = spawnVerdict(
      [
        "stage",
        "ingest",
        "features",
        "inference",
        "scoring",
        "--fused",
        "--state",
        "memory",
        "--http-port",
        "0",
      ],
      {},
      CLI,
    );
    children.push(child);
    const verdicts = await collectVerdicts(deps, published.transactions.size + published.posts.size, 120_000);
    checkVerdicts(published, verdicts);
    expect(
      verdicts.fraud.some((v) => v.value.model.provider === "cpu"),
      child.output(),
    ).toBe(true);
    expect(verdicts.moderation.length).toBe(published.posts.size);
    expect(await child.stop(), child.output()).toBe(0);
  }, 180_000);

  it("ends with status 0 and no stack trace when the reader closes the pipe (`verdict tail … | head`)", async () => {
    // Far more JSON than a pipe buffer (64 KiB) holds, so tail is still writing when the reader goes
    // away: the first test left only ~60 transactions (~38 KB), which tail could write in full and
    // then sit idle, following, with no write left to fail (it ends on its next write, as
    // kafka-console-consumer does).
    const extra = await publishWorkload(6, 2, 400, 0);
    expect(extra.transactions.size).toBeGreaterThan(400);
    const child = spawn(
      process.execPath,
      [CLI, "tail", "payments.transaction.created.v1", "--from-beginning"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // Killed at the end whatever happens, so a failing run leaves no tail behind.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d.toString();
    });
    const first = await new Promise<string>((resolve) =>
      child.stdout.once("data", (d) => resolve(d.toString())),
    );
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(first).toContain('"eventId"');
    expect(stderr).not.toContain("EPIPE");
    expect(code).toBe(0);
  }, 60_000);
});
