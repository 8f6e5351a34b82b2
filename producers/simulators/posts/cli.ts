/**
 * CLI of the post simulator: writes PostSubmitted events (with their ground truth) or a summary.
 *
 *   tsx producers/simulators/posts/cli.ts --count 5000 --abusive-share 0.2 --out posts.jsonl
 *   tsx producers/simulators/posts/cli.ts --format csv | head
 *
 * jsonl: one `{kind: "post", event, truth}` per line. csv: eventId, postId, authorId, occurredAt,
 * language, text, isAbusive (0/1), category.
 */
import { Command, Option } from "commander";
import { intFlag, isEntryPoint, numberFlag, runMain } from "../common/cli.ts";
import { createLineWriter, csvLine } from "../common/output.ts";
import { POST_DEFAULTS } from "./options.ts";
import { generatePosts } from "./simulator.ts";
import { summarizePosts } from "./stats.ts";
import type { PostSimEvent } from "./types.ts";

export const POST_CSV_HEADER = [
  "eventId",
  "postId",
  "authorId",
  "occurredAt",
  "language",
  "text",
  "isAbusive",
  "category",
] as const;

export function postCsvRow({ event, truth }: PostSimEvent): string {
  return csvLine([
    event.eventId,
    event.postId,
    event.authorId,
    event.occurredAt,
    event.language,
    event.text,
    truth.isAbusive ? 1 : 0,
    truth.category,
  ]);
}

export function buildPostCommand(): Command {
  const D = POST_DEFAULTS;
  return new Command("posts")
    .description("Simulate user posts (clean and abusive) as PostSubmitted events")
    .option("--count <n>", "number of posts", intFlag, D.count)
    .option("--seed <n>", "PRNG seed (uint32)", intFlag, D.seed)
    .option("--abusive-share <p>", "probability that a post is abusive, 0..1", numberFlag, D.abusiveShare)
    .option("--authors <n>", "distinct authors", intFlag, D.authors)
    .option("--start-date <YYYY-MM-DD>", "first post's day, midnight UTC", D.startDate)
    .option("--mean-interval-ms <ms>", "mean gap between posts", numberFlag, D.meanIntervalMs)
    .addOption(new Option("--format <format>", "output format").choices(["jsonl", "csv"]).default("jsonl"))
    .option("--out <file>", "write to a file instead of stdout")
    .option("--stats", "print the summary statistics (JSON) instead of the posts");
}

export async function runPostsCli(argv: readonly string[]): Promise<void> {
  const command = buildPostCommand();
  command.parse(argv as string[], { from: "user" });
  const o = command.opts();
  const posts = generatePosts({
    count: o.count,
    seed: o.seed,
    abusiveShare: o.abusiveShare,
    authors: o.authors,
    startDate: o.startDate,
    meanIntervalMs: o.meanIntervalMs,
  });
  const out = createLineWriter(o.out);
  if (o.stats) {
    await out.line(JSON.stringify(summarizePosts(posts), null, 2));
  } else {
    if (o.format === "csv") await out.line(POST_CSV_HEADER.join(","));
    for (const post of posts) {
      if (out.closed) break;
      await out.line(o.format === "csv" ? postCsvRow(post) : JSON.stringify(post));
    }
  }
  await out.close();
}

if (isEntryPoint(import.meta.url)) runMain(runPostsCli);
