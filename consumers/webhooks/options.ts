/**
 * Webhook settings, validated once with zod (defaults documented on each field), plus the
 * environment mapping used by `verdict webhooks serve`. Errors name the variable and the fix.
 */
import { z } from "zod";
import { envBool } from "../../lib/config/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The Standard Webhooks example schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const SPEC_RETRY_SCHEDULE_MS = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];

export const webhookOptionsSchema = z
  .object({
    /**
     * Delay before each attempt, ms; its length is the number of attempts. The first entry is the
     * delay of the first attempt (0 = at once). Default: SPEC_RETRY_SCHEDULE_MS (10 attempts, ~3 days).
     */
    retryScheduleMs: z.array(z.number().int().min(0)).min(1).default(SPEC_RETRY_SCHEDULE_MS),
    /** Share of each retry delay that is random (delay × (1 ± jitter/2)). Default 0.2. */
    jitter: z.number().min(0).max(1).default(0.2),
    /** Whole-request timeout (connect, send, response headers and body), ms. Default 15000. */
    requestTimeoutMs: z.number().int().min(100).default(15_000),
    /** Response bytes read at most; the rest is discarded and the socket closed. Default 65536. */
    maxResponseBytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024),
    /** Hard cap on tasks of one endpoint waiting in memory for a slot; more are parked in a retry tier. Default 1000. */
    maxQueuedPerEndpoint: z.number().int().min(1).default(1000),
    /**
     * Park (instead of queueing) an endpoint's new tasks when its queue would take longer than this
     * to drain at its observed latency: a slow partner holds little memory, a fast one is not parked. Default 30000.
     */
    maxQueueWaitMs: z.number().int().min(0).default(30_000),
    /** Webhook ids remembered as delivered, so a duplicate task is never sent after a 2xx. Default 100000. */
    deliveredMemory: z.number().int().min(0).default(100_000),
    /** Tasks in memory for all endpoints together (bounds memory). Default 5000. */
    maxInFlight: z.number().int().min(1).default(5000),
    breaker: z
      .object({
        /** Consecutive failed attempts that open an endpoint's circuit. Default 5. */
        failureThreshold: z.number().int().min(1).default(5),
        /** First open period, ms; doubles after each failed probe. Default 30000. */
        openMs: z.number().int().min(1).default(30_000),
        /** Longest open period, ms. Default 600000 (10 min). */
        maxOpenMs: z
          .number()
          .int()
          .min(1)
          .default(10 * MINUTE),
      })
      .strict()
      .default({ failureThreshold: 5, openMs: 30_000, maxOpenMs: 10 * MINUTE }),
    /** Endpoint pause after 429/502/504 without Retry-After, ms. Default 5000. */
    throttleMs: z
      .number()
      .int()
      .min(0)
      .default(5 * SECOND),
    /** Cap on a honoured Retry-After, ms. Default 86400000 (24 h). */
    maxRetryAfterMs: z
      .number()
      .int()
      .min(0)
      .default(24 * HOUR),
    /** Disable an endpoint that failed without a single success for this long, ms (0 = never). Default 5 days. */
    disableAfterFailingMs: z
      .number()
      .int()
      .min(0)
      .default(5 * 24 * HOUR),
    /** Overlap during which a rotated-out secret still signs, ms. Default 86400000 (24 h). */
    rotationGraceMs: z
      .number()
      .int()
      .min(0)
      .default(24 * HOUR),
    /** How often finished work is committed to Kafka, ms. Default 500. */
    commitIntervalMs: z.number().int().min(10).default(500),
    /** On stop, how long in-flight attempts may finish before they are abandoned (uncommitted). Default 10000. */
    shutdownGraceMs: z.number().int().min(0).default(10_000),
    /** Consumer group session timeout, ms (how fast a killed worker's partitions move on). Default 30000. */
    sessionTimeoutMs: z.number().int().min(6000).default(30_000),
    /** `user-agent` of webhook requests. */
    userAgent: z.string().default("Verdict-Webhooks/1"),
    ssrf: z
      .object({
        /** Host names allowed whatever they resolve to. Env VERDICT_WEBHOOK_ALLOW_HOSTS. Default none. */
        allowHosts: z.array(z.string().min(1)).default([]),
        /** Private/loopback ranges allowed. Env VERDICT_WEBHOOK_ALLOW_CIDRS. Default none. */
        allowCidrs: z.array(z.string().min(1)).default([]),
        /** Allow http:// endpoints. Env VERDICT_WEBHOOK_ALLOW_HTTP. Default false. */
        allowHttp: z.boolean().default(false),
      })
      .strict()
      .default({ allowHosts: [], allowCidrs: [], allowHttp: false }),
    /** base64 of 32 bytes: signing secrets are stored AES-256-GCM encrypted. Env VERDICT_WEBHOOK_SECRETS_KEY. */
    secretsKey: z.string().optional(),
    admin: z
      .object({
        /** Serve the admin API (needs a token). Default true. */
        enabled: z.boolean().default(true),
        /** Bind address. Default 127.0.0.1 (loopback only). Env VERDICT_ADMIN_HOST. */
        host: z.string().default("127.0.0.1"),
        /** Port; 0 = any free port. Default 8089. Env VERDICT_ADMIN_PORT. */
        port: z.number().int().min(0).max(65535).default(8089),
        /** Bearer token. Env VERDICT_ADMIN_TOKEN. Without one the API is not started. */
        token: z.string().min(16, "VERDICT_ADMIN_TOKEN must be at least 16 characters").optional(),
      })
      .strict()
      .default({ enabled: true, host: "127.0.0.1", port: 8089 }),
  })
  .strict()
  .refine((o) => o.breaker.maxOpenMs >= o.breaker.openMs, {
    message: "breaker.maxOpenMs must be >= breaker.openMs",
    path: ["breaker", "maxOpenMs"],
  });

