/**
 * The embedded default, for real: fused pipeline + simulator on the test stack (its own topic
 * namespace), observability endpoint on a free loopback port. /metrics must show non-zero counters
 * and histograms for every stage, lag and model/provider gauges; then headless Chromium (Debian's
 * `chromium`, driven by playwright-core) loads /dashboard, waits for charts drawn from live data,
 * checks every chart's canvas has drawn pixels, and saves a screenshot. Skips when chromium is not
 * installed (CI: apt-get install -y chromium).
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedRun, startEmbedded } from "../app/embedded.ts";
import { silentLogger } from "../lib/log/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testConnections, testDeps } from "./support/app.ts";
import { deleteTestTopology } from "./support/pipeline.ts";

const CHROMIUM = process.env.VERDICT_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`[dashboard test] SKIPPED: ${CHROMIUM} not found (Debian: apt-get install -y chromium)`);
}
const SCREENSHOT = join(tmpdir(), "verdict-dashboard.png");

const deps = testDeps();
let run: EmbeddedRun | undefined;

beforeAll(async () => {
  run = await startEmbedded({
    stack: false,
    stopStack: false,
    rate: 400,
    delivery: "at-least-once",
    seed: 11,
    print: () => {},
    logger: silentLogger(),
    http: { host: "127.0.0.1", port: 0 },
  });
});

afterAll(async () => {
  await run?.stop();
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

/** Sum of a metric's samples whose line matches `filter` (Prometheus text format). */
function sample(text: string, name: string, filter: RegExp = /.*/): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (filter.test(line)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

async function metricsWhen(
  url: string,
  ready: (text: string) => boolean,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (ready(text) || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("embedded default: metrics and dashboard", () => {
  it("serves non-zero counters and histograms for every stage, lag and model gauges", async () => {
    const url = run!.observability.server!.url()!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const stages = ["ingest", "features", "inference", "scoring"];
    const text = await metricsWhen(
      url,
      (t) =>
        // Lag is refreshed from the admin API every 5 s: wait for its first reading too.
        stages.every((s) => sample(t, "verdict_stage_records_in_total", new RegExp(`stage="${s}"`)) >= 50) &&
        /^verdict_consumer_lag\{/m.test(t),
    );
    for (const s of stages) {
      const own = new RegExp(`stage="${s}"`);
      expect(sample(text, "verdict_stage_records_in_total", own), `${s} records in`).toBeGreaterThan(0);
      expect(sample(text, "verdict_stage_records_out_total", own), `${s} records out`).toBeGreaterThan(0);
      expect(sample(text, "verdict_stage_processing_seconds_count", own), `${s} histogram`).toBeGreaterThan(
        0,
      );
    }
    expect(sample(text, "verdict_runner_records_total", /stage="embedded"/)).toBeGreaterThan(0);
    expect(sample(text, "verdict_runner_chunk_duration_seconds_count")).toBeGreaterThan(0);
    expect(sample(text, "verdict_event_age_at_verdict_seconds_count", /verdicts\.fraud\.v1/)).toBeGreaterThan(
      0,
    );
    expect(
      sample(text, "verdict_event_age_at_verdict_seconds_count", /verdicts\.moderation\.v1/),
    ).toBeGreaterThan(0);
    expect(sample(text, "verdict_inference_batch_size_count")).toBeGreaterThan(0);
    expect(sample(text, "verdict_inference_rows_total", /provider="(cpu|cuda|webgpu)"/)).toBeGreaterThan(0);
    expect(sample(text, "verdict_decisions_total")).toBeGreaterThan(0);
    // Gauges present: lag per partition of the embedded group, model version + provider in use.
    expect(text).toMatch(
      /^verdict_consumer_lag\{group="t[^"]*verdict\.embedded",topic="[^"]+",partition="\d+"\} \d+/m,
    );
    expect(text).toMatch(
      /^verdict_model_info\{domain="fraud",model="[^"]+",version="\d+\.\d+\.\d+",provider="[a-z]+",role="active"\} 1/m,
    );
    expect(text).toMatch(/^verdict_model_info\{domain="moderation",.*role="active"\} 1/m);
    expect(text).toMatch(/^verdict_inference_provider_breaker_state\{.*\} 0/m);
    expect(text).toMatch(/^verdict_consumer_group_joined\{.*\} 1/m);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status, JSON.stringify(await ready.clone().json())).toBe(200);
  });

  it.skipIf(!hasChromium)(
    "renders populated charts in headless Chromium",
    async () => {
      const url = run!.observability.server!.url()!;
      // Webhook health comes from the attempt log; the embedded default runs no webhook service, so
      // write a few attempt records the way the delivery worker does.
      const producer = await createProducer({ connections: testConnections(), clientId: "dashboard-test" });
      const outcomes = ["SUCCESS", "SUCCESS", "SUCCESS", "FAILED", "TIMEOUT", "SUCCESS"] as const;
      await producer.publishMany(
        TOPICS.webhookAttempts,
        outcomes.map((outcome, i) => ({
          event: {
            webhookId: `msg_${i}`,
            endpointId: i % 2 ? "ep_partner_b" : "ep_partner_a",
            eventId: `e-${i}`,
            eventType: "verdict.fraud",
            attempt: 1,
            startedAt: Date.now(),
            latencyMs: 20 + i,
            outcome,
            status: outcome === "SUCCESS" ? 200 : outcome === "FAILED" ? 503 : null,
            error: null,
            response: null,
            retryAfterMs: null,
            nextAttemptAt: null,
            deadLettered: false,
            correlationId: null,
          },
        })),
      );
      await producer.close();

      const profile = mkdtempSync(join(tmpdir(), "verdict-chromium-"));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 1000 },
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await browser.newPage();
        const external: string[] = [];
        page.on("request", (r) => {
          if (!r.url().startsWith(url)) external.push(r.url());
        });
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(`${url}/dashboard`);
        // Browser-side code as strings: the test's tsconfig has no DOM types.
        await page.waitForFunction(
          `(() => {
            const v = window.__verdict, d = v.drawn;
            return v.updates >= 3 && d.throughput > 8 && d.latency > 3 && d.decisions > 3 &&
              d.dlq > 1 && d.lag > 0 && d.drift > 0 && d.webhooks > 0;
          })()`,
          undefined,
          { timeout: 60_000, polling: 500 },
        );
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        console.info(`[dashboard test] screenshot: ${SCREENSHOT}`);
        // Every chart drew real pixels, well beyond its grid and labels.
        const pixels = (await page.evaluate(`Object.fromEntries(
          [...document.querySelectorAll("canvas")].map((c) => {
            const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let colored = 0;
            for (let i = 0; i < data.length; i += 4) {
              // Series colors are saturated; grid lines and labels are grey.
              const max = Math.max(data[i], data[i + 1], data[i + 2]);
              const min = Math.min(data[i], data[i + 1], data[i + 2]);
              if (data[i + 3] > 0 && max - min > 60) colored++;
            }
            return [c.id, colored];
          }),
        )`)) as Record<string, number>;
        for (const id of ["throughput", "latency", "decisions", "dlq", "lag", "drift", "webhooks"]) {
          expect(pixels[id], `colored pixels on ${id}`).toBeGreaterThan(150);
        }
        expect(await page.locator("#models").textContent()).toMatch(
          /fraud active\s*\S+@\d+\.\d+\.\d+ on [a-z]+/,
        );
        expect(await page.locator("#models").textContent()).toContain("scoring policy1"); // no file: the version alone
        expect(errors).toEqual([]);
        expect(external).toEqual([]);
      } finally {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
