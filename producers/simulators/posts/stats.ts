/** Summary of a post stream: volume, abusive share, per-category counts, text lengths. */
import type { PostCategory, PostSimEvent } from "./types.ts";

export interface PostStats {
  posts: number;
  abusive: number;
  abusiveShare: number;
  byCategory: Partial<Record<PostCategory, number>>;
  authors: number;
  distinctTexts: number;
  meanTextLength: number;
  withUrl: number;
}

export function summarizePosts(posts: Iterable<PostSimEvent>): PostStats {
  let n = 0;
  let abusive = 0;
  let length = 0;
  let withUrl = 0;
  const byCategory: Partial<Record<PostCategory, number>> = {};
  const authors = new Set<string>();
  const texts = new Set<string>();
  for (const { event, truth } of posts) {
    n++;
    if (truth.isAbusive) abusive++;
    byCategory[truth.category] = (byCategory[truth.category] ?? 0) + 1;
    authors.add(event.authorId);
    texts.add(event.text);
    length += event.text.length;
    if (/https?:\/\/|www\./.test(event.text)) withUrl++;
  }
  return {
    posts: n,
    abusive,
    abusiveShare: n === 0 ? 0 : abusive / n,
    byCategory,
    authors: authors.size,
    distinctTexts: texts.size,
    meanTextLength: n === 0 ? 0 : length / n,
    withUrl,
  };
}
