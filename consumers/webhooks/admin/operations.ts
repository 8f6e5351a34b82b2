/**
 * Endpoint management, shared by the CLI and the admin HTTP API: create, update, enable/disable,
 * delete, rotate the secret. Inputs are validated with zod (errors name the field); the URL passes
 * the SSRF guard before it is stored. Secrets leave this module once, in the create/rotate answer;
 * listings show fingerprints only.
 */
import { z } from "zod";
import { UnrecoverableError, VerdictError } from "../../../lib/errors/index.ts";
import { ENDPOINT_ID, newEndpointId } from "../ids.ts";
import { generateSecret, secretFingerprint, secretKey } from "../signing.ts";
import type { SsrfGuard } from "../ssrf/index.ts";
import { validateSubscription } from "../subscriptions/match.ts";
import type { SecretBox } from "../subscriptions/secret-box.ts";
import type { SubscriptionStore } from "../subscriptions/store.ts";
import type { SubscriptionView } from "../subscriptions/view.ts";
import type { EndpointEvents, WebhookEndpoint } from "../types.ts";

const settingsShape = {
  url: z.string().min(1).max(2048),
  description: z.string().max(500),
  eventTypes: z.array(z.string()),
  filter: z.record(z.string(), z.array(z.string().min(1))),
  rateLimitPerSec: z.number().positive().max(10_000).nullable(),
  maxConcurrency: z.number().int().min(1).max(1000),
};

export const endpointInputSchema = z
  .object({
    id: z.string().regex(ENDPOINT_ID, "1-64 characters of A-Z a-z 0-9 _ -").optional(),
    ...settingsShape,
    description: settingsShape.description.default(""),
    eventTypes: settingsShape.eventTypes.default([]),
    filter: settingsShape.filter.default({}),
    rateLimitPerSec: settingsShape.rateLimitPerSec.default(null),
    maxConcurrency: settingsShape.maxConcurrency.default(10),
    /** A whsec_ secret to use; default: a new random one. */
    secret: z.string().optional(),
    enabled: z.boolean().default(true),
  })
  .strict();

export const endpointPatchSchema = z.object(settingsShape).partial().strict();

export type EndpointInput = z.input<typeof endpointInputSchema>;
export type EndpointPatch = z.input<typeof endpointPatchSchema>;

/** An endpoint as shown to operators: no secret, only fingerprints. */
export interface PublicEndpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  filter: Record<string, string[]>;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  rateLimitPerSec: number | null;
  maxConcurrency: number;
  secrets: { fingerprint: string; createdAt: string; expiresAt: string | null }[];
  createdAt: string;
  updatedAt: string;
}

export interface EndpointAdmin {
  list(): PublicEndpoint[];
  get(id: string): PublicEndpoint;
  create(input: EndpointInput): Promise<{ endpoint: PublicEndpoint; secret: string }>;
  update(id: string, patch: EndpointPatch): Promise<PublicEndpoint>;
  setEnabled(id: string, enabled: boolean, reason?: string): Promise<PublicEndpoint>;
  remove(id: string): Promise<void>;
  rotateSecret(
    id: string,
    options?: { secret?: string; graceMs?: number },
  ): Promise<{ endpoint: PublicEndpoint; secret: string }>;
}

export interface EndpointAdminDeps {
  view: SubscriptionView;
  store: SubscriptionStore;
  guard: SsrfGuard;
  box: SecretBox;
  events: EndpointEvents;
  rotationGraceMs: number;
  now?: () => number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toPublic(e: WebhookEndpoint, box: SecretBox): PublicEndpoint {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: [...e.eventTypes],
    filter: Object.fromEntries(Object.entries(e.filter).map(([k, v]) => [k, [...v]])),
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    disabledAt: iso(e.disabledAt),
    rateLimitPerSec: e.rateLimitPerSec,
    maxConcurrency: e.maxConcurrency,
    secrets: e.secrets.map((s) => ({
      fingerprint: secretFingerprint(box.open(s.secret)),
      createdAt: iso(s.createdAt)!,
      expiresAt: iso(s.expiresAt),
    })),
    createdAt: iso(e.createdAt)!,
    updatedAt: iso(e.updatedAt)!,
  };
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    throw new UnrecoverableError("VERDICT_ERR_WEBHOOK_ENDPOINT", `Invalid endpoint: ${lines}`);
  }
  return parsed.data;
}

