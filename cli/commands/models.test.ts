import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { editManifest, tempModels } from "../../consumers/inference/testing/fixtures.ts";
import { offlineCli } from "../testing/offline.ts";

function cli() {
  const { lines, run } = offlineCli("models check/activate");
  return { lines, run };
}

const renameFeature = (m: Record<string, unknown>) => {
  m.features = (m.features as string[]).map((f) => (f === "TX_AMOUNT" ? "TX_AMOUNT_EUR" : f));
};

describe("verdict models check / activate (real onnxruntime-node, fixture models)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("check loads the active version as a stage would and reports inputs, provider and batched parity", async () => {
    const dir = await tempModels();
    vi.stubEnv("VERDICT_EP", "cuda,cpu"); // no CUDA here: the report names the provider it fell back to
    const { lines, run } = cli();
    await run("models", "check", "fraud-lr", "--dir", dir);
    expect(lines[0]).toBe("fraud-lr@1.1.0: ok, a running inference stage would load it");
    expect(lines).toContain("  domain      fraud, feature set fraud-baseline@1");
    expect(lines).toContain("  inputs      features float32 [?, 15] ← 15 features");
    expect(lines).toContain("  provider    cpu (passed the self-check: cpu)");
    expect(lines.find((l) => l.startsWith("  parity"))).toMatch(
      /^ {2}parity {6}\d+ rows scored in batches, max \|Δ\| \S+ \(tolerance /,
    );
  });

  it("check says which batch bounds the version runs with: model.json serving.batching over the stage's", async () => {
    const dir = await tempModels();
    const stage = cli();
    await stage.run("models", "check", "fraud-lr", "--dir", dir);
    expect(stage.lines).toContain(
      "  batching    up to 256 rows, waiting at most 2 ms (the stage's settings)",
    );
    await editManifest(dir, "fraud-lr", "1.1.0", (m) => {
      m.serving = { batching: { maxBatchSize: 32 } };
    });
    const own = cli();
    await own.run("models", "check", "fraud-lr", "--dir", dir);
    expect(own.lines).toContain(
      "  batching    up to 32 rows, waiting at most 2 ms (model.json serving.batching over the stage's settings)",
    );
    // The stages' configuration file sets the stage's side, as it does for a running stage.
    const config = join(dir, "verdict.yaml");
    await writeFile(config, "inference: { batching: { maxQueueDelayMs: 7 } }\n");
    const configured = cli();
    await configured.run("models", "check", "fraud-lr", "--dir", dir, "--config", config);
    expect(configured.lines).toContain(
      "  batching    up to 32 rows, waiting at most 7 ms (model.json serving.batching over the stage's settings)",
    );
  });

  it("check refuses a version whose inputs the feature stage does not provide, naming the feature", async () => {
    const dir = await tempModels();
    await editManifest(dir, "fraud-lr", "1.0.0", renameFeature);
    const { lines, run } = cli();
    await expect(run("models", "check", "fraud-lr", "1.0.0", "--dir", dir)).rejects.toThrow(
      /fraud-lr@1\.0\.0 refused:[\s\S]*needs features the stage does not provide: TX_AMOUNT_EUR/,
    );
    expect(lines).toEqual([]);
  });

  it("check with no name checks every model's active version and fails naming the refused ones", async () => {
    const dir = await tempModels();
    const ok = cli();
    await ok.run("models", "check", "--dir", dir);
    expect(ok.lines.filter((l) => l.endsWith(": ok, a running inference stage would load it"))).toEqual([
      "fraud-lr@1.1.0: ok, a running inference stage would load it",
      "moderation-lr@1.0.0: ok, a running inference stage would load it",
    ]);

    await editManifest(dir, "fraud-lr", "1.1.0", renameFeature);
    const bad = cli();
    await expect(bad.run("models", "check", "--dir", dir)).rejects.toThrow(
      "1 active model version(s) a stage would refuse: fraud-lr@1.1.0",
    );
    expect(bad.lines[0]).toBe("fraud-lr@1.1.0: refused");
    expect(bad.lines.join("\n")).toMatch(/needs features the stage does not provide: TX_AMOUNT_EUR/);
    expect(bad.lines).toContain("moderation-lr@1.0.0: ok, a running inference stage would load it");
  });

  it("activate refuses what a stage would refuse and leaves ACTIVE alone; --no-check skips the load", async () => {
    const dir = await tempModels();
    await editManifest(dir, "fraud-lr", "1.0.0", renameFeature);
    const active = join(dir, "fraud-lr", "ACTIVE");
    const { lines, run } = cli();
    await run("models", "activate", "fraud-lr", "1.1.0", "--dir", dir);
    expect(lines).toEqual(["fraud-lr: active version 1.1.0 (was 1.1.0)"]);
    await expect(run("models", "activate", "fraud-lr", "1.0.0", "--dir", dir)).rejects.toThrow(
      /TX_AMOUNT_EUR/,
    );
    expect((await readFile(active, "utf8")).trim()).toBe("1.1.0");
    await run("models", "activate", "fraud-lr", "1.0.0", "--no-check", "--dir", dir);
    expect((await readFile(active, "utf8")).trim()).toBe("1.0.0");
  });
});

describe("verdict's output streams", () => {
  it("keep logs on stderr, so stdout holds only what the command prints", async () => {
    const dir = await tempModels();
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "bin/verdict.ts", "models", "check", "fraud-lr", "--dir", dir],
      { env: { ...process.env, VERDICT_EP: "cuda,cpu", LOG_LEVEL: "warn" } },
    );
    expect(stdout.split("\n")[0]).toBe("fraud-lr@1.1.0: ok, a running inference stage would load it");
    expect(stdout).not.toContain('"level"');
    expect(stderr).toMatch(/provider cuda unavailable .*falling back to cpu/);
  }, 20_000); // a fresh process through tsx, and an ONNX worker thread, as the stage has: seconds on a cold cache
});
