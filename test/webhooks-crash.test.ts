/**
 * Acceptance: kill -9 of the webhook process while retries are pending loses no scheduled retry.
 * The service runs as a child process (`verdict webhooks serve`); the partner answers 500 so every
 * message is in the retry tiers (Kafka) when the process is SIGKILLed; after a restart the partner
 * recovers and every message is delivered, with the same webhook-id as before the crash.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAttempts, webhookIdFor } from "../consumers/webhooks/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { runCli } from "./support/cli.ts";
import { applyTestTopology, deleteTestTopology, waitForCount } from "./support/pipeline.ts";
import { eventually, fraudVerdict, type Partner, publishVerdicts, startPartner } from "./webhooks-support.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const deps = testDeps();
let partner: Partner;
const children: ChildProcess[] = [];

const env = {
  ...process.env,
  LOG_LEVEL: "warn",
  VERDICT_WEBHOOK_RETRY_SCHEDULE: "0,1s,2s,2s,3s,3s,3s,3s,3s,3s,3s,3s",
  VERDICT_WEBHOOK_JITTER: "0",
  VERDICT_WEBHOOK_ALLOW_CIDRS: "127.0.0.0/8",
  VERDICT_WEBHOOK_ALLOW_HTTP: "true",
  VERDICT_WEBHOOK_SESSION_TIMEOUT_MS: "6000",
  VERDICT_WEBHOOK_COMMIT_INTERVAL_MS: "200",
  VERDICT_WEBHOOK_BREAKER_THRESHOLD: "1000",
  VERDICT_ADMIN_ENABLED: "false",
};

/** Starts `verdict webhooks serve` and resolves once it says it is serving. */
async function serve(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/verdict.ts", "webhooks", "serve"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stderr!.on("data", (d) => {
    output += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`webhook service did not start:\n${output}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      output += d;
      if (output.includes("webhooks: serving")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`webhook service exited with ${code}:\n${output}`));
    });
  });
  return child;
}

beforeAll(async () => {
  await applyTestTopology(deps);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await partner?.close();
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

describe("webhook retries survive kill -9", () => {
  it("delivers every message after a SIGKILL during retries, with the same webhook-ids", async () => {
    let failing = true;
    partner = await startPartner("crash-partner", () => ({ status: failing ? 500 : 200 }));
    for (const [k, v] of Object.entries(env)) if (k.startsWith("VERDICT_WEBHOOK_")) process.env[k] = v;
    const added = await runCli(
      "webhooks",
      "add",
      partner.url(),
      "--id",
      "ep-crash",
      "--event-type",
      "verdict.fraud",
    );
    expect(added).toMatch(/secret: whsec_/);

    const first = await serve();
    const N = 50;
    const verdicts = Array.from({ length: N }, (_, i) => fraudVerdict(20_000 + i));
    const ids = new Set(verdicts.map((v) => webhookIdFor(v.eventId, "ep-crash")));
    await publishVerdicts(verdicts);

    // Every message failed at least twice: its next attempt is scheduled in a retry tier.
    const attemptsOf = () => {
      const n = new Map<string, number>();
      for (const r of partner.received) n.set(r.webhookId, (n.get(r.webhookId) ?? 0) + 1);
      return n;
    };
    expect(
      await eventually(
        () => attemptsOf().size === N && [...attemptsOf().values()].every((n) => n >= 2),
        20_000,
      ),
    ).toBe(true);
    expect(partner.delivered().size).toBe(0); // nothing got through: every message has a retry pending
    // The attempt log is written after each response: kill only once the sample's two failures are
    // logged, so the log assertions below test recovery, not a kill landing between the two.
    const sample = [...ids][0]!;
    const failuresLogged = async () =>
      (await readAttempts(deps.kafka, deps.codec, sample)).filter((a) => a.outcome === "FAILED").length >= 2;
    for (let i = 0; i < 20 && !(await failuresLogged()); i++) await new Promise((r) => setTimeout(r, 200));
    first.kill("SIGKILL");
    await new Promise<void>((r) => first.once("exit", () => r()));
    const beforeRestart = partner.received.length;
    const killedAt = Date.now();

    failing = false;
    await serve();
    expect(await eventually(() => partner.delivered().size === N, 45_000)).toBe(true);
    const recoveredAfterMs = Date.now() - killedAt;

    expect(new Set(partner.delivered().keys())).toEqual(ids);
    // Only ever the ids of the published verdicts: a redelivery after the crash reuses the id.
    expect(new Set(partner.received.map((r) => r.webhookId))).toEqual(ids);
    expect(await waitForCount(deps.kafka, TOPICS.webhooksDlq.name, 1, 1)).toBe(0);
    // The partner saw the 2xx a moment before the worker recorded it: poll the attempt log.
    let log = await readAttempts(deps.kafka, deps.codec, sample);
    for (let i = 0; i < 10 && log.at(-1)?.outcome !== "SUCCESS"; i++) {
      await new Promise((r) => setTimeout(r, 300));
      log = await readAttempts(deps.kafka, deps.codec, sample);
    }
    expect(log.filter((a) => a.outcome === "FAILED").length).toBeGreaterThanOrEqual(2);
    expect(log.at(-1)!.outcome).toBe("SUCCESS");
    const dupAfter2xx = [...partner.delivered().values()].filter((n) => n > 1).length;
    console.log(
      "[webhooks kill -9]",
      JSON.stringify({
        messages: N,
        requestsBeforeKill: beforeRestart,
        requestsTotal: partner.received.length,
        recoveredAfterMs,
        dupAfter2xx,
      }),
    );
  });
});
