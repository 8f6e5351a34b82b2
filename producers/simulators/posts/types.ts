/** Types of the post simulator. */
import type { PostSubmitted } from "../../../schemas/generated/types.ts";

/** Validated options (see options.ts for the schema and the defaults). */
export interface PostSimulatorOptions {
  /** Number of posts. Default 1,000. */
  count: number;
  /** PRNG seed (uint32). Same seed and options → identical posts. Default 42. */
  seed: number;
  /** Probability that a post is abusive, in [0, 1]. Default 0.1. */
  abusiveShare: number;
  /** Number of distinct authors. Default 500. */
  authors: number;
  /**
   * Share of authors who are "trolls": 60 % of abusive posts come from them (the rest from anyone),
   * so per-author history carries signal. Default 0.05.
   */
  trollShare: number;
  /** First post's day, `YYYY-MM-DD`, midnight UTC. Default "2018-04-01". */
  startDate: string;
  /** Mean gap between posts in ms (Poisson arrivals). Default 1,000. */
  meanIntervalMs: number;
}

export const CLEAN_CATEGORIES = [
  "review",
  "question",
  "greeting",
  "news",
  "everyday",
  "recommendation",
  "edgy",
] as const;
export const ABUSIVE_CATEGORIES = ["insult", "harassment", "threat", "spam"] as const;

export type CleanCategory = (typeof CLEAN_CATEGORIES)[number];
export type AbusiveCategory = (typeof ABUSIVE_CATEGORIES)[number];
/** What kind of text was generated. `edgy` is clean text with words a naive filter would flag. */
export type PostCategory = CleanCategory | AbusiveCategory;

/** Ground truth kept beside (never inside) the event. */
export interface PostTruth {
  isAbusive: boolean;
  category: PostCategory;
}

export interface PostSimEvent {
  kind: "post";
  event: PostSubmitted;
  truth: PostTruth;
}

export interface PostStreamOptions {
  /** Stop early (async stream only). */
  signal?: AbortSignal;
  /** The async stream yields to the event loop every this many posts. Default 5,000. */
  yieldEvery?: number;
}
