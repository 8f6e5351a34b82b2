/**
 * The post simulator: a deterministic stream of PostSubmitted events with the ground truth beside
 * each. Post i draws everything (abusive or not, category, author, text, gap to the previous post)
 * from its own PRNG stream, so any post can be regenerated alone and a change to the text grammar
 * never shifts which posts are abusive.
 */
import type { PostSubmitted } from "../../../schemas/generated/types.ts";
import { utcMidnight } from "../common/validate.ts";
import { createRandom, deterministicUuid, hash32, type Random } from "../transactions/random.ts";
import { type PostSimulatorInput, resolvePostOptions } from "./options.ts";
import { composeText } from "./text.ts";
import type {
  AbusiveCategory,
  CleanCategory,
  PostCategory,
  PostSimEvent,
  PostSimulatorOptions,
  PostStreamOptions,
} from "./types.ts";

/** PRNG stream domains of the post simulator (distinct from the transaction simulator's). */
export const POST_STREAM = { trolls: 101, post: 102, eventId: 103 } as const;

/** Share of abusive posts written by the troll accounts. */
const TROLL_AUTHORED = 0.6;

const CLEAN_WEIGHTS: ReadonlyArray<readonly [CleanCategory, number]> = [
  ["review", 0.2],
  ["question", 0.18],
  ["greeting", 0.12],
  ["news", 0.15],
  ["everyday", 0.17],
  ["recommendation", 0.08],
  ["edgy", 0.1],
];

const ABUSIVE_WEIGHTS: ReadonlyArray<readonly [AbusiveCategory, number]> = [
  ["insult", 0.35],
  ["harassment", 0.25],
  ["spam", 0.25],
  ["threat", 0.15],
];

function weighted<T>(table: ReadonlyArray<readonly [T, number]>, rng: Random): T {
  let u = rng.next();
  for (const [value, weight] of table) {
    u -= weight;
    if (u < 0) return value;
  }
  return (table[table.length - 1] as readonly [T, number])[0];
}

export function authorIdOf(author: number): string {
  return String(author);
}

export function postIdOf(post: number): string {
  return String(post);
}

/** The posts, lazily, in event-time order (occurredAt non-decreasing, postId ascending). */
export function* generatePosts(input: PostSimulatorInput = {}): Generator<PostSimEvent> {
  const options: Readonly<PostSimulatorOptions> = resolvePostOptions(input);
  const { seed, authors } = options;
  const trollCount = Math.min(authors, Math.round(authors * options.trollShare));
  const trolls = createRandom(seed, POST_STREAM.trolls).sampleIndices(authors, trollCount);
  let clock = utcMidnight(options.startDate);
  // Event ids depend on everything that shapes post i (not only the seed), so two differently
  // configured runs never share an id for different posts; `count` only truncates, so it is left out.
  const idSeed = hash32(
    seed,
    authors,
    Math.round(options.abusiveShare * 1e6),
    Math.round(options.trollShare * 1e6),
    Math.round(options.meanIntervalMs),
    clock / 86_400_000,
  );
  for (let i = 0; i < options.count; i++) {
    const rng = createRandom(seed, POST_STREAM.post, i);
    const isAbusive = rng.chance(options.abusiveShare);
    const category: PostCategory = isAbusive ? weighted(ABUSIVE_WEIGHTS, rng) : weighted(CLEAN_WEIGHTS, rng);
    const author =
      isAbusive && trolls.length > 0 && rng.chance(TROLL_AUTHORED) ? rng.choice(trolls) : rng.int(authors);
    clock += Math.round(rng.exponential(options.meanIntervalMs));
    const event: PostSubmitted = {
      eventId: deterministicUuid(idSeed, POST_STREAM.eventId, i),
      postId: postIdOf(i),
      authorId: authorIdOf(author),
      text: composeText(category, isAbusive, rng),
      language: "en",
      occurredAt: clock,
    };
    yield { kind: "post", event, truth: { isAbusive, category } };
  }
}

/** All posts as an array. */
export function simulatePosts(input: PostSimulatorInput = {}): PostSimEvent[] {
  return [...generatePosts(input)];
}

/** The call for publishers: the posts as an async iterable, yielding to the event loop regularly. */
export async function* streamPostEvents(
  input: PostSimulatorInput = {},
  options: PostStreamOptions = {},
): AsyncGenerator<PostSimEvent> {
  const yieldEvery = Math.max(1, options.yieldEvery ?? 5000);
  let sinceYield = 0;
  for (const post of generatePosts(input)) {
    if (options.signal?.aborted) return;
    yield post;
    if (++sinceYield >= yieldEvery) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
