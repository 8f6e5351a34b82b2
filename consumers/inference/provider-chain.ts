/**
 * The execution-provider fallback chain of one model version, e.g. cuda → webgpu → cpu.
 *
 * Open: a CPU reference session is created first (it validates model.json against the graph and, when
 * the model ships a parity sample, checks that onnxruntime-node scores it like the exporter did).
 * Then each provider in order gets a session and a self-check: the probe batch must score within
 * `tolerance` of the CPU reference. A provider that cannot be loaded here or disagrees is logged
 * ("provider cuda unavailable (…), falling back to webgpu") and skipped; every provider that passes
 * is kept, in order, so a run-time failure can move on without a reload.
 *
 * Run: a batch goes to the first provider whose circuit breaker lets it through; if the run fails,
 * the breaker counts it and the same batch is re-run on the next provider, so no row is lost. When
 * every provider failed or is open, the batch fails with a retriable error (the runner retries).
 */
import { errorMessage, UnrecoverableError, VerdictError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { type BreakerState, CircuitBreaker } from "./breaker.ts";
import type { ModelRuntime, Session, TensorValue } from "./types.ts";

export interface ProviderChainOptions {
  /** Providers in order of preference. */
  providers: readonly string[];
  /** Max |Δscore| between a provider and the CPU reference (and CPU vs the parity sample). */
  tolerance: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  /**
   * A run that has not settled after this long counts as a failure of its provider and the batch moves
   * on (a hung device must not stall the stream). The native call cannot be cancelled; its late result
   * is ignored. Default: no limit.
   */
  runTimeoutMs?: number;
  intraOpNumThreads?: number;
  logger: Logger;
  now?: () => number;
}

/** What the chain needs to know about the model to check sessions. */
export interface ChainProbe {
  /** Label for logs and errors, e.g. fraud-mlp@1.0.0. */
  model: string;
  modelPath: string;
  /** Throws VERDICT_ERR_MODEL_INVALID when a session's inputs/outputs disagree with model.json. */
  checkSession(session: Session): void;
  /** A known batch and how to read its positive-class scores. */
  feeds: Record<string, TensorValue>;
  outputNames: readonly string[];
  scores(outputs: Record<string, TensorValue>): number[];
  /** Scores the exporter got for `feeds` (parity sample), when known. */
  expected?: readonly number[];
  /** Largest |Δ| allowed between those and onnxruntime-node's CPU scores. Default `tolerance`. */
  expectedTolerance?: number;
}

interface Entry {
  provider: string;
  session: Session;
  breaker: CircuitBreaker;
}

export interface ChainRun {
  outputs: Record<string, TensorValue>;
  provider: string;
}

/** Largest absolute difference between two score lists; infinite when their lengths differ or a score is NaN. */
export function maxDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
}

export class ProviderChain {
  private constructor(
    private readonly entries: Entry[],
    private readonly model: string,
    private readonly logger: Logger,
    private readonly runTimeoutMs?: number,
  ) {}