export type WebhookOptions = z.infer<typeof webhookOptionsSchema>;
export type WebhookOptionsInput = z.input<typeof webhookOptionsSchema>;

const ENV_NAMES: Record<string, string> = {
  retryScheduleMs: "VERDICT_WEBHOOK_RETRY_SCHEDULE",
  requestTimeoutMs: "VERDICT_WEBHOOK_TIMEOUT_MS",
  jitter: "VERDICT_WEBHOOK_JITTER",
  "breaker.failureThreshold": "VERDICT_WEBHOOK_BREAKER_THRESHOLD",
  "breaker.openMs": "VERDICT_WEBHOOK_BREAKER_OPEN_MS",
  "breaker.maxOpenMs": "VERDICT_WEBHOOK_BREAKER_MAX_OPEN_MS",
  disableAfterFailingMs: "VERDICT_WEBHOOK_DISABLE_AFTER_MS",
  sessionTimeoutMs: "VERDICT_WEBHOOK_SESSION_TIMEOUT_MS",
  "admin.token": "VERDICT_ADMIN_TOKEN",
  "admin.port": "VERDICT_ADMIN_PORT",
};

export function parseWebhookOptions(input: unknown): Readonly<WebhookOptions> {
  const parsed = webhookOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const path = i.path.join(".");
      const env = ENV_NAMES[path] ?? ENV_NAMES[path.replace(/\.\d+$/, "")];
      return `  - ${path}${env ? ` (env ${env})` : ""}: ${i.message}`;
    });
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid webhook options:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}

const UNITS: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: 24 * HOUR };

/** "250ms", "5s", "5m", "2h", "1d" or a bare number of ms. */
export function parseDuration(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m)
    throw new VerdictError(
      "VERDICT_ERR_CONFIG",
      `${name}: "${text}" is not a duration (e.g. 500ms, 5s, 5m, 2h)`,
    );
  return Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]!);
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function num(env: NodeJS.ProcessEnv, name: string, duration = false): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  if (duration) return parseDuration(v, name);
  const n = Number(v);
  if (!Number.isFinite(n)) throw new VerdictError("VERDICT_ERR_CONFIG", `${name}=${v} is not a number`);
  return n;
}

/** Options from VERDICT_WEBHOOK_* / VERDICT_ADMIN_* (unset variables keep the defaults). */
export function webhookOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookOptionsInput {
  const schedule = list(env.VERDICT_WEBHOOK_RETRY_SCHEDULE)?.map((d) =>
    parseDuration(d, "VERDICT_WEBHOOK_RETRY_SCHEDULE"),
  );
  const breaker = {
    failureThreshold: num(env, "VERDICT_WEBHOOK_BREAKER_THRESHOLD"),
    openMs: num(env, "VERDICT_WEBHOOK_BREAKER_OPEN_MS", true),
    maxOpenMs: num(env, "VERDICT_WEBHOOK_BREAKER_MAX_OPEN_MS", true),
  };
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return defined({
    retryScheduleMs: schedule,
    jitter: num(env, "VERDICT_WEBHOOK_JITTER"),
    requestTimeoutMs: num(env, "VERDICT_WEBHOOK_TIMEOUT_MS", true),
    maxResponseBytes: num(env, "VERDICT_WEBHOOK_MAX_RESPONSE_BYTES"),
    throttleMs: num(env, "VERDICT_WEBHOOK_THROTTLE_MS", true),
    disableAfterFailingMs: num(env, "VERDICT_WEBHOOK_DISABLE_AFTER_MS", true),
    sessionTimeoutMs: num(env, "VERDICT_WEBHOOK_SESSION_TIMEOUT_MS", true),
    commitIntervalMs: num(env, "VERDICT_WEBHOOK_COMMIT_INTERVAL_MS", true),
    breaker: Object.keys(defined(breaker)).length
      ? { failureThreshold: 5, openMs: 30_000, maxOpenMs: 10 * MINUTE, ...defined(breaker) }
      : undefined,
    ssrf: {
      allowHosts: list(env.VERDICT_WEBHOOK_ALLOW_HOSTS) ?? [],
      allowCidrs: list(env.VERDICT_WEBHOOK_ALLOW_CIDRS) ?? [],
      allowHttp: envBool(env, "VERDICT_WEBHOOK_ALLOW_HTTP") ?? false,
    },
    secretsKey: env.VERDICT_WEBHOOK_SECRETS_KEY || undefined,
    admin: {
      enabled: envBool(env, "VERDICT_ADMIN_ENABLED") ?? true,
      host: env.VERDICT_ADMIN_HOST || "127.0.0.1",
      port: num(env, "VERDICT_ADMIN_PORT") ?? 8089,
      token: env.VERDICT_ADMIN_TOKEN || undefined,
    },
  }) as WebhookOptionsInput;
}
