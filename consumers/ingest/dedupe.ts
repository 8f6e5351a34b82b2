/**
 * Duplicate detection by event id within a window. Idempotent under redelivery: the first sighting
 * remembers WHERE the event was read (topic/partition/offset). The same event read again at the same
 * position is a redelivery after a crash and must be processed again (its output may never have been
 * published); the same event id at another position is a real duplicate and is dropped.
 */
import type { Redis } from "ioredis";
import { VerdictError } from "../../lib/errors/index.ts";

export interface DedupeStore {
  /**
   * True when `eventId` was first seen at another position within the window. An in-process store
   * answers synchronously, so a fused in-memory chain makes no promise for it.
   */
  isDuplicate(eventId: string, position: string, windowMs: number, now: number): boolean | Promise<boolean>;
}

export function memoryDedupe(maxEntries = 1_000_000): DedupeStore {
  const seen = new Map<string, { position: string; expires: number }>();
  return {
    isDuplicate(eventId, position, windowMs, now) {
      const entry = seen.get(eventId);
      if (entry && entry.expires > now) return entry.position !== position;
      seen.delete(eventId);
      seen.set(eventId, { position, expires: now + windowMs });
      // Map keeps insertion order: evict the oldest when full (bounded memory).
      if (seen.size > maxEntries) seen.delete(seen.keys().next().value as string);
      return false;
    },
  };
}

/** `prefix` must be unique per deployment sharing the Redis (the app uses the topic prefix). */
export function redisDedupe(redis: Redis, prefix = "verdict:dedupe:"): DedupeStore {
  return {
    async isDuplicate(eventId, position, windowMs) {
      try {
        // SET NX keeps the first position; GET returns it whether we set it or not (Redis >= 7).
        const first = await redis.set(
          `${prefix}${eventId}`,
          position,
          "PX",
          Math.max(1, windowMs),
          "NX",
          "GET",
        );
        return first !== null && first !== position;
      } catch (cause) {
        throw new VerdictError(
          "VERDICT_ERR_FEATURE_STORE",
          `Dedupe lookup in Redis failed: ${(cause as Error).message}`,
          {
            cause,
            retriable: true,
          },
        );
      }
    },
  };
}
