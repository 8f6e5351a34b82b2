/** Simulator streams as publishable items: which topic each simulated event goes to. */

import { TOPICS } from "../../topology/index.ts";
import { type PostSimulatorInput, streamPostEvents } from "../simulators/posts/index.ts";
import { streamTransactionEvents, type TransactionSimulatorInput } from "../simulators/transactions/index.ts";
import { type Publishable, rebase } from "./publish.ts";

export interface SourceOptions {
  /** Shift event times by this many ms (see rebase). Default 0. */
  offsetMs?: number;
  signal?: AbortSignal;
}

export async function* transactionSource(
  input: TransactionSimulatorInput,
  options: SourceOptions & { withLabels?: boolean } = {},
): AsyncGenerator<Publishable> {
  for await (const item of streamTransactionEvents(input, {
    withLabels: options.withLabels ?? true,
    signal: options.signal,
  })) {
    const p: Publishable =
      item.kind === "transaction"
        ? { topic: TOPICS.transactionCreated, event: item.event }
        : { topic: TOPICS.fraudLabelReported, event: item.event };
    yield rebase(p, options.offsetMs ?? 0);
  }
}

export async function* postSource(
  input: PostSimulatorInput,
  options: SourceOptions = {},
): AsyncGenerator<Publishable> {
  for await (const item of streamPostEvents(input, { signal: options.signal })) {
    yield rebase({ topic: TOPICS.postSubmitted, event: item.event }, options.offsetMs ?? 0);
  }
}

/** Round-robins several sources into one stream (order within each source kept). */
export async function* interleave(...sources: AsyncIterable<Publishable>[]): AsyncGenerator<Publishable> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const live = new Set(iterators.keys());
  while (live.size > 0) {
    for (const i of [...live]) {
      const next = await iterators[i]!.next();
      if (next.done) live.delete(i);
      else yield next.value;
    }
  }
}
