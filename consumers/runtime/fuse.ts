/**
 * Fused mode: several stages chained in one process as one Stage. A record from an external input
 * topic runs through every stage whose input is produced in-process; only outputs no fused stage
 * consumes (verdicts, review requests, shadow scores...) leave the process, unless intermediate
 * topics are kept for audit. Same stage code as split mode; the runner is unchanged.
 */
import { VerdictError } from "../../lib/errors/index.ts";
import { HopContext } from "./context.ts";
import {
  type Concurrency,
  isPromise,
  type Stage,
  type StageContext,
  type StageInput,
  type StageOutput,
} from "./types.ts";

export interface FuseOptions {
  name?: string;
  /** Also publish intermediate stage outputs (ingested, features, scored) for audit. Default false. */
  emitIntermediate?: boolean;
  /**
   * Concurrency of the fused chain. Default: "sequential" if any stage is, else "per-key". "per-key"
   * lets the inference micro-batcher fill batches across keys; stateful stages then see each key in
   * order but not the interleaving of keys within a partition, which no cross-partition feature can
   * rely on anyway.
   */
  concurrency?: Concurrency;
  /**
   * Per-key chains: release a record's key when it enters a stateless tail (see Stage.stateless), so
   * the key's next records start meanwhile. Default true.
   */
  releaseKeys?: boolean;
}

/** A stage failure inside a fused chain; the runner dead-letters it under the failing stage's name. */
export class FusedStageError extends VerdictError {
  constructor(
    readonly failedStage: string,
    cause: unknown,
  ) {
    const inner = cause instanceof VerdictError ? cause : undefined;
    super(
      inner?.code ?? "VERDICT_ERR_STAGE",
      `[${failedStage}] ${(cause as Error)?.message ?? String(cause)}`,
      {
        cause,
        retriable: inner ? inner.retriable : !(cause instanceof TypeError || cause instanceof RangeError),
        context: { stage: failedStage, ...(inner?.context ?? {}) },
      },
    );
  }
}

export function fuse(stages: Stage[], options: FuseOptions = {}): Stage {
  const handlers = new Map<string, { stage: Stage; input: StageInput }>();
  for (const stage of stages) {
    for (const input of stage.inputs) {
      if (handlers.has(input.topic.name)) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          `Two fused stages consume ${input.topic.name}: fuse each topic once`,
        );
      }
      handlers.set(input.topic.name, { stage, input });
    }
  }
  // Topics produced inside the fused process are routed in memory, never subscribed to.
  const internal = new Set(stages.flatMap((s) => (s.produces ?? []).map((t) => t.name)));
  const concurrency: Concurrency =
    options.concurrency ??
    (stages.some((s) => (s.concurrency ?? "sequential") === "sequential") ? "sequential" : "per-key");

  // Stages from which every stage on is stateless: entering one releases the record's key lane.
  const tails = new Map<Stage, boolean>();
  const statelessTail = (stage: Stage): boolean => {
    let known = tails.get(stage);
    if (known === undefined) {
      tails.set(stage, false); // a cycle counts as stateful
      known =
        stage.stateless === true &&
        (stage.produces ?? []).every((t) => {
          const next = handlers.get(t.name);
          return !next || statelessTail(next.stage);
        });
      tails.set(stage, known);
    }
    return known;
  };
  if (options.releaseKeys !== false) for (const s of stages) statelessTail(s);

  const fail = (stage: Stage, err: unknown) =>
    err instanceof FusedStageError ? err : new FusedStageError(stage.name, err);

  /**
   * Runs a stage and routes its outputs to the next fused stages. Synchronous stages (ingest,
   * features on the memory store, scoring) are chained without a promise per hop; the chain turns
   * asynchronous only where a stage returns a promise (inference's batcher).
   */
  function run(
    stage: Stage,
    input: StageInput,
    value: unknown,
    ctx: StageContext,
  ): StageOutput[] | Promise<StageOutput[]> {
    let outputs: StageOutput[] | Promise<StageOutput[]>;
    if (tails.get(stage) && concurrency === "per-key") ctx.releaseKey?.();
    try {
      outputs = input.handle(value as never, ctx);
    } catch (err) {
      throw fail(stage, err);
    }
    if (isPromise(outputs)) {
      return outputs.then(
        (o) => routeAll(o, ctx),
        (err) => {
          throw fail(stage, err);
        },
      );
    }
    return routeAll(outputs, ctx);
  }

  /**
   * The outputs of a stage, with every output a fused stage consumes replaced by what that stage
   * makes of it. The common shapes allocate nothing: all outputs leave the process (returned as
   * they are), or one output goes to the next fused stage (its answer is the answer).
   */
  function routeAll(outputs: StageOutput[], ctx: StageContext): StageOutput[] | Promise<StageOutput[]> {
    let internalOutputs = 0;
    for (const o of outputs) if (handlers.has(o.topic.name)) internalOutputs++;
    if (internalOutputs === 0) return outputs;
    if (outputs.length === 1 && !options.emitIntermediate) {
      const output = outputs[0]!;
      const next = handlers.get(output.topic.name)!;
      return run(
        next.stage,
        next.input,
        output.value,
        new HopContext(ctx, next.stage.name, output.topic.name),
      );
    }
    return route(outputs, 0, [], ctx);
  }

  /** Appends outputs[from..] (and what fused stages make of them) to `result`. */
  function route(
    outputs: StageOutput[],
    from: number,
    result: StageOutput[],
    ctx: StageContext,
  ): StageOutput[] | Promise<StageOutput[]> {
    for (let i = from; i < outputs.length; i++) {
      const output = outputs[i]!;
      const next = handlers.get(output.topic.name);
      if (!next) {
        result.push(output);
        continue;
      }
      if (options.emitIntermediate) result.push(output);
      // In-process hop: no Kafka record, so no new span, event id or header set is minted. The next
      // stage sees the fetched record's headers (correlation id, trace); what leaves the process gets
      // its headers from the runner, derived from that record.
      const child = run(
        next.stage,
        next.input,
        output.value,
        new HopContext(ctx, next.stage.name, output.topic.name),
      );
      if (isPromise(child)) {
        return child.then((c) => {
          for (const o of c) result.push(o);
          return route(outputs, i + 1, result, ctx);
        });
      }
      for (const o of child) result.push(o);
    }
    return result;
  }

  return {
    name: options.name ?? "fused",
    concurrency,
    produces: stages
      .flatMap((s) => s.produces ?? [])
      .filter((t) => !handlers.has(t.name) || options.emitIntermediate),
    inputs: stages.flatMap((stage) =>
      stage.inputs
        .filter((input) => !internal.has(input.topic.name))
        .map((input) => ({
          topic: input.topic,
          handle: (value: unknown, ctx: StageContext) =>
            run(stage, input, value, new HopContext(ctx, stage.name, ctx.topic)),
        })),
    ) as StageInput[],
    async start() {
      for (const s of stages) await s.start?.();
    },
    async stop() {
      for (const s of [...stages].reverse()) await s.stop?.();
    },
  };
}
