/**
 * What happens after an attempt: a pure decision, so the policy is tested without a broker.
 * - SUCCESS: delivered; nothing is sent again for this webhook id.
 * - GONE (410) or REFUSED (SSRF): the endpoint is disabled and the message dead-lettered.
 * - anything else: the next attempt per the schedule (with jitter), never before a Retry-After or
 *   an endpoint throttle; after the last attempt: dead letter.
 */
import type { AttemptOutcome, WebhookTask } from "../types.ts";
import { nextDelay } from "./schedule.ts";

export interface AttemptResult {
  outcome: AttemptOutcome;
  status: number | null;
  error: string | null;
  latencyMs: number;
  startedAt: number;
  retryAfterMs: number | null;
  /** Start of the response body. */
  response: string | null;
}

export type Decision =
  | { kind: "delivered" }
  | { kind: "retry"; dueAt: number; throttleUntil: number | null }
  | { kind: "dead"; reason: string }
  | { kind: "disable"; reason: string };

export interface DecideSettings {
  retryScheduleMs: readonly number[];
  jitter: number;
  throttleMs: number;
}

export function decide(
  task: Pick<WebhookTask, "attempt">,
  result: AttemptResult,
  settings: DecideSettings,
  now: number,
  random: () => number = Math.random,
): Decision {
  switch (result.outcome) {
    case "SUCCESS":
      return { kind: "delivered" };
    case "GONE":
      return { kind: "disable", reason: `endpoint answered 410 Gone: it asked us to stop sending` };
    case "REFUSED":
      return {
        kind: "disable",
        reason: `delivery refused by the SSRF guard: ${result.error ?? "forbidden address"}`,
      };
    default:
      break;
  }
  const attemptsMade = task.attempt + 1;
  const delay = nextDelay(settings.retryScheduleMs, attemptsMade, settings.jitter, random);
  if (delay === undefined) {
    return {
      kind: "dead",
      reason: `gave up after ${attemptsMade} attempt(s); last: ${describe(result)}`,
    };
  }
  const throttled = result.outcome === "THROTTLED";
  const pause = result.retryAfterMs ?? (throttled ? settings.throttleMs : 0);
  const notBefore = now + pause;
  return {
    kind: "retry",
    dueAt: Math.max(now + delay, notBefore),
    throttleUntil: throttled || result.retryAfterMs !== null ? notBefore : null,
  };
}

export function describe(result: AttemptResult): string {
  const status = result.status === null ? "" : ` HTTP ${result.status}`;
  const error = result.error ? `: ${result.error}` : "";
  return `${result.outcome}${status}${error}`;
}
