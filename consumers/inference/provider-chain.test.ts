import { beforeEach, describe, expect, it } from "vitest";
import { captureLogger } from "../../lib/log/testing/capture.ts";
import { CircuitBreaker } from "./breaker.ts";
import { LoadedModel, type LoadOptions } from "./model-version.ts";
import { onnxRuntime } from "./onnx/onnx-runtime.ts";
import { firstLine } from "./provider-chain.ts";
import { ModelRegistry } from "./registry/registry.ts";
import { FakeRuntime } from "./testing/fake-runtime.ts";
import { FIXTURE_FRAUD_FEATURES, fraudFeatures, tempModels } from "./testing/fixtures.ts";
import type { ModelRuntime } from "./types.ts";

let root: string;
beforeEach(async () => {
  root = await tempModels();
});

async function load(
  runtime: ModelRuntime,
  providers: string[],
  extra: { now?: () => number; failureThreshold?: number; logger?: LoadOptions["logger"] } = {},
) {
  // a FakeRuntime does not score like the fixture: leave its parity sample out
  const dir = runtime instanceof FakeRuntime ? await tempModels({ parity: false }) : root;
  const files = await new ModelRegistry({ root: dir }).load("fraud-lr", "1.0.0");
  return LoadedModel.load(files, {
    runtime,
    provided: { features: FIXTURE_FRAUD_FEATURES, text: false },
    chain: {
      providers,
      tolerance: 1e-3,
      breaker: { failureThreshold: extra.failureThreshold ?? 2, cooldownMs: 1000 },
      ...(extra.now ? { now: extra.now } : {}),
    },
    batching: { maxBatchSize: 16, maxQueueDelayMs: 1, maxQueueSize: 1000, maxConcurrentBatches: 1 },
    logger: extra.logger ?? captureLogger().logger,
  });
}