function checkSecret(secret: string): string {
  try {
    secretKey(secret);
  } catch (err) {
    throw new UnrecoverableError("VERDICT_ERR_WEBHOOK_ENDPOINT", `secret: ${(err as Error).message}`);
  }
  return secret;
}

export function createEndpointAdmin(deps: EndpointAdminDeps): EndpointAdmin {
  const now = deps.now ?? Date.now;
  const find = (id: string): WebhookEndpoint => {
    const e = deps.view.get(id);
    if (!e)
      throw new VerdictError("VERDICT_ERR_WEBHOOK_NOT_FOUND", `No webhook endpoint "${id}"`, {
        context: { id },
      });
    return e;
  };
  const pub = (e: WebhookEndpoint) => toPublic(e, deps.box);

  async function save(e: WebhookEndpoint, event: Parameters<EndpointEvents["emit"]>[1], reason: string) {
    await deps.store.put(e);
    await deps.events.emit(e.id, event, reason);
    return pub(e);
  }

  return {
    list: () => deps.view.list().map(pub),
    get: (id) => pub(find(id)),

    async create(input) {
      const data = parse(endpointInputSchema, input);
      validateSubscription(data.eventTypes, data.filter);
      const id = data.id ?? newEndpointId();
      if (deps.view.get(id)) {
        throw new UnrecoverableError(
          "VERDICT_ERR_WEBHOOK_ENDPOINT",
          `id: an endpoint "${id}" already exists`,
        );
      }
      // Refused here, with the guard's clear message, before anything is stored or connected.
      await deps.guard.vet(data.url);
      const secret = data.secret ? checkSecret(data.secret) : generateSecret();
      const t = now();
      const endpoint: WebhookEndpoint = {
        id,
        url: data.url,
        description: data.description,
        eventTypes: data.eventTypes,
        filter: data.filter,
        secrets: [{ secret: deps.box.seal(secret), createdAt: t, expiresAt: null }],
        enabled: data.enabled,
        disabledReason: data.enabled ? null : "created disabled",
        disabledAt: data.enabled ? null : t,
        rateLimitPerSec: data.rateLimitPerSec,
        maxConcurrency: data.maxConcurrency,
        createdAt: t,
        updatedAt: t,
      };
      return { endpoint: await save(endpoint, "CREATED", `created for ${data.url}`), secret };
    },

    async update(id, patch) {
      const data = parse(endpointPatchSchema, patch);
      const current = find(id);
      const next: WebhookEndpoint = { ...current, ...data, updatedAt: now() };
      validateSubscription(next.eventTypes, next.filter);
      if (data.url !== undefined) await deps.guard.vet(data.url);
      return save(next, "UPDATED", `changed: ${Object.keys(data).join(", ") || "nothing"}`);
    },

    async setEnabled(id, enabled, reason) {
      const current = find(id);
      const t = now();
      const next: WebhookEndpoint = enabled
        ? { ...current, enabled: true, disabledReason: null, disabledAt: null, updatedAt: t }
        : {
            ...current,
            enabled: false,
            disabledReason: reason ?? "disabled by an operator",
            disabledAt: t,
            updatedAt: t,
          };
      return save(
        next,
        enabled ? "ENABLED" : "DISABLED",
        enabled ? "enabled by an operator" : next.disabledReason!,
      );
    },

    async remove(id) {
      find(id);
      await deps.store.remove(id);
      await deps.events.emit(id, "DELETED", "deleted by an operator");
    },

    async rotateSecret(id, options = {}) {
      const current = find(id);
      const t = now();
      const secret = options.secret ? checkSecret(options.secret) : generateSecret();
      const grace = options.graceMs ?? deps.rotationGraceMs;
      // Old secrets keep signing until the grace ends (several signatures per request meanwhile);
      // expired ones are dropped from the record.
      const old = current.secrets
        .filter((s) => s.expiresAt === null || s.expiresAt > t)
        .map((s) => ({
          ...s,
          expiresAt: s.expiresAt === null ? t + grace : Math.min(s.expiresAt, t + grace),
        }));
      const next: WebhookEndpoint = {
        ...current,
        secrets: [{ secret: deps.box.seal(secret), createdAt: t, expiresAt: null }, ...old],
        updatedAt: t,
      };
      const endpoint = await save(
        next,
        "SECRET_ROTATED",
        `new secret; previous ones sign until ${new Date(t + grace).toISOString()}`,
      );
      return { endpoint, secret };
    },
  };
}
