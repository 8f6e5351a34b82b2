/**
 * The model registry on disk: `<root>/<name>/<version>/{model.onnx, model.json[, parity-sample.json]}`
 * plus one active-version file per model (`<root>/<name>/<activeFile>`, see models/README.md).
 * It lists versions, parses and caches manifests, resolves and changes the active version
 * (atomically: write a temp file, rename), holds each model's rollout (canary, shadow) and tells
 * subscribers about changes. `watch()` polls the active files, so an operator (or CI) switching a
 * version by editing that file, on any host sharing the folder, hot-reloads every stage. Polling
 * rather than fs.watch because inotify misses ConfigMap symlink swaps and network filesystems.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { errorMessage, UnrecoverableError, VerdictError } from "../../../lib/errors/index.ts";
import type { Logger } from "../../../lib/log/index.ts";
import { type ModelManifest, parseManifest } from "./manifest.ts";

export interface RegistryOptions {
  /** Folder holding `<name>/<version>/`. Default "models" (relative to the working directory). */
  root?: string;
  /** Active-version file name inside `<root>/<name>/`. Default "ACTIVE" (one line: the version). */
  activeFile?: string;
  /** Poll interval of `watch()`, ms. Default 2000. */
  pollMs?: number;
  logger?: Logger;
}

/** Rollout of candidate versions next to the active one. */
export interface Rollout {
  /** A share of keys (stable hash of the partition key) scored by `version` instead of the active one. */
  canary?: { version: string; percent: number };
  /** Versions that also score every record; their scores go to the shadow topic only. */
  shadow: string[];
}

export interface ParitySample {
  /** Column names of `rows` (default: the model's feature order). */
  features?: string[];
  /** Feature rows (dense models). */
  rows?: number[][];
  /** Texts (text models). */
  texts?: string[];
  /** Positive-class scores from onnxruntime (Python, CPU) for those rows. */
  scores: number[];
  /** Largest |Δscore| allowed when onnxruntime-node replays them (model.json parity.tolerance wins). */
  tolerance?: number;
}

export interface ModelFiles {
  name: string;
  version: string;
  dir: string;
  modelPath: string;
  manifest: ModelManifest;
  parity?: ParitySample;
}

export type RegistryEvent =
  | { type: "activated"; name: string; version: string; previous?: string }
  | { type: "rollout"; name: string; rollout: Rollout };

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(.*)$/;

export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) return a.localeCompare(b);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  // 1.0.0-rc1 < 1.0.0 (semver: a pre-release sorts before its release)
  if (pa[4] === pb[4]) return 0;
  if (!pa[4]) return 1;
  if (!pb[4]) return -1;
  return pa[4].localeCompare(pb[4]);
}

export class ModelRegistry {
  readonly root: string;
  private readonly activeFile: string;
  private readonly pollMs: number;
  private readonly logger: Logger | undefined;
  private readonly cache = new Map<string, Promise<ModelFiles>>();
  private readonly rollouts = new Map<string, Rollout>();
  private readonly known = new Map<string, string>();
  private readonly listeners = new Set<(e: RegistryEvent) => void>();
  private poller: NodeJS.Timeout | undefined;

  constructor(options: RegistryOptions = {}) {
    this.root = resolve(options.root ?? "models");
    this.activeFile = options.activeFile ?? "ACTIVE";
    this.pollMs = options.pollMs ?? 2000;
    this.logger = options.logger;
  }

  async listModels(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const names: string[] = [];
    for (const e of entries) {
      if (e.isDirectory() && (await this.listVersions(e.name)).length > 0) names.push(e.name);
    }
    return names.sort();
  }

  /** Versions that have a model.json and a model.onnx, oldest first. */
  async listVersions(name: string): Promise<string[]> {
    const entries = await readdir(join(this.root, name), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && SEMVER.test(e.name))
      .filter((e) => existsSync(join(this.root, name, e.name, "model.json")))
      .filter((e) => existsSync(join(this.root, name, e.name, "model.onnx")))
      .map((e) => e.name)
      .sort(compareVersions);
  }

  /** Reads and validates one version's files (cached; a version directory is immutable). */
  load(name: string, version: string): Promise<ModelFiles> {
    const id = `${name}@${version}`;
    let files = this.cache.get(id);
    if (!files) {
      files = this.read(name, version);
      files.catch(() => this.cache.delete(id)); // a fixed file can be retried
      this.cache.set(id, files);
    }
    return files;
  }

