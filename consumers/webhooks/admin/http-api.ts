/**
 * The admin HTTP API (node:http): bearer-token auth (VERDICT_ADMIN_TOKEN, compared in constant
 * time), bound to 127.0.0.1 unless told otherwise, JSON in and out, request bodies capped. Logs
 * method, route, status and duration, never a body (bodies carry secrets).
 *
 *   GET    /healthz                              (no auth)
 *   GET    /metrics                              (no auth, Prometheus text)
 *   GET    /v1/endpoints                         list
 *   POST   /v1/endpoints                         create → 201 { endpoint, secret }
 *   GET    /v1/endpoints/:id                     get
 *   PATCH  /v1/endpoints/:id                     update url/eventTypes/filter/limits/description
 *   DELETE /v1/endpoints/:id                     delete (tombstone) → 204
 *   POST   /v1/endpoints/:id/disable {reason?}   disable
 *   POST   /v1/endpoints/:id/enable              enable
 *   POST   /v1/endpoints/:id/rotate-secret {secret?, graceMs?} → { endpoint, secret }
 *   GET    /v1/endpoints/:id/status              enabled, breaker, last event, dead letters, live lane
 *   GET    /v1/status                            the same for every endpoint
 *   GET    /v1/messages/:webhookId/attempts      every attempt of one message
 *   POST   /v1/replay {webhookId?, endpointId?, since?, until?, all?, dryRun?}
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorMessage, VerdictError } from "../../../lib/errors/index.ts";
import type { Logger } from "../../../lib/log/index.ts";
import type { EndpointAdmin } from "./operations.ts";
import type { ReplayFilter, ReplayReport } from "./replay.ts";
import type { EndpointStatus } from "./status.ts";

export interface AdminApiDeps {
  admin: EndpointAdmin;
  token: string;
  logger: Logger;
  status(id?: string): Promise<EndpointStatus[]>;
  attempts(webhookId: string): Promise<unknown[]>;
  replay(filter: ReplayFilter): Promise<ReplayReport>;
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): Record<string, unknown>;
}

export interface AdminApi {
  listen(host: string, port: number): Promise<AddressInfo>;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

const STATUS_BY_CODE: Record<string, number> = {
  VERDICT_ERR_ADMIN_AUTH: 401,
  VERDICT_ERR_WEBHOOK_NOT_FOUND: 404,
  VERDICT_ERR_WEBHOOK_ENDPOINT: 400,
  VERDICT_ERR_WEBHOOK_SSRF: 400,
  VERDICT_ERR_CONFIG: 400,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();

function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(header);
  // Digests have equal lengths: timingSafeEqual never leaks the token's length.
  return m !== null && timingSafeEqual(digest(m[1]!.trim()), expected);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `Request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "Request body is not valid JSON");
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
    .end(text);
}

function reply(res: ServerResponse, route: string, status: number, body?: unknown): string {
  send(res, status, body);
  return route;
}

function time(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === "number" ? value : Date.parse(String(value));
  if (Number.isNaN(ms)) throw new HttpError(400, `${field}: expected an ISO time or epoch ms`);
  return ms;
}

export function createAdminApi(deps: AdminApiDeps): AdminApi {
  const expected = digest(deps.token);
  const logger = deps.logger.child({ component: "webhook-admin-api" });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const url = new URL(req.url ?? "/", "http://admin.local");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? "GET";
    if (method === "GET" && url.pathname === "/healthz") {
      send(res, 200, { status: "ok", ...deps.health() });
      return "/healthz";
    }
    if (method === "GET" && url.pathname === "/metrics") {
      const m = await deps.metrics();
      res.writeHead(200, { "content-type": m.contentType }).end(m.body);
      return "/metrics";
    }
    if (parts[0] !== "v1") throw new HttpError(404, "Not found");
    if (!authorized(req, expected)) {
      throw new VerdictError("VERDICT_ERR_ADMIN_AUTH", "Missing or wrong bearer token");
    }
    const [, resource, id, action] = parts;
    if (resource === "endpoints") {
      if (!id) {
        if (method === "GET") return reply(res, "/v1/endpoints", 200, { endpoints: deps.admin.list() });
        if (method === "POST") {
          const created = await deps.admin.create((await readJson(req)) as never);
          return reply(res, "/v1/endpoints", 201, created);
        }
      } else if (!action) {
        if (method === "GET") return reply(res, "/v1/endpoints/:id", 200, { endpoint: deps.admin.get(id) });
        if (method === "PATCH") {
          return reply(res, "/v1/endpoints/:id", 200, {
            endpoint: await deps.admin.update(id, (await readJson(req)) as never),
          });
        }
        if (method === "DELETE") {
          await deps.admin.remove(id);
          return reply(res, "/v1/endpoints/:id", 204);
        }
      } else if (method === "POST" && action === "disable") {
        const body = (await readJson(req)) as { reason?: string };
        return reply(res, "/v1/endpoints/:id/disable", 200, {
          endpoint: await deps.admin.setEnabled(id, false, body.reason),
        });
      } else if (method === "POST" && action === "enable") {
        return reply(res, "/v1/endpoints/:id/enable", 200, {
          endpoint: await deps.admin.setEnabled(id, true),
        });
      } else if (method === "POST" && action === "rotate-secret") {
        const body = (await readJson(req)) as { secret?: string; graceMs?: number };
        return reply(res, "/v1/endpoints/:id/rotate-secret", 200, await deps.admin.rotateSecret(id, body));
      } else if (method === "GET" && action === "status") {
        deps.admin.get(id);
        return reply(res, "/v1/endpoints/:id/status", 200, { status: (await deps.status(id))[0] });
      }
    } else if (resource === "status" && !id && method === "GET") {
      return reply(res, "/v1/status", 200, { endpoints: await deps.status() });
    } else if (resource === "messages" && id && action === "attempts" && method === "GET") {
      return reply(res, "/v1/messages/:id/attempts", 200, {
        webhookId: id,
        attempts: await deps.attempts(id),
      });
    } else if (resource === "replay" && !id && method === "POST") {
      const body = (await readJson(req)) as Record<string, unknown>;
      const report = await deps.replay({
        webhookId: body.webhookId as string | undefined,
        endpointId: body.endpointId as string | undefined,
        since: time(body.since, "since"),
        until: time(body.until, "until"),
        all: body.all === true,
        dryRun: body.dryRun === true,
      });
      return reply(res, "/v1/replay", 200, report);
    }
    throw new HttpError(
      method === "GET" || method === "POST" ? 404 : 405,
      `No route for ${method} ${url.pathname}`,
    );
  }

  const server: Server = createServer((req, res) => {
    const started = Date.now();
    route(req, res)
      .then((r) =>
        logger.info(
          { method: req.method, route: r, status: res.statusCode, ms: Date.now() - started },
          "admin request",
        ),
      )
      .catch((err: unknown) => {
        const status =
          err instanceof HttpError
            ? err.status
            : err instanceof VerdictError
              ? (STATUS_BY_CODE[err.code] ?? 500)
              : 500;
        const code = err instanceof VerdictError ? err.code : status === 500 ? "INTERNAL" : "HTTP";
        if (status >= 500) logger.error({ err, method: req.method }, "admin request failed");
        else logger.info({ method: req.method, status, code }, "admin request refused");
        if (!res.headersSent) send(res, status, { error: { code, message: errorMessage(err) } });
      });
  });

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