  private runOn(entry: Entry, feeds: Record<string, TensorValue>, outputNames: readonly string[]) {
    const run = entry.session.run(feeds, outputNames);
    const limit = this.runTimeoutMs;
    if (!limit) return run;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`run timed out after ${limit} ms`)), limit);
    });
    run.catch(noop); // a late failure after the timeout is not an unhandled rejection
    return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
  }

  static async open(
    runtime: ModelRuntime,
    probe: ChainProbe,
    options: ProviderChainOptions,
  ): Promise<ProviderChain> {
    const logger = options.logger.child({ model: probe.model });
    const create = (provider: string) =>
      runtime.createSession({
        modelPath: probe.modelPath,
        provider,
        ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      });
    const run = async (s: Session) => probe.scores(await s.run(probe.feeds, probe.outputNames));

    let reference: Session;
    try {
      reference = await create("cpu");
    } catch (err) {
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        `Model ${probe.model}: ONNX Runtime cannot load ${probe.modelPath} on cpu: ${errorMessage(err)}`,
        { cause: err, context: { model: probe.model } },
      );
    }
    const kept: Entry[] = [];
    const releaseAll = async () => {
      for (const s of new Set([reference, ...kept.map((e) => e.session)])) await s.release().catch(noop);
    };
    let refScores: number[];
    try {
      probe.checkSession(reference);
      refScores = await run(reference);
      if (probe.expected) {
        const d = maxDiff(refScores, probe.expected);
        const tolerance = probe.expectedTolerance ?? options.tolerance;
        if (d > tolerance) {
          throw new UnrecoverableError(
            "VERDICT_ERR_MODEL_INVALID",
            `Model ${probe.model}: onnxruntime-node scores its parity sample ${d.toExponential(2)} away from the exported scores (tolerance ${tolerance}); feature order or runtime version differ`,
            { context: { model: probe.model, maxDiff: d } },
          );
        }
      }
    } catch (err) {
      await releaseAll();
      if (err instanceof VerdictError) throw err;
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        `Model ${probe.model}: probe run failed on cpu: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }

    const reasons: string[] = [];
    for (const [i, provider] of options.providers.entries()) {
      const next = options.providers[i + 1] ?? "nothing";
      let session: Session | undefined;
      try {
        session = provider === "cpu" ? reference : await create(provider);
      } catch (err) {
        reasons.push(`${provider}: ${errorMessage(err)}`);
        logger.warn(`provider ${provider} unavailable (${firstLine(err)}), falling back to ${next}`);
        continue;
      }
      if (provider !== "cpu") {
        let problem: string | undefined;
        try {
          const d = maxDiff(await run(session), refScores);
          if (d > options.tolerance)
            problem = `scores differ from cpu by ${d.toExponential(2)} > ${options.tolerance}`;
        } catch (err) {
          problem = `probe run failed: ${firstLine(err)}`;
        }
        if (problem) {
          reasons.push(`${provider}: self-check ${problem}`);
          logger.warn(`provider ${provider} failed its self-check (${problem}), falling back to ${next}`);
          await session.release().catch(noop);
          continue;
        }
      }
      const breaker: CircuitBreaker = new CircuitBreaker({
        ...options.breaker,
        ...(options.now ? { now: options.now } : {}),
        onChange: (from, to) =>
          logger[to === "open" ? "warn" : "info"](
            { provider, from, to },
            `provider ${provider} circuit ${to}`,
          ),
      });
      kept.push({ provider, session, breaker });
    }
    if (!kept.some((e) => e.session === reference)) await reference.release().catch(noop);
    if (kept.length === 0) {
      throw new VerdictError(
        "VERDICT_ERR_PROVIDER_UNAVAILABLE",
        `Model ${probe.model}: no execution provider of [${options.providers.join(", ")}] works here:\n  - ${reasons.join("\n  - ")}`,
        { context: { model: probe.model, providers: options.providers } },
      );
    }
    logger.info(
      { providers: kept.map((e) => e.provider), requested: options.providers },
      `model ${probe.model} runs on ${kept[0]!.provider}`,
    );
    return new ProviderChain(kept, probe.model, logger, options.runTimeoutMs);
  }

  /** The provider batches go to now: the first whose breaker is not open. */
  get active(): string {
    return (this.entries.find((e) => e.breaker.state !== "open") ?? this.entries.at(-1)!).provider;
  }

  /** Providers that passed the self-check, in order, with their breaker state. */
  get providers(): { provider: string; state: BreakerState }[] {
    return this.entries.map((e) => ({ provider: e.provider, state: e.breaker.state }));
  }

  async run(feeds: Record<string, TensorValue>, outputNames: readonly string[]): Promise<ChainRun> {
    const failures: string[] = [];
    let lastError: unknown;
    for (const entry of this.entries) {
      if (!entry.breaker.tryAcquire()) {
        failures.push(`${entry.provider}: circuit open`);
        continue;
      }
      try {
        const outputs = await this.runOn(entry, feeds, outputNames);
        entry.breaker.success();
        return { outputs, provider: entry.provider };
      } catch (err) {
        entry.breaker.failure();
        lastError = err;
        failures.push(`${entry.provider}: ${firstLine(err)}`);
        this.logger.warn(
          { provider: entry.provider, err: errorMessage(err) },
          `provider ${entry.provider} failed at run time; re-running the batch on the next provider`,
        );
      }
    }
    throw new VerdictError(
      "VERDICT_ERR_MODEL_RUNTIME",
      `Model ${this.model}: every provider failed this batch (${failures.join("; ")})`,
      { cause: lastError, retriable: true, context: { model: this.model } },
    );
  }

  async release(): Promise<void> {
    for (const e of this.entries) await e.session.release().catch(noop);
  }
}

function noop(): void {}

/** Longest reason a fallback log line quotes; longer ones (a native dump) are cut, visibly. */
const MAX_REASON = 400;

/** The useful part of an error for a log line: ONNX Runtime prefixes its source location and C++ signature. */
export function firstLine(err: unknown): string {
  let line = errorMessage(err).split("\n")[0] ?? "";
  const reason = line.search(/Failed to|failed to/);
  if (line.includes("/onnxruntime_src/") && reason > 0) line = line.slice(reason);
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}
