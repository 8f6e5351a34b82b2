/**
 * Webhook test support: partner HTTP servers on 127.0.0.1 (real sockets, scripted answers) that
 * record every request as the receiver sees it, and helpers to publish verdicts. Loopback only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import type { AppDeps } from "../app/deps.ts";
import type { WebhookHttpClient } from "../consumers/webhooks/index.ts";
import { type Logger, REDACT_PATHS } from "../lib/log/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import type { FraudVerdict } from "../schemas/generated/types.ts";
import { TOPICS } from "../topology/index.ts";
import { testConnections } from "./support/app.ts";

export interface Received {
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  headers: IncomingMessage["headers"];
  eventId: string;
  at: number;
  /** Status we answered; null while the request hangs (or was abandoned by the sender). */
  status: number | null;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** Never answer: the sender must time out. */
  hang?: boolean;
}

export interface Partner {
  readonly name: string;
  readonly received: Received[];
  url(path?: string): string;
  /** webhook-id → number of 2xx answers given for it. */
  delivered(): Map<string, number>;
  close(): Promise<void>;
}

export async function startPartner(
  name: string,
  answer: (r: Received, n: number) => Answer,
): Promise<Partner> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let eventId = "";
      try {
        eventId = JSON.parse(body).data?.eventId ?? "";
      } catch {
        // recorded as is
      }
      const r: Received = {
        webhookId: String(req.headers["webhook-id"] ?? ""),
        timestamp: String(req.headers["webhook-timestamp"] ?? ""),
        signature: String(req.headers["webhook-signature"] ?? ""),
        body,
        headers: req.headers,
        eventId,
        at: Date.now(),
        status: null,
      };
      received.push(r);
      const a = answer(r, received.length);
      if (a.hang) return;
      r.status = a.status ?? 200;
      res.writeHead(r.status, a.headers).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    received,
    url: (path = "/hooks") => `http://127.0.0.1:${port}${path}`,
    delivered() {
      const out = new Map<string, number>();
      for (const r of received)
        if (r.status !== null && r.status >= 200 && r.status < 300)
          out.set(r.webhookId, (out.get(r.webhookId) ?? 0) + 1);
      return out;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const DECISIONS = ["APPROVE", "REVIEW", "DECLINE"] as const;

export function fraudVerdict(i: number, decidedAt = Date.now()): FraudVerdict {
  return {
    eventId: `wh-evt-${i}`,
    transactionId: `tx-${i}`,
    customerId: `c-${i % 17}`,
    decision: DECISIONS[i % 3]!,
    score: i % 3 === 0 ? null : (i % 100) / 100,
    reasons: [`rule-${i % 5}`],
    model: { name: "fraud", version: "1", provider: "cpu" },
    occurredAt: decidedAt - 20,
    decidedAt,
    timings: { total: 1.5 },
  };
}

/** Publishes verdicts to verdicts.fraud.v1 (correlation id = corr-<eventId>); returns publish time per event id. */
export async function publishVerdicts(verdicts: FraudVerdict[]): Promise<Map<string, number>> {
  const producer = await createProducer({ connections: testConnections(), clientId: "webhook-test" });
  const at = new Map<string, number>();
  try {
    for (let i = 0; i < verdicts.length; i += 250) {
      const slice = verdicts.slice(i, i + 250);
      await producer.publishMany(
        TOPICS.fraudVerdicts,
        slice.map((event) => ({ event, options: { correlationId: `corr-${event.eventId}` } })),
      );
      const t = Date.now();
      for (const v of slice) at.set(v.eventId, t);
    }
  } finally {
    await producer.close();
  }
  return at;
}

export { eventually } from "../lib/retry/index.ts";

/** A logger for the service under test: silent unless WEBHOOK_TEST_LOG=<level>; `lines` keeps what it wrote. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const level = process.env.WEBHOOK_TEST_LOG ?? "info";
  const logger = pino(
    { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    {
      write(line: string) {
        lines.push(line);
        if (process.env.WEBHOOK_TEST_LOG) process.stderr.write(line);
      },
    },
  );
  return { logger, lines };
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export type { AppDeps };

/**
 * Wraps the real HTTP client so a test can never send traffic off loopback, even if the SSRF guard
 * under test were broken: any other address is recorded and refused here.
 */
export function loopbackOnly(client: WebhookHttpClient): WebhookHttpClient & { violations: string[] } {
  const violations: string[] = [];
  return {
    violations,
    post(req) {
      const address = req.addresses[0]?.address ?? "";
      if (address !== "127.0.0.1" && address !== "::1") {
        violations.push(`${req.url.host} → ${address}`);
        return Promise.reject(new Error(`test guard: refusing to connect to non-loopback ${address}`));
      }
      return client.post(req);
    },
    close: () => client.close(),
  };
}

/** A tiny client for the admin API. */
export function adminClient(base: string, token: string) {
  return async (method: string, path: string, body?: unknown, auth = `Bearer ${token}`) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  };
}
