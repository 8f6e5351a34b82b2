/**
 * One model version, loaded: its validated manifest, its provider chain (sessions) and its own batch
 * queue. Loading is all-or-nothing: the manifest, the features the stage provides, every session's
 * inputs and the self-check must all pass, or every session opened so far is released and the error
 * says why. Closing drains the queue: batches already queued or running finish on this version's
 * sessions, then the sessions are released.
 */
import { UnrecoverableError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { BatcherOptions } from "./batcher.ts";
import { MicroBatcher } from "./batcher.ts";
import {
  decodeScores,
  encodeBatch,
  encodePacked,
  type PackedRow,
  packRow,
  rowsFromParity,
  syntheticRows,
} from "./encode.ts";
import { ProviderChain, type ProviderChainOptions } from "./provider-chain.ts";
import type { ModelManifest } from "./registry/manifest.ts";
import type { ModelFiles } from "./registry/registry.ts";
import { checkProvided, checkSession, type ProvidedInputs } from "./registry/validate.ts";
import type { ModelRow, ModelRuntime, RowScore } from "./types.ts";

export interface LoadOptions {
  runtime: ModelRuntime;
  provided: ProvidedInputs;
  /** The feature set (name@version) the stream computes; a model trained on another is refused. */
  featureSet?: string;
  chain: Omit<ProviderChainOptions, "logger">;
  batching: Omit<BatcherOptions, "now">;
  logger: Logger;
}

interface Scored {
  score: number;
  provider: string;
}

export class LoadedModel {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly chain: ProviderChain,
    private readonly batcher: MicroBatcher<PackedRow, Scored>,
  ) {}

  static async load(files: ModelFiles, options: LoadOptions): Promise<LoadedModel> {
    const m = files.manifest;
    checkProvided(m, options.provided);
    if (options.featureSet && m.featureSet && m.featureSet !== options.featureSet) {
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        `Model ${m.name}@${m.version} was trained on feature set ${m.featureSet}; the stream computes ${options.featureSet}`,
        { context: { model: m.name, version: m.version } },
      );
    }
    const probeRows = files.parity ? rowsFromParity(m, files.parity) : syntheticRows(m);
    const outputNames = [m.output.name];
    const chain = await ProviderChain.open(
      options.runtime,
      {
        model: `${m.name}@${m.version}`,
        modelPath: files.modelPath,
        checkSession: (s) => checkSession(m, s),
        feeds: encodeBatch(m, probeRows),
        outputNames,
        scores: (outputs) => decodeScores(m, outputs, probeRows.length),
        ...(files.parity
          ? {
              expected: files.parity.scores,
              expectedTolerance: m.parity?.tolerance ?? files.parity.tolerance ?? options.chain.tolerance,
            }
          : {}),
      },
      { ...options.chain, logger: options.logger },
    );
    const batcher = new MicroBatcher<PackedRow, Scored>(async (rows) => {
      const { outputs, provider } = await chain.run(encodePacked(m, rows), outputNames);
      return decodeScores(m, outputs, rows.length).map((score) => ({ score, provider }));
    }, options.batching);
    return new LoadedModel(m, chain, batcher);
  }

  get name(): string {
    return this.manifest.name;
  }

  get version(): string {
    return this.manifest.version;
  }

  /** The provider batches go to now (first healthy one of the chain). */
  get provider(): string {
    return this.chain.active;
  }

  get providers() {
    return this.chain.providers;
  }

  get queueDepth(): number {
    return this.batcher.depth;
  }

  /** Scores one row as part of a batch. A bad row is refused alone (non-retriable validation error). */
  async score(row: ModelRow, signal?: AbortSignal): Promise<RowScore> {
    const r = await this.batcher.submit(packRow(this.manifest, row), signal);
    if (!Number.isFinite(r.value.score)) {
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_RUNTIME",
        `model ${this.name}@${this.version} returned a non-finite score (${r.value.score})`,
      );
    }
    return {
      score: r.value.score,
      model: { name: this.name, version: this.version, provider: r.value.provider },
      queueMs: r.queueMs,
      runMs: r.runMs,
      batchSize: r.batchSize,
    };
  }

  /** Finishes queued and running batches, then releases the sessions. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.batcher.close().then(() => this.chain.release());
    return this.closing;
  }
}
