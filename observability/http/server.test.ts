import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry, createPipelineMetrics } from "../metrics/pipeline-metrics.ts";
import { createHealth } from "./health.ts";
import { createObservabilityServer, httpOptionsFromEnv, type ModelAdmin } from "./server.ts";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function setup(opts: { kafkaUp?: () => boolean; adminToken?: string; models?: ModelAdmin } = {}) {
  const registry = createMetricsRegistry({ processMetrics: false });
  const metrics = createPipelineMetrics(registry);
  const groups: {
    stage: string;
    groupId: string;
    state: "joined" | "crashed";
    partitions: number;
    since: number;
  }[] = [];
  const health = createHealth({
    expected: () => ["ingest"],
    groups: () => groups,
    dependencies: [
      {
        name: "kafka",
        check: async () => {
          if (!(opts.kafkaUp?.() ?? true)) throw new Error("broker down");
        },
      },
    ],
    cacheMs: 0,
  });
  const server = createObservabilityServer({
    registry,
    health,
    stats: async () => ({ series: [1, 2, 3] }),
    options: { host: "127.0.0.1", port: 0 },
    models: () => opts.models,
    adminToken: opts.adminToken,
  });
  servers.push(server);
  return { server, metrics, groups };
}

describe("observability HTTP endpoint", () => {
  it("serves /metrics, /healthz, /readyz, the dashboard and its stats on loopback", async () => {
    let up = false;
    const { server, metrics, groups } = setup({ kafkaUp: () => up });
    const address = await server.listen();
    expect(address.address).toBe("127.0.0.1");
    const url = server.url()!;
    metrics.stageIn.inc({ stage: "ingest", topic: "t" }, 3);

    const m = await fetch(`${url}/metrics`);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await m.text()).toContain('verdict_stage_records_in_total{stage="ingest",topic="t"} 3');

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    let ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      ready: false,
      checks: { "group:ingest": "not joined yet", kafka: "broker down" },
    });
    groups.push({ stage: "ingest", groupId: "g", state: "joined", partitions: 3, since: 0 });
    up = true;
    ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { "group:ingest": "ok", kafka: "ok" } });
    groups[0]!.state = "crashed";
    expect((await fetch(`${url}/healthz`)).status).toBe(503);

    const page = await fetch(`${url}/dashboard`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<canvas id="throughput">');
    expect(html).not.toMatch(/<script[^>]+src=|https?:\/\/(?!www\.w3\.org)/); // no external resources
    expect(await (await fetch(`${url}/api/stats`)).json()).toEqual({ series: [1, 2, 3] });
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("model admin: loopback without a token, bearer token when one is set, 400 on bad input", async () => {
    const calls: unknown[] = [];
    const models: ModelAdmin = {
      status: async () => [{ name: "m" }],
      setRollout: async (name, body) => {
        if (name === "bad") throw new Error("no such model");
        calls.push([name, body]);
        return { ok: true };
      },
    };
    const open = setup({ models });
    await open.server.listen();
    expect(await (await fetch(`${open.server.url()}/api/models`)).json()).toEqual([{ name: "m" }]);
    const put = (url: string, name: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/api/models/${name}/rollout`, {
        method: "PUT",
        body: JSON.stringify({ shadow: ["1.0.0"] }),
        headers,
      });
    expect((await put(open.server.url()!, "m")).status).toBe(200);
    expect(calls).toEqual([["m", { shadow: ["1.0.0"] }]]);
    expect((await put(open.server.url()!, "bad")).status).toBe(400);

    const locked = setup({ models, adminToken: "s3cret-token-0123456789" });
    await locked.server.listen();
    expect((await put(locked.server.url()!, "m")).status).toBe(403);
    expect(
      (await put(locked.server.url()!, "m", { authorization: "Bearer s3cret-token-0123456789" })).status,
    ).toBe(200);
  });

  it("falls back to a free port when the wanted one is taken", async () => {
    const first = setup();
    const a = await first.server.listen();
    const second = createObservabilityServer({
      registry: createMetricsRegistry({ processMetrics: false }),
      health: createHealth({ expected: () => [], groups: () => [], dependencies: [] }),
      stats: async () => ({}),
      options: { host: "127.0.0.1", port: a.port },
    });
    servers.push(second);
    const b = await second.listen();
    expect(b.port).not.toBe(a.port);
  });

  it("reads host and port from the environment", () => {
    expect(httpOptionsFromEnv({})).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(httpOptionsFromEnv({ VERDICT_HTTP_PORT: "0", VERDICT_HTTP_HOST: "0.0.0.0" })).toEqual({
      host: "0.0.0.0",
      port: 0,
    });
    expect(() => httpOptionsFromEnv({ VERDICT_HTTP_PORT: "http" })).toThrow(/not a port/);
  });
});
