import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateSecret } from "../signing.ts";
import { createSsrfGuard } from "../ssrf/index.ts";
import { verifyWebhook } from "../verify/index.ts";
import { attemptDelivery } from "./attempt.ts";
import { createHttpClient, HttpFailure, type WebhookHttpClient } from "./http-client.ts";

let server: Server;
let port: number;
const seen: { path: string; headers: IncomingMessage["headers"]; body: string }[] = [];
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "/ok": (_q, s) => s.writeHead(200).end("thanks"),
  "/redirect": (_q, s) => s.writeHead(302, { location: "/ok" }).end(),
  "/hang": () => {},
  "/huge": (_q, s) => {
    s.writeHead(200);
    s.write(Buffer.alloc(4096, 97));
    s.write(Buffer.alloc(4096, 97));
    // never ends: the client must stop reading at the cap
  },
  "/slow-429": (_q, s) => s.writeHead(429, { "retry-after": "3" }).end(),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ path: req.url ?? "", headers: req.headers, body });
      (routes[req.url ?? ""] ?? ((_q, s) => s.writeHead(404).end()))(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const loopback = [{ address: "127.0.0.1", family: 4 as const }];

describe("webhook HTTP client (loopback only)", () => {
  const client = createHttpClient();
  afterAll(() => client.close());
  const post = (path: string, extra: Partial<Parameters<WebhookHttpClient["post"]>[0]> = {}) =>
    client.post({
      // The host name is never resolved: the pinned address is used.
      url: new URL(`http://partner.invalid:${port}${path}`),
      addresses: loopback,
      headers: { "content-type": "application/json" },
      body: "{}",
      timeoutMs: 2000,
      maxResponseBytes: 1024,
      ...extra,
    });

  it("connects to the pinned address, not to whatever the host name resolves to", async () => {
    const res = await post("/ok");
    expect(res.status).toBe(200);
    expect(res.body).toBe("thanks");
    expect(seen.at(-1)!.headers.host).toBe(`partner.invalid:${port}`);
  });

  it("does not follow redirects", async () => {
    const before = seen.length;
    const res = await post("/redirect");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/ok");
    expect(seen.length).toBe(before + 1);
  });

  it("times out a hanging partner", async () => {
    const started = Date.now();
    const err = await post("/hang", { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(HttpFailure);
    expect(err.kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("stops reading at the response cap", async () => {
    const res = await post("/huge", { maxResponseBytes: 1000 });
    expect(res.status).toBe(200);
    expect(res.truncated).toBe(true);
    expect(res.body.length).toBe(1000);
  });
});

describe("attemptDelivery", () => {
  const http = createHttpClient();
  afterAll(() => http.close());
  const deps = (
    resolver: (h: string) => Promise<{ address: string; family: 4 | 6 }[]>,
    client: WebhookHttpClient = http,
  ) => ({
    guard: createSsrfGuard({ allowHosts: [], allowCidrs: ["127.0.0.0/8"], allowHttp: true }, resolver),
    http: client,
    now: Date.now,
    requestTimeoutMs: 2000,
    maxResponseBytes: 1024,
    maxRetryAfterMs: 60_000,
    userAgent: "test",
  });
  const task = {
    webhookId: "msg_test",
    endpointId: "ep_1",
    eventType: "verdict.fraud",
    eventId: "e1",
    correlationId: "c1",
    body: '{"type":"verdict.fraud"}',
    attempt: 0,
    createdAt: 0,
    dueAt: 0,
    enqueuedAt: 0,
    lastStatus: null,
    lastError: null,
    replayOf: null,
    sourceTopic: "t",
    sourcePartition: 0,
    sourceOffset: 0,
  };

  it("sends Standard Webhooks headers that verify with every active secret", async () => {
    const [a, b] = [generateSecret(), generateSecret()];
    const r = await attemptDelivery(
      task,
      { url: `http://partner.test:${port}/ok`, secrets: [a, b] },
      deps(async () => loopback),
    );
    expect(r).toMatchObject({ outcome: "SUCCESS", status: 200 });
    const got = seen.at(-1)!;
    expect(got.headers["webhook-id"]).toBe("msg_test");
    expect(String(got.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    for (const s of [a, b]) expect(verifyWebhook(s, got.headers, got.body).id).toBe("msg_test");
  });

  it("reports a 429 with its Retry-After and a redirect as not followed", async () => {
    const r429 = await attemptDelivery(
      task,
      { url: `http://partner.test:${port}/slow-429`, secrets: [generateSecret()] },
      deps(async () => loopback),
    );
    expect(r429).toMatchObject({ outcome: "THROTTLED", status: 429, retryAfterMs: 3000 });
    const r302 = await attemptDelivery(
      task,
      { url: `http://partner.test:${port}/redirect`, secrets: [generateSecret()] },
      deps(async () => loopback),
    );
    expect(r302).toMatchObject({ outcome: "REDIRECT", status: 302 });
    expect(r302.error).toMatch(/not followed/);
  });

  it("refuses a forbidden address before any connection (the HTTP client is never called)", async () => {
    const spy: WebhookHttpClient = { post: vi.fn(), close: () => {} };
    for (const address of ["169.254.169.254", "10.0.0.1", "::1"]) {
      const family = address.includes(":") ? 6 : 4;
      const r = await attemptDelivery(
        task,
        { url: "https://partner.evil.test/hook", secrets: [generateSecret()] },
        deps(async () => [{ address, family }], spy),
      );
      expect(r.outcome).toBe("REFUSED");
      expect(r.error).toContain(address);
    }
    expect(spy.post).not.toHaveBeenCalled();
  });
});