describe("execution provider chain", () => {
  it("asking for cuda,cpu on a machine without CUDA falls back to cpu and says so", async () => {
    const { logger, messages } = captureLogger();
    const model = await load(onnxRuntime(), ["cuda", "cpu"], { logger });
    expect(model.provider).toBe("cpu");
    expect(messages().some((m) => /^provider cuda unavailable \(.+\), falling back to cpu$/.test(m))).toBe(
      true,
    );
    const r = await model.score({ features: fraudFeatures(60) });
    expect(r.model).toEqual({ name: "fraud-lr", version: "1.0.0", provider: "cpu" });
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(1);
    await model.close();
  });

  it.each([
    ["after the Vulkan-loader check", true],
    ["by ONNX Runtime itself (check off)", false],
  ])("webgpu without an adapter is skipped the same way, %s", async (_, providerPrecheck) => {
    const { logger, messages } = captureLogger();
    const model = await load(onnxRuntime({ providerPrecheck }), ["webgpu", "cpu"], { logger });
    // Where a WebGPU adapter exists the chain keeps webgpu (after its self-check); here there is none.
    expect(["webgpu", "cpu"]).toContain(model.provider);
    if (model.provider === "cpu")
      expect(messages().some((m) => m.startsWith("provider webgpu unavailable"))).toBe(true);
    await model.close();
  });

  it("refuses to start when no provider of the chain works", async () => {
    const runtime = new FakeRuntime({
      providers: { cuda: { unavailable: "Failed to load shared library" } },
    });
    await expect(load(runtime, ["cuda"])).rejects.toMatchObject({
      code: "VERDICT_ERR_PROVIDER_UNAVAILABLE",
      message: expect.stringContaining("cuda: Failed to load shared library"),
    });
    expect(runtime.released.length).toBe(runtime.created.length);
  });

  it("skips a provider whose self-check disagrees with the CPU reference", async () => {
    const { logger, messages } = captureLogger();
    const runtime = new FakeRuntime({ providers: { cuda: { skew: 0.05 } } });
    const model = await load(runtime, ["cuda", "cpu"], { logger });
    expect(model.provider).toBe("cpu");
    expect(messages().find((m) => m.startsWith("provider cuda failed its self-check"))).toMatch(
      /scores differ from cpu by 5\.00e-2 > 0\.001\), falling back to cpu/,
    );
    await model.close();
  });

  it("a provider failing at run time: the batch is re-run on the next one, the breaker opens, then probes back", async () => {
    let clock = 0;
    const { logger, messages } = captureLogger();
    const runtime = new FakeRuntime({ providers: { cuda: {} } });
    const model = await load(runtime, ["cuda", "cpu"], { now: () => clock, failureThreshold: 2, logger });
    expect(model.provider).toBe("cuda");

    runtime.providers.cuda!.failRuns = 2;
    const rows = Array.from({ length: 10 }, (_, i) => ({ features: fraudFeatures(20 + i * 10) }));
    const first = await Promise.all(rows.map((r) => model.score(r)));
    // nothing lost: every row has its score, computed on cpu after cuda failed
    expect(first.map((r) => r.model.provider)).toEqual(Array(10).fill("cpu"));
    expect(new Set(first.map((r) => r.score)).size).toBeGreaterThan(1);
    expect(runtime.runs.filter((r) => r.provider === "cuda" && !r.ok).length).toBe(1);

    await model.score(rows[0]!); // second cuda failure: the circuit opens
    expect(model.provider).toBe("cpu");
    expect(messages()).toContain("provider cuda circuit open");
    const cudaAttempts = runtime.runs.filter((r) => r.provider === "cuda").length;
    await model.score(rows[1]!); // open: cuda is not even tried
    expect(runtime.runs.filter((r) => r.provider === "cuda").length).toBe(cudaAttempts);

    clock += 1000; // cooldown over: half-open, one probe batch goes to cuda and succeeds
    const probe = await model.score(rows[2]!);
    expect(probe.model.provider).toBe("cuda");
    expect(model.provider).toBe("cuda");
    expect(model.providers).toEqual([
      { provider: "cuda", state: "closed" },
      { provider: "cpu", state: "closed" },
    ]);
    await model.close();
  });

  it("a hung provider run times out and the batch moves on to the next provider", async () => {
    const runtime = new FakeRuntime({ providers: { cuda: {} } });
    const files = await new ModelRegistry({ root: await tempModels({ parity: false }) }).load(
      "fraud-lr",
      "1.0.0",
    );
    const model = await LoadedModel.load(files, {
      runtime,
      provided: { features: FIXTURE_FRAUD_FEATURES, text: false },
      chain: {
        providers: ["cuda", "cpu"],
        tolerance: 1e-3,
        breaker: { failureThreshold: 5, cooldownMs: 1000 },
        runTimeoutMs: 50,
      },
      batching: { maxBatchSize: 16, maxQueueDelayMs: 1, maxQueueSize: 100, maxConcurrentBatches: 1 },
      logger: captureLogger().logger,
    });
    runtime.providers.cuda!.delayMs = 5_000; // hangs (as far as the stream is concerned)
    const t0 = performance.now();
    const r = await model.score({ features: fraudFeatures(50) });
    expect(r.model.provider).toBe("cpu");
    expect(performance.now() - t0).toBeLessThan(2_000);
    runtime.providers.cuda!.delayMs = 0;
    await model.close();
  });

  it("fails the batch retriably (for the runner to retry) only when every provider failed", async () => {
    const runtime = new FakeRuntime({ providers: { cuda: {} } });
    const model = await load(runtime, ["cuda", "cpu"]);
    runtime.providers.cuda!.failRuns = 1;
    runtime.providers.cpu!.failRuns = 1;
    await expect(model.score({ features: fraudFeatures(10) })).rejects.toMatchObject({
      code: "VERDICT_ERR_MODEL_RUNTIME",
      retriable: true,
      message: expect.stringMatching(
        /every provider failed this batch \(cuda: .*device lost; cpu: .*device lost\)/,
      ),
    });
    await expect(model.score({ features: fraudFeatures(10) })).resolves.toMatchObject({
      model: { provider: "cuda" },
    });
    await model.close();
  });
});

describe("fallback reasons in log lines", () => {
  it("quote a reason of a few sentences whole, drop ONNX Runtime's source prefix, and mark a cut", () => {
    const sentence =
      "WebGPU on Linux needs the Vulkan loader (libvulkan.so.1), which is not installed: install it (Debian/Ubuntu: libvulkan1) with a Vulkan GPU driver, or set VERDICT_WEBGPU_PRECHECK=0 if it is somewhere the linker finds that this check does not look";
    expect(firstLine(new Error(sentence))).toBe(sentence);
    expect(
      firstLine(
        new Error(
          "/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1778 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so\nsecond line",
        ),
      ),
    ).toBe("Failed to load library libonnxruntime_providers_cuda.so");
    const dump = firstLine(new Error("x".repeat(1_000)));
    expect(dump).toHaveLength(400);
    expect(dump.endsWith("…")).toBe(true);
  });
});

describe("CircuitBreaker", () => {
  it("closed → open after the threshold → half-open after the cooldown (one probe) → closed or open", () => {
    let now = 0;
    const changes: string[] = [];
    const b = new CircuitBreaker({
      failureThreshold: 2,
      cooldownMs: 100,
      now: () => now,
      onChange: (f, t) => changes.push(`${f}>${t}`),
    });
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe("closed");
    b.failure();
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    now = 100;
    expect(b.tryAcquire()).toBe(true); // the probe
    expect(b.tryAcquire()).toBe(false); // only one at a time
    b.failure();
    expect(b.state).toBe("open");
    now = 200;
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.state).toBe("closed");
    expect(changes).toEqual([
      "closed>open",
      "open>half-open",
      "half-open>open",
      "open>half-open",
      "half-open>closed",
    ]);
  });
});
