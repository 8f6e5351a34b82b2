import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { offlineCli } from "../testing/offline.ts";
import { effectiveSettings } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "verdict-config-cli-"));
const file = join(dir, "verdict.yaml");
writeFileSync(
  file,
  "scoring: { fraud: { rules: { declineAbove: 150 } } }\ninference: { batching: { maxQueueSize: 100 } }\n",
);

describe("verdict config check", () => {
  it("prints what a stage would run with: the file's values, then the environment's, then the defaults", async () => {
    const { lines, run } = offlineCli("config check");
    await run("config", "check", file);
    const shown = parse(lines.join("\n"));
    expect(shown.file).toBe(file);
    expect(shown.scoring.fraud.rules.declineAbove).toBe(150); // the file's
    expect(shown.scoring.fraud.thresholds).toEqual({ review: 0.5, decline: 0.8 }); // a default
    expect(shown.inference.batching.maxQueueSize).toBe(100);
    expect(shown.inference.registry).toBeUndefined(); // the folder is modelsDir, from VERDICT_MODELS_DIR
  });

  it("takes VERDICT_CONFIG and the inference variables as the stages do, and refuses a bad file", () => {
    const env = { VERDICT_CONFIG: file, VERDICT_BATCH_MAX_SIZE: "64", VERDICT_MODELS_DIR: dir };
    const settings = effectiveSettings(undefined, env) as {
      file: string;
      modelsDir: string;
      inference: { batching: { maxBatchSize: number; maxQueueSize: number } };
    };
    expect([settings.file, settings.modelsDir]).toEqual([file, dir]);
    expect(settings.inference.batching).toMatchObject({ maxBatchSize: 64, maxQueueSize: 100 });
    expect(effectiveSettings(undefined, {}).file).toBeNull();

    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "scoring: { fraud: { rules: { declineAbove: nope } } }");
    expect(() => effectiveSettings(bad, {})).toThrow(
      /bad\.yaml: Invalid scoring policy:\n {2}- scoring\.fraud\.rules\.declineAbove/,
    );
  });
});
