/**
 * The observability endpoint of every Verdict process (node:http, no framework):
 *   GET /metrics     Prometheus text format from this process's registry
 *   GET /healthz     liveness: 200 while no runner crashed
 *   GET /readyz      readiness: 200 when every runner joined its group and every dependency answers
 *   GET /dashboard   the live dashboard page (also at /)
 *   GET /api/stats   the dashboard's JSON
 *   GET /api/models, PUT /api/models/<name>/rollout   live model status and canary/shadow
 *                    rollout (`verdict models shadow|canary`): loopback callers only, or a bearer
 *                    token when VERDICT_ADMIN_TOKEN is set
 * Binds 127.0.0.1 by default (VERDICT_HTTP_HOST / VERDICT_HTTP_PORT, default 9464, Prometheus'
 * conventional exporter port); bind 0.0.0.0 only where a network policy guards it (k8s pods).
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { envInt } from "../../lib/config/index.ts";
import { errorCode, errorMessage, VerdictError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { packagePath } from "../../lib/paths/index.ts";
import type { Health } from "./health.ts";

const DASHBOARD = packagePath("observability", "dashboard", "dashboard.html");

export interface HttpOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** When the port is taken: serve on a free port instead (and say so) rather than fail. Default true. */
  fallbackToFreePort?: boolean;
}

export function httpOptionsFromEnv(env: Record<string, string | undefined> = process.env): HttpOptions {
  const port = envInt(env, "VERDICT_HTTP_PORT", { min: 0, max: 65535, what: "a port" }) ?? 9464;
  return { host: env.VERDICT_HTTP_HOST || "127.0.0.1", port };
}

/** Live model administration, where an inference stage runs in the process. */
export interface ModelAdmin {
  status(): Promise<unknown>;
  /** Sets a model's rollout; throws VerdictError(VERDICT_ERR_CONFIG / MODEL_INVALID) on bad input. */
  setRollout(name: string, body: unknown): Promise<unknown>;
}

export interface ObservabilityServer {
  listen(): Promise<AddressInfo>;
  address(): AddressInfo | undefined;
  /** http://host:port of the running server. */
  url(): string | undefined;
  close(): Promise<void>;
}

export function createObservabilityServer(deps: {
  registry: Registry;
  health: Health;
  stats: () => Promise<Record<string, unknown>>;
  options: HttpOptions;
  models?: () => ModelAdmin | undefined;
  /** Bearer token for admin calls; without one only loopback peers may call them. */
  adminToken?: string;
  logger?: Logger;
}): ObservabilityServer {
  const page = readFileSync(DASHBOARD);
  let server: Server | undefined;

  function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
    res.writeHead(status, {
      "content-type": type,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.end(body);
  }
  const json = (res: ServerResponse, status: number, value: unknown) =>
    send(res, status, "application/json; charset=utf-8", JSON.stringify(value));

  function allowed(req: IncomingMessage): boolean {
    if (deps.adminToken) return req.headers.authorization === `Bearer ${deps.adminToken}`;
    const peer = req.socket.remoteAddress ?? "";
    return peer === "127.0.0.1" || peer === "::1" || peer === "::ffff:127.0.0.1";
  }

  async function body(req: IncomingMessage): Promise<unknown> {
    let raw = "";
    for await (const chunk of req) {
      raw += chunk;
      if (raw.length > 64 * 1024) throw new VerdictError("VERDICT_ERR_CONFIG", "request body too large");
    }
    try {
      return JSON.parse(raw || "{}");
    } catch {
      throw new VerdictError("VERDICT_ERR_CONFIG", "request body is not JSON");
    }
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const models = deps.models?.();
    if (!models) return json(res, 404, { error: "no inference stage in this process" });
    if (!allowed(req)) return json(res, 403, { error: "admin calls need loopback or VERDICT_ADMIN_TOKEN" });
    if (path === "/api/models" && req.method === "GET") return json(res, 200, await models.status());
    const m = /^\/api\/models\/([a-z0-9][a-z0-9-]*)\/rollout$/.exec(path);
    if (m && req.method === "PUT") {
      try {
        return json(res, 200, await models.setRollout(m[1]!, await body(req)));
      } catch (err) {
        return json(res, 400, { error: errorMessage(err), code: errorCode(err) });
      }
    }
    res.setHeader("allow", "GET, PUT");
    json(res, 405, { error: "method not allowed" });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path.startsWith("/api/models")) return admin(req, res, path);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      json(res, 405, { error: "method not allowed" });
      return;
    }
    switch (path) {
      case "/metrics":
        send(res, 200, deps.registry.contentType, await deps.registry.metrics());
        return;
      case "/healthz": {
        const live = deps.health.live();
        json(res, live.live ? 200 : 503, live);
        return;
      }
      case "/readyz": {
        const ready = await deps.health.ready();
        json(res, ready.ready ? 200 : 503, ready);
        return;
      }
      case "/":
      case "/dashboard":
        send(res, 200, "text/html; charset=utf-8", page);
        return;
      case "/api/stats":
        json(res, 200, await deps.stats());
        return;
      default:
        json(res, 404, {
          error: "not found",
          endpoints: ["/metrics", "/healthz", "/readyz", "/dashboard", "/api/stats"],
        });
    }
  }

  function listenOn(port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const s = createServer((req, res) => {
        handle(req, res).catch((err) => {
          deps.logger?.error({ err: errorMessage(err), url: req.url }, "observability endpoint failed");
          if (!res.headersSent) json(res, 500, { error: errorMessage(err) });
          else res.end();
        });
      });
      s.once("error", reject);
      s.listen(port, deps.options.host, () => {
        s.off("error", reject);
        resolve(s);
      });
    });
  }

  return {
    async listen() {
      try {
        server = await listenOn(deps.options.port);
      } catch (err) {
        if (
          (err as NodeJS.ErrnoException).code !== "EADDRINUSE" ||
          deps.options.fallbackToFreePort === false
        ) {
          throw err;
        }
        server = await listenOn(0);
        deps.logger?.warn(
          { wanted: deps.options.port, port: (server.address() as AddressInfo).port },
          "observability port in use: serving on a free port instead (set VERDICT_HTTP_PORT)",
        );
      }
      return server.address() as AddressInfo;
    },
    address: () => server?.address() as AddressInfo | undefined,
    url() {
      const a = server?.address() as AddressInfo | undefined;
      if (!a) return undefined;
      const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
      return `http://${host}:${a.port}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
