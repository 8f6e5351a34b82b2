import { afterEach, describe, expect, it } from "vitest";
import { createInferenceStage, type InferenceStage, ModelRegistry } from "../../consumers/inference/index.ts";
import { FakeRuntime } from "../../consumers/inference/testing/fake-runtime.ts";
import {
  FIXTURE_FRAUD_FEATURES,
  tempModels,
  tempModelsWithScreen,
} from "../../consumers/inference/testing/fixtures.ts";
import { createModelAdmin } from "./model-admin.ts";

const stages: InferenceStage[] = [];
afterEach(async () => {
  for (const s of stages.splice(0)) await s.stop();
});

async function inference(
  options: { screen?: boolean; screenCutoffs?: { "1.0.0"?: number; "1.1.0"?: number } } = {},
): Promise<InferenceStage> {
  const root = options.screen
    ? await tempModelsWithScreen(options.screenCutoffs ?? { "1.0.0": 0.01, "1.1.0": 0.02 })
    : await tempModels({ parity: false });
  const s = createInferenceStage({
    features: { fraud: FIXTURE_FRAUD_FEATURES, moderation: ["length"] },
    registry: new ModelRegistry({ root }),
    runtime: new FakeRuntime(),
    settings: {
      providers: "cpu",
      models: {
        fraud: {
          name: "fraud-lr",
          version: "1.0.0",
          shadow: [],
          ...(options.screen ? { screen: { name: "fraud-screen" } } : {}),
        },
      },
      registry: { root, watch: false },
    },
  });
  await s.start();
  stages.push(s);
  return s;
}

describe("model admin (verdict models shadow|canary)", () => {
  it("sets shadow and canary versions on the running stage, keeping what the call leaves out", async () => {
    const admin = createModelAdmin(await inference());
    const shadowed = (await admin.setRollout("fraud-lr", { shadow: ["1.1.0"] })) as Record<string, unknown>;
    expect(shadowed).toMatchObject({
      name: "fraud-lr",
      shadows: [{ version: "1.1.0" }],
      rollout: { shadow: ["1.1.0"] },
    });
    const canary = (await admin.setRollout("fraud-lr", {
      canary: { version: "1.1.0", percent: 25 },
    })) as Record<string, unknown>;
    expect(canary).toMatchObject({
      canary: { version: "1.1.0", percent: 25 },
      rollout: { shadow: ["1.1.0"] },
    });
    const cleared = (await admin.setRollout("fraud-lr", { canary: null, shadow: [] })) as Record<
      string,
      unknown
    >;
    expect(cleared).toMatchObject({ shadows: [], rollout: { shadow: [] } });
    expect(cleared.canary).toBeUndefined();
    expect(await admin.status()).toMatchObject([
      { domain: "fraud", name: "fraud-lr", active: { version: "1.0.0" } },
    ]);
  });

  it("reaches a cascade's screen too: shadow and canary versions of the screen model", async () => {
    const admin = createModelAdmin(await inference({ screen: true }));
    const shadowed = (await admin.setRollout("fraud-screen", { shadow: ["1.1.0"] })) as Record<
      string,
      unknown
    >;
    expect(shadowed).toMatchObject({
      domain: "fraud",
      role: "screen",
      name: "fraud-screen",
      active: { version: "1.0.0" },
      shadows: [{ version: "1.1.0" }],
      rollout: { shadow: ["1.1.0"] },
    });
    const canary = (await admin.setRollout("fraud-screen", {
      canary: { version: "1.1.0", percent: 10 },
    })) as Record<string, unknown>;
    expect(canary).toMatchObject({ role: "screen", canary: { version: "1.1.0", percent: 10 } });
    // The decider is untouched.
    expect(await admin.status()).toMatchObject([
      { name: "fraud-lr", shadows: [], rollout: { shadow: [] }, screen: { name: "fraud-screen" } },
    ]);
    await expect(admin.setRollout("nope", { shadow: [] })).rejects.toThrow(
      /not served by this process \(serving: fraud-lr, fraud-screen\)/,
    );
  });

  it("a version the stage cannot load is refused with its reason, and the rollout is put back", async () => {
    // fraud-screen 1.1.0 carries no cut-off: the registry accepts it (model.json, hash), the stage does not.
    const stage = await inference({ screen: true, screenCutoffs: { "1.0.0": 0.01 } });
    const admin = createModelAdmin(stage);
    await expect(admin.setRollout("fraud-screen", { shadow: ["1.1.0"] })).rejects.toThrow(
      /fraud-screen@1\.1\.0 was not loaded: .*cannot screen for fraud-lr.*\. The rollout of fraud-screen is unchanged/,
    );
    expect(stage.registry.rollout("fraud-screen")).toEqual({ shadow: [] });
    expect(await admin.status()).toMatchObject([
      { name: "fraud-lr", screen: { name: "fraud-screen", shadows: [], failed: {} } },
    ]);
  });

  it("refuses unknown models, versions and malformed bodies", async () => {
    const admin = createModelAdmin(await inference());
    await expect(admin.setRollout("nope", { shadow: [] })).rejects.toThrow(/not served by this process/);
    await expect(admin.setRollout("fraud-lr", { shadow: ["9.9.9"] })).rejects.toThrow();
    await expect(
      admin.setRollout("fraud-lr", { canary: { version: "1.1.0", percent: 120 } }),
    ).rejects.toThrow(/percent/);
    await expect(admin.setRollout("fraud-lr", { shadows: ["1.1.0"] })).rejects.toThrow(/Invalid rollout/);
    await expect(admin.setRollout("fraud-lr", { shadow: ["1.0.0"] })).rejects.toThrow(
      /fraud-lr@1\.0\.0 is the active version: it scores every record already/,
    );
    await expect(admin.setRollout("fraud-lr", { canary: { version: "1.0.0", percent: 10 } })).rejects.toThrow(
      /is the active version/,
    );
  });
});
