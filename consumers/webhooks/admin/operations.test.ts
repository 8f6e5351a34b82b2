import { describe, expect, it } from "vitest";
import { createSsrfGuard } from "../ssrf/index.ts";
import { createSecretBox } from "../subscriptions/secret-box.ts";
import type { SubscriptionStore } from "../subscriptions/store.ts";
import type { SubscriptionView } from "../subscriptions/view.ts";
import type { EndpointEvents, WebhookEndpoint } from "../types.ts";
import { createEndpointAdmin } from "./operations.ts";

function setup(secretsKey?: string) {
  let t = 1000;
  const stored = new Map<string, WebhookEndpoint>();
  const view = {
    get: (id: string) => stored.get(id),
    list: () => [...stored.values()],
  } as unknown as SubscriptionView;
  const store: SubscriptionStore = {
    put: async (e) => void stored.set(e.id, e),
    remove: async (id) => void stored.delete(id),
    close: async () => {},
  };
  const emitted: string[] = [];
  const events: EndpointEvents = { emit: async (id, type) => void emitted.push(`${id}:${type}`) };
  const guard = createSsrfGuard({ allowHosts: [], allowCidrs: [], allowHttp: false }, async (host) =>
    host === "internal.example"
      ? [{ address: "10.1.2.3", family: 4 }]
      : [{ address: "93.184.215.14", family: 4 }],
  );
  const admin = createEndpointAdmin({
    view,
    store,
    guard,
    box: createSecretBox(secretsKey),
    events,
    rotationGraceMs: 500,
    now: () => t,
  });
  return { admin, stored, emitted, tick: (ms: number) => (t += ms) };
}

describe("endpoint admin", () => {
  it("creates with a generated secret shown once and validated settings", async () => {
    const { admin, stored, emitted } = setup();
    const { endpoint, secret } = await admin.create({
      url: "https://partner.example/h",
      filter: { decision: ["DECLINE"] },
    });
    expect(secret).toMatch(/^whsec_/);
    expect(endpoint.id).toMatch(/^ep_/);
    expect(JSON.stringify(endpoint)).not.toContain(secret);
    expect(stored.get(endpoint.id)!.secrets[0]!.secret).toBe(secret);
    expect(emitted).toEqual([`${endpoint.id}:CREATED`]);
    await expect(admin.create({ url: "https://internal.example/h" })).rejects.toThrow(
      /10\.1\.2\.3 \(private\)/,
    );
    await expect(admin.create({ url: "https://partner.example/h", maxConcurrency: 0 })).rejects.toThrow(
      /maxConcurrency/,
    );
    await expect(admin.create({ url: "https://partner.example/h", secret: "whsec_short" })).rejects.toThrow(
      /secret:/,
    );
    expect(() => admin.get("nope")).toThrow(/No webhook endpoint "nope"/);
  });

  it("rotates: the old secret expires after the grace, both sign meanwhile", async () => {
    const { admin, stored, tick } = setup();
    const { endpoint, secret } = await admin.create({ id: "ep-r", url: "https://partner.example/h" });
    tick(10);
    const rotated = await admin.rotateSecret(endpoint.id);
    expect(rotated.secret).not.toBe(secret);
    const secrets = stored.get("ep-r")!.secrets;
    expect(secrets.map((s) => s.secret)).toEqual([rotated.secret, secret]);
    expect(secrets[1]!.expiresAt).toBe(1010 + 500);
    tick(1000);
    await admin.rotateSecret(endpoint.id, { graceMs: 0 });
    // The expired one is dropped; the previous "new" one expires now.
    expect(stored.get("ep-r")!.secrets).toHaveLength(2);
  });

  it("encrypts secrets at rest when a key is configured", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const { admin, stored } = setup(key);
    const { secret } = await admin.create({ id: "ep-e", url: "https://partner.example/h" });
    const storedSecret = stored.get("ep-e")!.secrets[0]!.secret;
    expect(storedSecret).toMatch(/^enc:v1:/);
    expect(storedSecret).not.toContain(secret.slice(6));
    expect(createSecretBox(key).open(storedSecret)).toBe(secret);
    expect(() => createSecretBox().open(storedSecret)).toThrow(/VERDICT_WEBHOOK_SECRETS_KEY is not set/);
    expect(() => createSecretBox(Buffer.alloc(32, 8).toString("base64")).open(storedSecret)).toThrow(
      /not the key/,
    );
    expect(admin.get("ep-e").secrets[0]!.fingerprint).toMatch(/^[0-9a-f]{8}$/);
  });

  it("disables with a reason and enables again", async () => {
    const { admin, emitted } = setup();
    await admin.create({ id: "ep-d", url: "https://partner.example/h" });
    expect(await admin.setEnabled("ep-d", false, "partner on holiday")).toMatchObject({
      enabled: false,
      disabledReason: "partner on holiday",
    });
    expect(await admin.setEnabled("ep-d", true)).toMatchObject({ enabled: true, disabledReason: null });
    await admin.remove("ep-d");
    expect(emitted).toEqual(["ep-d:CREATED", "ep-d:DISABLED", "ep-d:ENABLED", "ep-d:DELETED"]);
  });
});
