/**
 * Endpoint management through the admin HTTP API and the CLI, against the real broker: bearer auth,
 * create/list/get/update/disable/enable/delete, secret rotation (two signatures during the overlap,
 * both verifying), status, and secrets never appearing in logs or listings.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookService, verifyWebhook, type WebhookService } from "../consumers/webhooks/index.ts";
import { testDeps } from "./support/app.ts";
import { runCli } from "./support/cli.ts";
import { applyTestTopology, deleteTestTopology } from "./support/pipeline.ts";
import {
  adminClient,
  captureLogger,
  eventually,
  fraudVerdict,
  type Partner,
  publishVerdicts,
  startPartner,
} from "./webhooks-support.ts";

const deps = testDeps();
const captured = captureLogger();
const TOKEN = "admin-token-for-tests-abcdef";
let service: WebhookService;
let api: ReturnType<typeof adminClient>;
let partner: Partner;
const secretsSeen: string[] = [];

beforeAll(async () => {
  await applyTestTopology(deps);
  process.env.VERDICT_WEBHOOK_ALLOW_CIDRS = "127.0.0.0/8";
  process.env.VERDICT_WEBHOOK_ALLOW_HTTP = "true";
  partner = await startPartner("admin-partner", () => ({ status: 200 }));
  service = createWebhookService(
    { kafka: deps.kafka, codec: deps.codec, logger: captured.logger },
    {
      ssrf: { allowHosts: [], allowCidrs: ["127.0.0.0/8"], allowHttp: true },
      sessionTimeoutMs: 10_000,
      admin: { enabled: true, host: "127.0.0.1", port: 0, token: TOKEN },
    },
    { runner: { heartbeatIntervalMs: 1000 } },
  );
  await service.start();
  api = adminClient(`http://127.0.0.1:${service.apiAddress()!.port}`, TOKEN);
});

afterAll(async () => {
  await service?.stop();
  await partner?.close();
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

describe("webhook admin API", () => {
  it("refuses requests without the right bearer token", async () => {
    expect((await api("GET", "/v1/endpoints", undefined, "")).status).toBe(401);
    expect((await api("GET", "/v1/endpoints", undefined, "Bearer wrong-token-wrong-token")).status).toBe(401);
    const res = await api("POST", "/v1/endpoints", { url: partner.url() }, "Bearer nope");
    expect(res.json.error.code).toBe("VERDICT_ERR_ADMIN_AUTH");
    expect(service.admin.list()).toHaveLength(0);
    expect((await api("GET", "/healthz", undefined, "")).status).toBe(200);
  });

  it("creates, lists, updates, disables, enables, rotates and deletes endpoints", async () => {
    const created = await api("POST", "/v1/endpoints", {
      id: "ep-api",
      url: partner.url(),
      eventTypes: ["verdict.fraud"],
      filter: { decision: ["DECLINE", "REVIEW"] },
      description: "partner A",
    });
    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    secretsSeen.push(created.json.secret);
    expect(created.json.endpoint).toMatchObject({ id: "ep-api", enabled: true, maxConcurrency: 10 });

    const bad = await api("POST", "/v1/endpoints", { url: partner.url(), eventTypes: ["verdict.nope"] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/unknown event type "verdict.nope"/);
    const badFilter = await api("POST", "/v1/endpoints", { url: partner.url(), filter: { colour: ["red"] } });
    expect(badFilter.json.error.message).toMatch(/unknown field "colour"/);
    const dup = await api("POST", "/v1/endpoints", { id: "ep-api", url: partner.url() });
    expect(dup.json.error.message).toMatch(/already exists/);

    const list = await api("GET", "/v1/endpoints");
    expect(list.json.endpoints.map((e: { id: string }) => e.id)).toEqual(["ep-api"]);
    expect(list.text).not.toContain(created.json.secret);
    expect(list.json.endpoints[0].secrets[0].fingerprint).toMatch(/^[0-9a-f]{8}$/);

    const patched = await api("PATCH", "/v1/endpoints/ep-api", { maxConcurrency: 3, rateLimitPerSec: 50 });
    expect(patched.json.endpoint).toMatchObject({ maxConcurrency: 3, rateLimitPerSec: 50 });
    expect(
      (await api("PATCH", "/v1/endpoints/ep-api", { url: "https://169.254.169.254/" })).json.error.code,
    ).toBe("VERDICT_ERR_WEBHOOK_SSRF");

    expect(
      (await api("POST", "/v1/endpoints/ep-api/disable", { reason: "maintenance" })).json.endpoint,
    ).toMatchObject({
      enabled: false,
      disabledReason: "maintenance",
    });
    expect((await api("POST", "/v1/endpoints/ep-api/enable")).json.endpoint.enabled).toBe(true);

    // Only declines and reviews reach this endpoint.
    const verdicts = [0, 1, 2, 3, 4, 5].map((i) => fraudVerdict(30_000 + i));
    await publishVerdicts(verdicts);
    expect(await eventually(() => partner.delivered().size === 4, 15_000)).toBe(true);
    for (const r of partner.received) {
      expect(["DECLINE", "REVIEW"]).toContain(JSON.parse(r.body).data.decision);
      expect(verifyWebhook(created.json.secret, r.headers, r.body).id).toBe(r.webhookId);
    }

    // Rotation: the new and the old secret sign during the overlap; each verifies alone.
    const rotated = await api("POST", "/v1/endpoints/ep-api/rotate-secret", {});
    expect(rotated.json.secret).not.toBe(created.json.secret);
    secretsSeen.push(rotated.json.secret);
    expect(rotated.json.endpoint.secrets).toHaveLength(2);
    await publishVerdicts([fraudVerdict(30_101)]);
    expect(await eventually(() => partner.delivered().size === 5, 15_000)).toBe(true);
    const last = partner.received.at(-1)!;
    expect(last.signature.split(" ")).toHaveLength(2);
    expect(verifyWebhook(rotated.json.secret, last.headers, last.body).id).toBe(last.webhookId);
    expect(verifyWebhook(created.json.secret, last.headers, last.body).id).toBe(last.webhookId);
    // Dropping the old secret at once: one signature, the old secret no longer verifies.
    const hard = await api("POST", "/v1/endpoints/ep-api/rotate-secret", { graceMs: 0 });
    secretsSeen.push(hard.json.secret);
    expect(hard.json.endpoint.secrets).toHaveLength(3);
    await publishVerdicts([fraudVerdict(30_104)]);
    expect(await eventually(() => partner.delivered().size === 6, 15_000)).toBe(true);
    const final = partner.received.at(-1)!;
    expect(final.signature.split(" ")).toHaveLength(1);
    expect(() => verifyWebhook(created.json.secret, final.headers, final.body)).toThrow(
      /No webhook-signature entry/,
    );

    const status = await api("GET", "/v1/status");
    expect(status.json.endpoints[0]).toMatchObject({
      id: "ep-api",
      enabled: true,
      breaker: "closed",
      deadLetters: 0,
    });
    expect(status.json.endpoints[0].live).toMatchObject({ active: 0, queued: 0 });

    expect((await api("DELETE", "/v1/endpoints/ep-api")).status).toBe(204);
    expect((await api("GET", "/v1/endpoints/ep-api")).status).toBe(404);
  });

  it("manages endpoints from the CLI too (the running service follows the subscriptions topic)", async () => {
    const added = await runCli(
      "webhooks",
      "add",
      partner.url("/cli"),
      "--id",
      "ep-cli",
      "--filter",
      "decision=DECLINE",
    );
    const secret = /secret: (whsec_\S+)/.exec(added)![1]!;
    secretsSeen.push(secret);
    expect(await eventually(() => service.view.get("ep-cli") !== undefined, 10_000)).toBe(true);
    const listed = await runCli("webhooks", "list");
    expect(listed).toMatch(/ep-cli\s+yes\s+http:\/\/127\.0\.0\.1:\d+\/cli\s+\*\s+decision=DECLINE/);
    expect(listed).not.toContain(secret);
    await runCli("webhooks", "disable", "ep-cli", "--reason", "partner asked");
    expect(await eventually(() => service.view.get("ep-cli")?.enabled === false, 10_000)).toBe(true);
    const status = await runCli("webhooks", "status", "ep-cli");
    expect(status).toMatch(/ep-cli\s+DISABLED\s+closed\s+0\s+\S+ DISABLED: partner asked/);
    await runCli("webhooks", "enable", "ep-cli");
    const rotated = await runCli("webhooks", "rotate-secret", "ep-cli", "--grace", "1h");
    secretsSeen.push(/secret: (whsec_\S+)/.exec(rotated)![1]!);
    expect(rotated).toMatch(/signing with 2 secret\(s\)/);
    expect(await runCli("webhooks", "replay", "--endpoint", "ep-cli", "--dry-run")).toMatch(
      /would replay 0 message/,
    );
    await expect(runCli("webhooks", "replay")).rejects.toThrow(/without --all/);
    await runCli("webhooks", "remove", "ep-cli");
    expect(await eventually(() => service.view.get("ep-cli") === undefined, 10_000)).toBe(true);
  });

  it("never writes a secret or the admin token to the logs", () => {
    const logs = captured.lines.join("\n");
    expect(captured.lines.length).toBeGreaterThan(5);
    expect(secretsSeen.length).toBeGreaterThanOrEqual(5);
    for (const s of secretsSeen) {
      expect(logs).not.toContain(s);
      expect(logs).not.toContain(s.slice(6)); // the base64 key without its prefix
    }
    expect(logs).not.toContain(TOKEN);
  });
});
