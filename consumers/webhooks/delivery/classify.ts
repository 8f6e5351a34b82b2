/**
 * What an answer means, per the Standard Webhooks "delivery success and failure" table: 2xx success;
 * 3xx failure (redirects are not followed: the partner should update the URL); 410 disables the
 * endpoint; 429, 502, 504 throttle; everything else fails. Retry-After (seconds or an HTTP date) on
 * any failure pushes the next attempt back.
 */
import type { AttemptOutcome } from "../types.ts";

export function classifyStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return "SUCCESS";
  if (status >= 300 && status < 400) return "REDIRECT";
  if (status === 410) return "GONE";
  if (status === 429 || status === 502 || status === 504) return "THROTTLED";
  return "FAILED";
}

/** Retry-After as a delay in ms from `now`, capped at `maxMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number, maxMs: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), maxMs);
}
