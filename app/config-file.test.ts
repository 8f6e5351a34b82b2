import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseInferenceSettings } from "../consumers/inference/index.ts";
import { tempModels } from "../consumers/inference/testing/fixtures.ts";
import { parseScoringPolicy } from "../consumers/scoring/index.ts";
import { packagePath } from "../lib/paths/index.ts";
import { eventually } from "../lib/retry/index.ts";
import { loadStageConfig, type StageConfig, stageConfig, watchStageConfig } from "./config-file.ts";
import type { AppDeps } from "./deps.ts";
import { buildStage, MODELS_DIR, StageContext } from "./stages.ts";

const EXAMPLE = packagePath("infra/config/verdict.example.yaml");
const dir = mkdtempSync(join(tmpdir(), "verdict-config-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("stage configuration file", () => {
  it("the shipped example is valid and holds exactly the defaults", () => {
    const example = loadStageConfig(EXAMPLE, {});
    expect(parseScoringPolicy(example.scoring)).toEqual(parseScoringPolicy({}));
    expect(parseInferenceSettings(example.inference, {})).toEqual(parseInferenceSettings({}, {}));
    // Not vacuous: both sections are there, with values written out.
    expect(example.scoring?.fraud?.rules?.declineAbove).toBe(10_000);
    expect(example.inference?.batching?.maxQueueSize).toBe(4096);
  });

  it("the Kubernetes manifests give inference and scoring the same valid file, updated in place", () => {
    const docs = (name: string) =>
      parseAllDocuments(readFileSync(packagePath(`infra/k8s/${name}`), "utf8")).map((d) => d.toJS());
    const [configMap] = docs("stage-config.yaml");
    expect(loadStageConfig(file("k8s.yaml", configMap.data["verdict.yaml"]), {})).toEqual({
      scoring: {},
      inference: {},
    });
    for (const stage of ["inference", "scoring"]) {
      const pod = docs(`stage-${stage}.yaml`).find((d) => d.kind === "Deployment").spec.template.spec;
      const container = pod.containers[0];
      const env = Object.fromEntries(
        container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
      );
      const mount = container.volumeMounts.find((m: { mountPath: string }) =>
        env.VERDICT_CONFIG?.startsWith(m.mountPath),
      );
      expect(mount, stage).toBeDefined();
      // A subPath mount never sees ConfigMap updates, and the stages follow the file while they run.
      expect(mount.subPath, stage).toBeUndefined();
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      expect(volume.configMap.name, stage).toBe(configMap.metadata.name);
      expect(env.VERDICT_CONFIG, stage).toBe(`${mount.mountPath}/verdict.yaml`);
    }
  });

  it("reads YAML and JSON; what it sets reaches the stages' policy and settings", () => {
    const yaml = file(
      "v.yaml",
      [
        "scoring:",
        "  fraud:",
        "    rules: { declineAbove: 5000, approveTiny: null }",
        "inference:",
        "  batching: { maxBatchSize: 64 }",
        "  models:",
        "    fraud: { name: fraud-gbt, canary: { version: 1.1.0, percent: 10 } }",
      ].join("\n"),
    );
    const config = loadStageConfig(yaml, {});
    const policy = new StageContext({} as AppDeps, {
      state: "memory",
      policy: config.scoring,
    }).scoringPolicy().current;
    expect(policy.fraud.rules).toEqual({ declineAbove: 5000, approveTiny: null });
    const settings = parseInferenceSettings(config.inference, {});
    expect(settings.batching.maxBatchSize).toBe(64);
    expect(settings.models.fraud?.canary).toEqual({ version: "1.1.0", percent: 10 });
    expect(settings.models.moderation).toBeUndefined(); // a models map names every domain it consumes

    const json = file(
      "v.json",
      JSON.stringify({ scoring: { moderation: { rules: { blockOnBlocklist: false } } } }),
    );
    expect(loadStageConfig(json, {}).scoring?.moderation?.rules?.blockOnBlocklist).toBe(false);
    expect(loadStageConfig(file("empty.yaml", ""), {})).toEqual({});
  });

  it("comes from the flag, else VERDICT_CONFIG, else nowhere", () => {
    const a = file("a.yaml", "scoring: { version: a }");
    const b = file("b.yaml", "scoring: { version: b }");
    expect(stageConfig(undefined, {})).toBeUndefined();
    expect(stageConfig(undefined, { VERDICT_CONFIG: " " })).toBeUndefined();
    expect(stageConfig(undefined, { VERDICT_CONFIG: b })?.config.scoring?.version).toBe("b");
    expect(stageConfig(a, { VERDICT_CONFIG: b })).toMatchObject({
      file: a,
      config: { scoring: { version: "a" } },
    });
  });

  it("refuses mistakes with the file's name and the setting, before anything connects", () => {
    const refused =
      (text: string, name = "bad.yaml") =>
      () =>
        loadStageConfig(file(name, text), {});
    expect(refused("scoring:\n  fraud:\n    rules: { declineAbove: -1 }")).toThrow(
      /bad\.yaml: Invalid scoring policy:\n {2}- scoring\.fraud\.rules\.declineAbove: /,
    );
    expect(refused("scoring:\n  fraud:\n    rulez: {}")).toThrow(/scoring\.fraud: Unrecognized key: "rulez"/);
    expect(refused("inference: { providers: [cdua] }")).toThrow(/bad\.yaml: .*unknown provider "cdua"/s);
    expect(refused("kafka: { brokers: x }\nscoring: {}")).toThrow(
      /bad\.yaml: unknown section\(s\) kafka: the file holds scoring and inference/,
    );
    expect(refused("- scoring")).toThrow(/expected a mapping with scoring and\/or inference/);
    expect(refused("inference: 5")).toThrow(/bad\.yaml: inference must be a mapping of settings/);
    expect(loadStageConfig(file("null.yaml", "scoring:\ninference:\n"), {})).toEqual({});
    expect(refused("scoring: [unclosed")).toThrow(/bad\.yaml: not valid YAML or JSON/);
    expect(refused("inference: { registry: { root: elsewhere } }")).toThrow(
      /inference\.registry is not read from the file: .*VERDICT_MODELS_DIR/,
    );
    expect(() => loadStageConfig(join(dir, "missing.yaml"), {})).toThrow(
      /missing\.yaml: cannot read the configuration file \(ENOENT/,
    );
  });
});

describe("the stages' model registry folder", () => {
  it("is VERDICT_MODELS_DIR when set (as for `verdict models`), else the package's models/", () => {
    const root = () => new StageContext({} as AppDeps, { state: "memory" }).models().root;
    vi.stubEnv("VERDICT_MODELS_DIR", "");
    expect(root()).toBe(MODELS_DIR);
    vi.stubEnv("VERDICT_MODELS_DIR", dir);
    expect(root()).toBe(dir);
    expect(new StageContext({} as AppDeps, { state: "memory", modelsDir: EXAMPLE }).models().root).toBe(
      EXAMPLE,
    );
    vi.unstubAllEnvs();
  });
});

/** Rewrites a followed file with a later modification time (so a poll sees it whatever the clock's grain). */
let tick = 0;
function rewrite(path: string, text: string): void {
  writeFileSync(path, text);
  const t = Date.now() / 1000 + ++tick;
  utimesSync(path, t, t);
}

async function until(check: () => boolean, what: string): Promise<void> {
  expect(await eventually(check, 5000, 10), `waiting for ${what}`).toBe(true);
}

describe("following the configuration file", () => {
  it("reports each change of content: valid ones parsed, invalid ones refused with the setting", async () => {
    const path = file("watched.yaml", "scoring: { version: a }\n");
    const changes: StageConfig[] = [];
    const refusals: string[] = [];
    const watch = watchStageConfig(
      path,
      { onChange: (c) => changes.push(c), onInvalid: (e) => refusals.push(e.message) },
      { intervalMs: 10, env: {} },
    );
    try {
      rewrite(path, "scoring: { version: b }\n");
      await until(() => changes.length === 1, "the first change");
      expect(changes[0]!.scoring?.version).toBe("b");

      rewrite(path, "scoring: { version: b }\n"); // same content, new mtime: not a change
      rewrite(path, "scoring: { fraud: { thresholds: { review: 2 } } }\n");
      await until(() => refusals.length === 1, "the refusal");
      expect(refusals[0]).toMatch(/watched\.yaml: .*scoring\.fraud\.thresholds\.review/s);
      expect(changes).toHaveLength(1);

      rewrite(path, "scoring: { version: c }\n");
      await until(() => changes.length === 2, "the fix");
      expect(changes[1]!.scoring?.version).toBe("c");
    } finally {
      watch.close();
    }
    rewrite(path, "scoring: { version: d }\n");
    await new Promise((r) => setTimeout(r, 100));
    expect(changes).toHaveLength(2); // closed: no more calls
  });

  it("a running process takes an edited scoring policy at once, reports inference edits, keeps its policy on a bad file", async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const path = file(
      "running.yaml",
      "scoring: { version: '1' }\ninference: { batching: { maxQueueSize: 4096 } }\n",
    );
    const config = loadStageConfig(path, {});
    const shared = new StageContext({ logger } as unknown as AppDeps, {
      state: "memory",
      policy: config.scoring,
      inference: config.inference,
    });
    const live = shared.scoringPolicy();
    buildStage("inference", shared); // inference settings concern a process that serves models
    shared.watchConfig(path, { intervalMs: 10 });
    try {
      expect(shared.configStatus()).toEqual({ file: path, policyVersion: "1" });

      rewrite(
        path,
        "scoring: { version: '2', fraud: { rules: { declineAbove: 500 } } }\ninference: { batching: { maxQueueSize: 4096 } }\n",
      );
      await until(() => live.current.version === "2", "the reload");
      expect(live.current.fraud.rules.declineAbove).toBe(500);
      expect(shared.configStatus()).toMatchObject({ policyVersion: "2", lastReload: { successful: true } });
      expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^scoring policy reloaded/)]);

      rewrite(
        path,
        "scoring: { version: '2', fraud: { rules: { declineAbove: 400 } } }\ninference: { batching: { maxQueueSize: 64 } }\n",
      );
      await until(() => live.current.fraud.rules.declineAbove === 400, "the second reload");
      expect(lines.slice(1).map((l) => [l.level, l.msg])).toEqual([
        [30, expect.stringMatching(/^scoring policy reloaded/)],
        [40, expect.stringMatching(/scoring\.version did not/)],
        [
          40,
          expect.stringMatching(
            /inference settings .* beyond canary and shadow versions: they apply at the next start/,
          ),
        ],
      ]);

      rewrite(path, "scoring: { version: '3', fraud: { rules: { declineAbove: -1 } } }\n");
      await until(() => shared.configStatus().lastReload?.successful === false, "the refusal");
      expect(live.current.version).toBe("2");
      expect(live.current.fraud.rules.declineAbove).toBe(400);
      expect(lines.at(-1)).toMatchObject({
        level: 50,
        msg: expect.stringMatching(/refused: the stages keep/),
      });
    } finally {
      await shared.close();
    }
  });

  it("a served model's canary and shadow versions follow the file; a version that cannot load is refused", async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const models = await tempModels({ parity: false });
    const path = file("rollout.yaml", "inference: { models: { fraud: { name: fraud-lr } } }\n");
    const shared = new StageContext({ logger } as unknown as AppDeps, {
      state: "memory",
      modelsDir: models,
      inference: loadStageConfig(path, {}).inference,
    });
    buildStage("inference", shared); // built, not started: the registry is what the file changes
    shared.watchConfig(path, { intervalMs: 10 });
    try {
      rewrite(
        path,
        "inference: { models: { fraud: { name: fraud-lr, canary: { version: 1.1.0, percent: 25 } } } }\n",
      );
      await until(() => shared.models().rollout("fraud-lr").canary !== undefined, "the canary");
      expect(shared.models().rollout("fraud-lr")).toEqual({
        canary: { version: "1.1.0", percent: 25 },
        shadow: [],
      });

      rewrite(path, "inference: { models: { fraud: { name: fraud-lr, shadow: [1.1.0] } } }\n");
      await until(() => shared.models().rollout("fraud-lr").shadow.length === 1, "the shadow");
      expect(shared.models().rollout("fraud-lr")).toEqual({ shadow: ["1.1.0"] });
      expect(lines.filter((l) => l.level >= 40)).toEqual([]); // nothing else changed: no restart asked

      rewrite(path, "inference: { models: { fraud: { name: fraud-lr, shadow: [9.9.9] } } }\n");
      await until(() => shared.configStatus().lastReload?.successful === false, "the refusal");
      expect(shared.models().rollout("fraud-lr")).toEqual({ shadow: ["1.1.0"] });
      expect(lines.at(-1)).toMatchObject({ level: 50, msg: "configuration file change not applied" });
    } finally {
      await shared.close();
    }
  });
});
