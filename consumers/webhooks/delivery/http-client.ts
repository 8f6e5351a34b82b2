/**
 * The webhook HTTP client: node:http/https with the SSRF guard's vetted address pinned through
 * `lookup` (the connection goes exactly where the guard looked, no second DNS answer), redirects
 * never followed (node's client does not follow them; a 3xx is reported as is), one deadline for
 * the whole exchange, and a cap on the response bytes read. A second implementation of the
 * interface (a fake) serves the unit tests.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { VerdictError } from "../../../lib/errors/index.ts";
import type { ResolvedAddress } from "../ssrf/index.ts";

export interface HttpRequest {
  url: URL;
  /** Vetted addresses: the client connects to the first one only. */
  addresses: readonly ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names; the ones delivery cares about (retry-after, location...). */
  headers: Record<string, string | undefined>;
  /** Start of the body (utf-8), at most maxResponseBytes. */
  body: string;
  truncated: boolean;
}

export type HttpFailureKind = "timeout" | "network" | "aborted";

/** Thrown when no complete response came back. */
export class HttpFailure extends VerdictError {
  readonly kind: HttpFailureKind;
  constructor(kind: HttpFailureKind, message: string, cause?: unknown) {
    super("VERDICT_ERR_WEBHOOK_DELIVERY", message, {
      cause,
      retriable: kind !== "aborted",
      context: { kind },
    });
    this.kind = kind;
  }
}

export interface WebhookHttpClient {
  post(request: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

function pinned(address: ResolvedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  }) as unknown as LookupFunction;
}

export function createHttpClient(): WebhookHttpClient {
  // Keep-alive pools: a lane reuses its connections. Sockets of a timed-out request are destroyed.
  const httpAgent = new HttpAgent({ keepAlive: true, maxFreeSockets: 64, noDelay: true } as never);
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 64, noDelay: true } as never);

  function post(req: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const https = req.url.protocol === "https:";
      const send = https ? httpsRequest : httpRequest;
      const address = req.addresses[0];
      if (!address) return reject(new HttpFailure("network", "No vetted address to connect to"));
      let settled = false;
      const finish = (err: HttpFailure | undefined, res?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        req.signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(res!);
      };
      const body = Buffer.from(req.body);
      const outgoing = send(req.url, {
        method: "POST",
        headers: { ...req.headers, "content-length": String(body.length) },
        lookup: pinned(address),
        agent: https ? httpsAgent : httpAgent,
        // SNI and certificate checks use the URL's host name, whatever address we connect to.
      });
      const deadline = setTimeout(() => {
        const err = new HttpFailure("timeout", `No complete response within ${req.timeoutMs} ms`);
        outgoing.destroy(err);
        finish(err);
      }, req.timeoutMs);
      const onAbort = () => {
        const err = new HttpFailure("aborted", "Delivery aborted (worker stopping)");
        outgoing.destroy(err);
        finish(err);
      };
      if (req.signal?.aborted) return onAbort();
      req.signal?.addEventListener("abort", onAbort, { once: true });
      outgoing.on("error", (cause: Error) => {
        finish(cause instanceof HttpFailure ? cause : new HttpFailure("network", cause.message, cause));
      });
      outgoing.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const done = () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]),
            ),
            body: Buffer.concat(chunks).toString("utf8"),
            truncated,
          });
        res.on("data", (chunk: Buffer) => {
          if (truncated) return;
          const room = req.maxResponseBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, Math.max(0, room)));
            size += Math.max(0, room);
            truncated = true;
            // Enough read: the status is what counts; never let a partner stream us gigabytes.
            done();
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on("end", done);
        res.on("error", (cause) =>
          finish(new HttpFailure("network", `Response broken: ${cause.message}`, cause)),
        );
        res.on("aborted", () => finish(new HttpFailure("network", "Response aborted by the partner")));
      });
      outgoing.end(body);
    });
  }

  return {
    post,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
