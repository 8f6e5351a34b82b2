/**
 * Delivery policies against real HTTP servers on 127.0.0.1 and the real broker: 410 disables the
 * endpoint (visibly), 429 + Retry-After is honoured, a redirect is not followed, failed messages are
 * dead-lettered and replayed with the same webhook-id, and the SSRF guard refuses endpoints that
 * resolve to metadata/private/loopback addresses before any connection (stubbed resolver; a test
 * guard around the HTTP client refuses any non-loopback address even if the guard were broken).
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHttpClient,
  createWebhookService,
  type Resolver,
  type WebhookService,
  webhookIdFor,
} from "../consumers/webhooks/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { applyTestTopology, deleteTestTopology, readDecoded } from "./support/pipeline.ts";
import {
  adminClient,
  captureLogger,
  eventually,
  fraudVerdict,
  loopbackOnly,
  type Partner,
  publishVerdicts,
  startPartner,
} from "./webhooks-support.ts";

const deps = testDeps();
const { logger } = captureLogger();
const TOKEN = "test-admin-token-0123456789";
const dns = new Map<string, string>([
  ["metadata.partner.test", "169.254.169.254"],
  ["intranet.partner.test", "10.0.0.1"],
  ["six.partner.test", "::1"],
  ["flip.partner.test", "127.0.0.1"],
]);
const resolver: Resolver = async (host) => {
  const address = dns.get(host);
  if (!address) throw new Error(`ENOTFOUND ${host}`);
  return [{ address, family: address.includes(":") ? 6 : 4 }];
};
const http = loopbackOnly(createHttpClient());
let service: WebhookService;
let api: ReturnType<typeof adminClient>;
const partners: Partner[] = [];
let seq = 0;
const verdicts = (n: number) => Array.from({ length: n }, () => fraudVerdict(10_000 + seq++));

beforeAll(async () => {
  await applyTestTopology(deps);
  service = createWebhookService(
    { kafka: deps.kafka, codec: deps.codec, logger, resolver, http },
    {
      retryScheduleMs: [0, 200, 300],
      jitter: 0,
      requestTimeoutMs: 2000,
      breaker: { failureThreshold: 50, openMs: 500, maxOpenMs: 1000 },
      ssrf: { allowHosts: [], allowCidrs: ["127.0.0.0/8"], allowHttp: true },
      sessionTimeoutMs: 10_000,
      commitIntervalMs: 200,
      admin: { enabled: true, host: "127.0.0.1", port: 0, token: TOKEN },
    },
    { runner: { heartbeatIntervalMs: 1000 } },
  );
  await service.start();
  const address = service.apiAddress()!;
  api = adminClient(`http://127.0.0.1:${address.port}`, TOKEN);
});

afterAll(async () => {
  await service?.stop();
  await Promise.all(partners.map((p) => p.close()));
  await deleteTestTopology(deps.kafka);
  await deps.close();
  expect(http.violations).toEqual([]);
});

async function partner(name: string, answer: Parameters<typeof startPartner>[1]): Promise<Partner> {
  const p = await startPartner(name, answer);
  partners.push(p);
  return p;
}

async function events(endpointId: string) {
  return (await readDecoded(deps, TOPICS.webhookEndpointEvents))
    .map((r) => r.value)
    .filter((e) => e.endpointId === endpointId);
}

describe("webhook delivery policies", () => {
  it("410 Gone disables the endpoint: event, metric, status; nothing more is sent", async () => {
    const gone = await partner("gone", () => ({ status: 410 }));
    const created = await api("POST", "/v1/endpoints", { id: "ep-gone", url: gone.url(), maxConcurrency: 1 });
    expect(created.status).toBe(201);
    const first = verdicts(3);
    await publishVerdicts(first);
    expect(await eventually(() => service.view.get("ep-gone")?.enabled === false, 15_000)).toBe(true);
    expect(service.view.get("ep-gone")!.disabledReason).toMatch(/410 Gone/);
    // One request answered 410; the other two were dead-lettered without a request.
    await new Promise((r) => setTimeout(r, 1000));
    expect(gone.received).toHaveLength(1);
    await publishVerdicts(verdicts(2)); // after disabling: not even dispatched
    await new Promise((r) => setTimeout(r, 1500));
    expect(gone.received).toHaveLength(1);

    const evs = await events("ep-gone");
    expect(evs.map((e) => e.type)).toContain("DISABLED");
    expect(evs.find((e) => e.type === "DISABLED")!.reason).toMatch(/410/);
    const metrics = await (await fetch(`http://127.0.0.1:${service.apiAddress()!.port}/metrics`)).text();
    expect(metrics).toMatch(/verdict_webhook_endpoint_disabled\{endpoint="ep-gone"\} 1/);
    const status = await api("GET", "/v1/endpoints/ep-gone/status");
    expect(status.json.status).toMatchObject({ enabled: false, deadLetters: 3 });
    expect(status.json.status.disabledReason).toMatch(/410/);
    const letters = (await readDecoded(deps, TOPICS.webhooksDlq)).filter(
      (l) => l.headers.extra["webhook-endpoint-id"] === "ep-gone",
    );
    expect(letters.map((l) => l.value.errorCode).sort()).toEqual(
      Array(3).fill("VERDICT_ERR_WEBHOOK_DISABLED"),
    );
  });

  it("429 with Retry-After pauses the endpoint and the retry waits for it", async () => {
    let first = true;
    const limited = await partner("limited", () => {
      if (first) {
        first = false;
        return { status: 429, headers: { "retry-after": "2" } };
      }
      return { status: 200 };
    });
    await api("POST", "/v1/endpoints", { id: "ep-429", url: limited.url(), maxConcurrency: 1 });
    const vs = verdicts(3);
    await publishVerdicts(vs);
    expect(await eventually(() => limited.delivered().size === 3, 20_000)).toBe(true);
    const [throttled, ...rest] = limited.received;
    expect(throttled!.status).toBe(429);
    // The schedule says 200 ms; Retry-After says 2 s: nothing reaches the partner before that.
    for (const r of rest) expect(r.at - throttled!.at).toBeGreaterThanOrEqual(1950);
    const retried = limited.received.filter((r) => r.webhookId === throttled!.webhookId);
    expect(retried.map((r) => r.status)).toEqual([429, 200]);
    let attempts = await api("GET", `/v1/messages/${throttled!.webhookId}/attempts`);
    for (let i = 0; i < 10 && attempts.json.attempts.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 300)); // the 2xx is recorded a moment after the partner saw it
      attempts = await api("GET", `/v1/messages/${throttled!.webhookId}/attempts`);
    }
    expect(attempts.json.attempts[0]).toMatchObject({
      outcome: "THROTTLED",
      status: 429,
      retryAfterMs: 2000,
    });
    expect(attempts.json.attempts[1]).toMatchObject({ outcome: "SUCCESS", attempt: 2 });
    expect((await events("ep-429")).map((e) => e.type)).toContain("THROTTLED");
  });

  it("does not follow a redirect, dead-letters after the last attempt, and replays with the same webhook-id", async () => {
    const target = await partner("redirect-target", () => ({ status: 200 }));
    let redirecting = true;
    const moved = await partner("moved", () =>
      redirecting ? { status: 302, headers: { location: target.url() } } : { status: 200 },
    );
    await api("POST", "/v1/endpoints", { id: "ep-moved", url: moved.url() });
    const vs = verdicts(2);
    const ids = vs.map((v) => webhookIdFor(v.eventId, "ep-moved"));
    await publishVerdicts(vs);
    // 3 attempts each (schedule [0, 200, 300]), then the dead-letter topic.
    expect(await eventually(() => moved.received.length === 6, 15_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(moved.received).toHaveLength(6);
    expect(target.received).toHaveLength(0);
    const attempts = await api("GET", `/v1/messages/${ids[0]}/attempts`);
    expect(attempts.json.attempts.map((a: { outcome: string }) => a.outcome)).toEqual([
      "REDIRECT",
      "REDIRECT",
      "REDIRECT",
    ]);
    expect(attempts.json.attempts[0].error).toMatch(/not followed/);
    expect(attempts.json.attempts[2]).toMatchObject({ deadLettered: true, nextAttemptAt: null });
    expect((await events("ep-moved")).filter((e) => e.type === "DEAD_LETTERED")).toHaveLength(2);

    // The partner fixed its URL handling: replay one message, then everything failed for the endpoint.
    redirecting = false;
    const none = await api("POST", "/v1/replay", {
      endpointId: "ep-moved",
      since: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(none.json.replayed).toBe(0);
    const refused = await api("POST", "/v1/replay", {});
    expect(refused.status).toBe(400);
    const one = await api("POST", "/v1/replay", { webhookId: ids[0] });
    expect(one.json).toMatchObject({ replayed: 1, byEndpoint: { "ep-moved": 1 } });
    expect(await eventually(() => moved.delivered().has(ids[0]!), 10_000)).toBe(true);
    const rest = await api("POST", "/v1/replay", { endpointId: "ep-moved" });
    expect(rest.json.replayed).toBe(2);
    expect(await eventually(() => moved.delivered().size === 2, 10_000)).toBe(true);
    // Same webhook-id as the failed attempts: the partner dedupes on it.
    expect(new Set(moved.received.map((r) => r.webhookId))).toEqual(new Set(ids));
    expect((await events("ep-moved")).map((e) => e.type)).toContain("REPLAYED");
  });

  it.each([
    ["metadata.partner.test", "169.254.169.254"],
    ["intranet.partner.test", "10.0.0.1"],
    ["six.partner.test", "::1"],
  ])("refuses an endpoint on %s (resolves to %s) before any connection", async (host, address) => {
    const res = await api("POST", "/v1/endpoints", { url: `https://${host}/hooks` });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VERDICT_ERR_WEBHOOK_SSRF");
    expect(res.json.error.message).toContain(address);
    expect(res.json.error.message).toMatch(/refused before connecting/);
    expect(service.admin.list().some((e) => e.url.includes(host))).toBe(false);
  });

  it("re-checks at delivery time: a name that starts resolving to a private address is refused and the endpoint disabled", async () => {
    const p = await partner("flip", () => ({ status: 200 }));
    const port = new URL(p.url()).port;
    await api("POST", "/v1/endpoints", { id: "ep-flip", url: `http://flip.partner.test:${port}/hooks` });
    await publishVerdicts(verdicts(1));
    expect(await eventually(() => p.delivered().size === 1, 10_000)).toBe(true);
    dns.set("flip.partner.test", "10.0.0.1"); // DNS rebinding
    await publishVerdicts(verdicts(1));
    expect(await eventually(() => service.view.get("ep-flip")?.enabled === false, 10_000)).toBe(true);
    expect(service.view.get("ep-flip")!.disabledReason).toMatch(/SSRF.*10\.0\.0\.1/);
    expect(p.received).toHaveLength(1);
    expect(http.violations).toEqual([]);
  });
});
