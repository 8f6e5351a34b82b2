/**
 * Acceptance: 1,000 verdicts fanned out to 3 partners on loopback, through the real broker: one
 * healthy, one answering 500 for a while then 200, one that hangs until the healthy one has all its
 * webhooks (so any head-of-line blocking would deadlock the test). Every partner gets every matching verdict (counted at the receiver; duplicates only ever with the same webhook-id,
 * never after a 2xx), every request verifies, and the healthy partner is not slowed down: its
 * latency is compared with a baseline run of 1,000 verdicts where it is the only partner.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWebhookService,
  readAttempts,
  verifyWebhook,
  type WebhookService,
  webhookIdFor,
} from "../consumers/webhooks/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { applyTestTopology, deleteTestTopology, waitForCount } from "./support/pipeline.ts";
import {
  captureLogger,
  eventually,
  fraudVerdict,
  type Partner,
  publishVerdicts,
  quantile,
  startPartner,
} from "./webhooks-support.ts";

const deps = testDeps();
const { logger } = captureLogger();
let service: WebhookService;
const partners: Partner[] = [];

beforeAll(async () => {
  await applyTestTopology(deps);
});

afterAll(async () => {
  await service?.stop();
  await Promise.all(partners.map((p) => p.close()));
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

const N = 1000;
const FLAKY_MS = 4000;
const HANG_MS = 6000;

function latencies(p: Partner, publishedAt: Map<string, number>, ids: Set<string>) {
  const l = p.received.filter((r) => ids.has(r.webhookId)).map((r) => r.at - publishedAt.get(r.eventId)!);
  return { p50: quantile(l, 0.5), p99: quantile(l, 0.99), max: Math.max(...l) };
}

describe("webhook fan-out under partner failures", () => {
  it("delivers every matching verdict to each partner; a hanging or failing partner never slows the healthy one", async () => {
    let flakyFrom = 0;
    let hangFrom = 0;
    const healthy = await startPartner("healthy", () => ({ status: 200 }));
    const flaky = await startPartner("flaky", (r) => {
      flakyFrom ||= r.at;
      return { status: r.at - flakyFrom < FLAKY_MS ? 500 : 200 };
    });
    // The hanging partner hangs until the healthy one has everything (and at least HANG_MS): if the
    // healthy partner waited behind it in any way, it would never complete and the test would fail.
    let healthyComplete = false;
    let hangEndedAt = 0;
    const hanging = await startPartner("hanging", (r) => {
      hangFrom ||= r.at;
      if (!healthyComplete || r.at - hangFrom < HANG_MS) return { hang: true };
      hangEndedAt ||= r.at;
      return { status: 204 };
    });
    partners.push(healthy, flaky, hanging);

    service = createWebhookService(
      { kafka: deps.kafka, codec: deps.codec, logger },
      {
        retryScheduleMs: [0, 1000, 2000, 3000, 5000, 8000],
        jitter: 0.2,
        requestTimeoutMs: 1000,
        breaker: { failureThreshold: 5, openMs: 500, maxOpenMs: 2000 },
        ssrf: { allowHosts: [], allowCidrs: ["127.0.0.0/8"], allowHttp: true },
        sessionTimeoutMs: 10_000,
        commitIntervalMs: 200,
        admin: { enabled: false },
      },
      { runner: { heartbeatIntervalMs: 1000 } },
    );
    await service.start();
    const a = await service.admin.create({
      id: "ep-healthy",
      url: healthy.url(),
      eventTypes: ["verdict.fraud"],
    });

    // Phase 1, baseline: the healthy partner alone.
    const baseline = Array.from({ length: N }, (_, i) => fraudVerdict(i));
    const baselineIds = new Set(baseline.map((v) => webhookIdFor(v.eventId, "ep-healthy")));
    const baselinePublished = await publishVerdicts(baseline);
    expect(await eventually(() => healthy.delivered().size >= N, 30_000)).toBe(true);
    const alone = latencies(healthy, baselinePublished, baselineIds);

    // Phase 2: the same healthy partner, plus one failing for a while and one hanging for a while.
    const b = await service.admin.create({
      id: "ep-flaky",
      url: flaky.url(),
      eventTypes: ["verdict.fraud"],
      filter: { decision: ["DECLINE"] },
    });
    const c = await service.admin.create({ id: "ep-hanging", url: hanging.url() });
    const secrets = new Map([
      [healthy, a.secret],
      [flaky, b.secret],
      [hanging, c.secret],
    ]);
    const verdicts = Array.from({ length: N }, (_, i) => fraudVerdict(N + i));
    const expected = new Map<Partner, Set<string>>([
      [healthy, new Set([...baselineIds, ...verdicts.map((v) => webhookIdFor(v.eventId, "ep-healthy"))])],
      [
        flaky,
        new Set(
          verdicts.filter((v) => v.decision === "DECLINE").map((v) => webhookIdFor(v.eventId, "ep-flaky")),
        ),
      ],
      [hanging, new Set(verdicts.map((v) => webhookIdFor(v.eventId, "ep-hanging")))],
    ]);
    const t0 = Date.now();
    const publishedAt = await publishVerdicts(verdicts);
    const complete = (p: Partner) => p.delivered().size >= expected.get(p)!.size;
    expect(await eventually(() => complete(healthy), 30_000)).toBe(true);
    const healthyDoneAt = Math.max(...healthy.received.map((r) => r.at));
    healthyComplete = true;
    expect(hanging.delivered().size).toBe(0); // it was hanging the whole time
    expect(await eventually(() => partners.every(complete), 50_000)).toBe(true);
    const allDoneAt = Date.now();

    let lostAnswers = 0;
    for (const p of partners) {
      const got = p.delivered();
      // Every matching verdict arrived, nothing else did.
      expect(new Set(got.keys()), p.name).toEqual(expected.get(p));
      // Never a second 2xx for the same id once we recorded one: the only way to get two is an
      // answer we never saw (the partner answered 2xx after our timeout), which HTTP cannot rule out.
      for (const [id, n] of got) {
        if (n === 1) continue;
        const log = await readAttempts(deps.kafka, deps.codec, id);
        const firstOk = log.findIndex((a) => a.outcome === "SUCCESS");
        expect(
          log.slice(0, firstOk).some((a) => a.outcome === "TIMEOUT" || a.outcome === "NETWORK"),
          `${p.name} ${id}: ${JSON.stringify(log)}`,
        ).toBe(true);
        expect(
          log.filter((a) => a.outcome === "SUCCESS"),
          `${p.name} ${id}`,
        ).toHaveLength(1);
        lostAnswers++;
      }
      const endpointId = p === healthy ? "ep-healthy" : p === flaky ? "ep-flaky" : "ep-hanging";
      for (const r of p.received) {
        // Duplicates only ever with the same webhook-id: it is a function of (verdict, endpoint).
        expect(r.webhookId).toBe(webhookIdFor(r.eventId, endpointId));
        expect(JSON.parse(r.body).correlationId).toBe(`corr-${r.eventId}`);
        expect(verifyWebhook(secrets.get(p)!, r.headers, r.body).id).toBe(r.webhookId);
      }
    }
    // The healthy partner got one request per verdict (no parking, no retries) unless an answer was lost.
    expect(healthy.received.length).toBeLessThanOrEqual(2 * N + lostAnswers);

    const phase2Ids = new Set(verdicts.map((v) => webhookIdFor(v.eventId, "ep-healthy")));
    const beside = latencies(healthy, publishedAt, phase2Ids);
    const report = {
      healthyAlone: alone,
      healthyBesideFailingPartners: beside,
      healthyDoneAfterMs: healthyDoneAt - t0,
      hangingAnsweredFirstAfterMs: hangEndedAt - t0,
      allPartnersDoneAfterMs: allDoneAt - t0,
      requests: Object.fromEntries(partners.map((p) => [p.name, p.received.length])),
      hangingRequestsTimedOut: hanging.received.filter((r) => r.status === null).length,
      flaky500s: flaky.received.filter((r) => r.status === 500).length,
      answersLostToTimeouts: lostAnswers,
    };
    console.log("[webhooks fan-out]", JSON.stringify(report));
    // Isolation: the healthy partner got everything while the hanging one hung (above), and its
    // latency stayed in the range of the baseline (the same process also serves the failing
    // partners, dispatches 3x the tasks and parks/reschedules theirs, hence the slack).
    expect(hangEndedAt).toBeGreaterThan(healthyDoneAt);
    expect(beside.p99).toBeLessThan(Math.max(2 * alone.p99, alone.p99 + 2000));

    // Nothing dead-lettered; the attempt log tells the story of a flaky message.
    const failedThenOk = flaky.received.find((r) => r.status === 500)!;
    let attempts = await readAttempts(deps.kafka, deps.codec, failedThenOk.webhookId);
    for (let i = 0; i < 10 && attempts.at(-1)?.outcome !== "SUCCESS"; i++) {
      await new Promise((r) => setTimeout(r, 300)); // the 2xx is recorded a moment after the partner saw it
      attempts = await readAttempts(deps.kafka, deps.codec, failedThenOk.webhookId);
    }
    expect(attempts[0]).toMatchObject({ attempt: 1, outcome: "FAILED", status: 500, endpointId: "ep-flaky" });
    expect(attempts.at(-1)).toMatchObject({ outcome: "SUCCESS", status: 200 });
    expect(await waitForCount(deps.kafka, TOPICS.webhooksDlq.name, 1, 1)).toBe(0);
  });
});
