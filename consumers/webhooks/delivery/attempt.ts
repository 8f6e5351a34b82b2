/**
 * One delivery attempt: vet the URL (SSRF guard, before any connection), sign with every active
 * secret, POST with the Standard Webhooks headers, and turn whatever happened into an AttemptResult.
 * Never throws for partner behaviour; only a programming error escapes.
 */
import { errorMessage, VerdictError } from "../../../lib/errors/index.ts";
import { signatureHeader } from "../signing.ts";
import type { SsrfGuard } from "../ssrf/index.ts";
import type { WebhookTask } from "../types.ts";
import { classifyStatus, parseRetryAfter } from "./classify.ts";
import type { AttemptResult } from "./decide.ts";
import { HttpFailure, type WebhookHttpClient } from "./http-client.ts";

export interface AttemptDeps {
  guard: SsrfGuard;
  http: WebhookHttpClient;
  now: () => number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxRetryAfterMs: number;
  userAgent: string;
}

const RESPONSE_SNIPPET = 512;

export async function attemptDelivery(
  task: WebhookTask,
  target: { url: string; secrets: readonly string[] },
  deps: AttemptDeps,
  signal?: AbortSignal,
): Promise<AttemptResult> {
  const startedAt = deps.now();
  const result = (partial: Partial<AttemptResult> & Pick<AttemptResult, "outcome">): AttemptResult => ({
    status: null,
    error: null,
    retryAfterMs: null,
    response: null,
    ...partial,
    startedAt,
    latencyMs: deps.now() - startedAt,
  });
  let vetted: Awaited<ReturnType<SsrfGuard["vet"]>>;
  try {
    vetted = await deps.guard.vet(target.url);
  } catch (err) {
    const refused = err instanceof VerdictError && err.code === "VERDICT_ERR_WEBHOOK_SSRF";
    return result({ outcome: refused ? "REFUSED" : "NETWORK", error: errorMessage(err) });
  }
  // webhook-timestamp is the attempt's time: each retry is signed afresh, same id, same body.
  const timestamp = Math.floor(deps.now() / 1000);
  try {
    const res = await deps.http.post({
      url: vetted.url,
      addresses: vetted.addresses,
      headers: {
        "content-type": "application/json",
        "user-agent": deps.userAgent,
        "webhook-id": task.webhookId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signatureHeader(target.secrets, task.webhookId, timestamp, task.body),
      },
      body: task.body,
      timeoutMs: deps.requestTimeoutMs,
      maxResponseBytes: deps.maxResponseBytes,
      signal,
    });
    const outcome = classifyStatus(res.status);
    const retryAfterMs =
      outcome === "SUCCESS"
        ? undefined
        : parseRetryAfter(res.headers["retry-after"], deps.now(), deps.maxRetryAfterMs);
    return result({
      outcome,
      status: res.status,
      error:
        outcome === "REDIRECT"
          ? `redirect to ${res.headers.location ?? "(no location)"} not followed: update the endpoint URL`
          : outcome === "SUCCESS"
            ? null
            : `HTTP ${res.status}`,
      retryAfterMs: retryAfterMs ?? null,
      response: res.body ? res.body.slice(0, RESPONSE_SNIPPET) : null,
    });
  } catch (err) {
    if (err instanceof HttpFailure) {
      if (err.kind === "aborted") throw err;
      return result({ outcome: err.kind === "timeout" ? "TIMEOUT" : "NETWORK", error: err.message });
    }
    throw err;
  }
}