  /** The active version: the active file when present, else the highest version on disk. */
  async activeVersion(name: string): Promise<string> {
    const file = join(this.root, name, this.activeFile);
    const pinned = await readFile(file, "utf8").then(
      (s) => s.trim(),
      () => undefined,
    );
    if (pinned) return pinned;
    const versions = await this.listVersions(name);
    const latest = versions.at(-1);
    if (!latest) {
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        `No versions of model ${name} under ${this.root}`,
        {
          context: { model: name },
        },
      );
    }
    return latest;
  }

  /** Makes `version` the active one: validated first, then the active file is replaced atomically. */
  async activate(name: string, version: string): Promise<void> {
    await this.load(name, version);
    const previous = this.known.get(name);
    const file = join(this.root, name, this.activeFile);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${version}\n`, "utf8");
    await rename(tmp, file);
    this.known.set(name, version);
    this.logger?.info({ model: name, version, previous }, "model version activated");
    this.emit({ type: "activated", name, version, ...(previous ? { previous } : {}) });
  }

  rollout(name: string): Rollout {
    return this.rollouts.get(name) ?? { shadow: [] };
  }

  /** Sets a model's canary and shadow versions (validated before anything changes). */
  async setRollout(name: string, rollout: Rollout): Promise<void> {
    const percent = rollout.canary?.percent;
    if (percent !== undefined && !(percent >= 0 && percent <= 100)) {
      throw new VerdictError(
        "VERDICT_ERR_CONFIG",
        `canary percent for ${name} must be 0..100, got ${percent}`,
      );
    }
    const versions = [...(rollout.canary ? [rollout.canary.version] : []), ...rollout.shadow];
    for (const v of versions) await this.load(name, v);
    const value = { ...rollout, shadow: [...rollout.shadow] };
    this.rollouts.set(name, value);
    this.emit({ type: "rollout", name, rollout: value });
  }

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Polls the active files of `names` and emits "activated" when one changes. Idempotent. */
  watch(names: readonly string[]): void {
    for (const n of names)
      if (!this.known.has(n)) this.activeVersion(n).then((v) => this.known.set(n, v), noop);
    if (this.poller) return;
    this.poller = setInterval(() => void this.poll(), this.pollMs);
    this.poller.unref();
  }

  close(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.listeners.clear();
  }

  private async poll(): Promise<void> {
    for (const [name, seen] of this.known) {
      try {
        const now = await this.activeVersion(name);
        if (now === seen) continue;
        await this.load(name, now); // never announce a version that does not parse
        this.known.set(name, now);
        this.logger?.info(
          { model: name, version: now, previous: seen },
          "active model version changed on disk",
        );
        this.emit({ type: "activated", name, version: now, previous: seen });
      } catch (err) {
        this.logger?.error(
          { model: name, err: errorMessage(err) },
          "active version file names a bad version; kept",
        );
      }
    }
  }

  private emit(event: RegistryEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger?.error({ err }, "registry listener failed");
      }
    }
  }

  private async read(name: string, version: string): Promise<ModelFiles> {
    const dir = join(this.root, name, version);
    const jsonPath = join(dir, "model.json");
    const modelPath = join(dir, "model.onnx");
    if (!existsSync(dir)) {
      const versions = await this.listVersions(name);
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        versions.length > 0
          ? `Model ${name} has no version ${version} in ${this.root} (versions: ${versions.join(", ")}; verdict models list)`
          : `No model ${name} in ${this.root} (verdict models list shows what is there)`,
        { context: { model: name, version, dir } },
      );
    }
    if (!existsSync(jsonPath) || !existsSync(modelPath)) {
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        `Model ${name}@${version}: ${dir} needs model.onnx and model.json`,
        { context: { model: name, version, dir } },
      );
    }
    const manifest = parseManifest(await readJson(jsonPath), jsonPath);
    if (manifest.name !== name || manifest.version !== version) {
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        `${jsonPath} says ${manifest.name}@${manifest.version} but lives in ${name}/${version}`,
        { context: { model: name, version } },
      );
    }
    await checkArtifact(manifest, modelPath, name, version);
    const parityPath = join(dir, manifest.parity?.file ?? "parity-sample.json");
    const parity = existsSync(parityPath) ? parseParity(await readJson(parityPath), parityPath) : undefined;
    return { name, version, dir, modelPath, manifest, ...(parity ? { parity } : {}) };
  }
}

function noop(): void {}

/** model.json's artifact block, when present, must describe this model.onnx (size, then sha256). */
async function checkArtifact(
  m: ModelManifest,
  modelPath: string,
  name: string,
  version: string,
): Promise<void> {
  const artifact = (m as { artifact?: { sha256?: string; bytes?: number } }).artifact;
  if (!artifact?.sha256) return;
  const bytes = await readFile(modelPath);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== artifact.sha256 || (artifact.bytes !== undefined && artifact.bytes !== bytes.length)) {
    throw new UnrecoverableError(
      "VERDICT_ERR_MODEL_INVALID",
      `Model ${name}@${version}: model.onnx (${bytes.length} bytes, sha256 ${sha256.slice(0, 12)}…) is not the file model.json describes (${artifact.bytes} bytes, sha256 ${artifact.sha256.slice(0, 12)}…)`,
      { context: { model: name, version } },
    );
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UnrecoverableError(
      "VERDICT_ERR_MODEL_INVALID",
      `${path} is not readable JSON: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

function parseParity(raw: unknown, path: string): ParitySample {
  const p = raw as Partial<ParitySample>;
  const ok =
    Array.isArray(p.scores) &&
    ((Array.isArray(p.rows) && p.rows.length === p.scores.length) ||
      (Array.isArray(p.texts) && p.texts.length === p.scores.length));
  if (!ok) {
    throw new UnrecoverableError(
      "VERDICT_ERR_MODEL_INVALID",
      `${path}: expected {rows|texts, scores} of equal length`,
    );
  }
  return p as ParitySample;
}
