import type { Command } from "commander";
import { type LetterFilter, readDeadLetters, replayDeadLetters } from "../../consumers/dlq/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import { allTopics, type TopicDescriptor, topicByName } from "../../topology/index.ts";
import { type CliContext, printTable } from "../context.ts";

function dlqTopic(name: string): TopicDescriptor<"DeadLetter"> {
  const t = topicByName(name);
  if (t?.role !== "dead-letter") {
    const known = allTopics()
      .filter((x) => x.role === "dead-letter")
      .map((x) => x.name);
    throw new VerdictError(
      "VERDICT_ERR_TOPIC_UNKNOWN",
      `${name} is not a dead-letter topic (known: ${known.join(", ")})`,
    );
  }
  return t as TopicDescriptor<"DeadLetter">;
}

function filterFrom(opts: Record<string, string | string[] | undefined>): LetterFilter {
  return {
    errorCode: opts.code as string | undefined,
    sourceTopic: opts.sourceTopic as string | undefined,
    stage: opts.stage as string | undefined,
    since: opts.since ? Date.parse(opts.since as string) : undefined,
    until: opts.until ? Date.parse(opts.until as string) : undefined,
    positions: opts.position as string[] | undefined,
  };
}

function withFilters(cmd: Command): Command {
  return cmd
    .option("--code <code>", "only letters with this error code (e.g. VERDICT_ERR_VALIDATION)")
    .option("--source-topic <topic>", "only letters from this source topic")
    .option("--stage <stage>", "only letters from this stage")
    .option("--since <iso>", "only letters that failed at or after this time")
    .option("--until <iso>", "only letters that failed at or before this time")
    .option("--position <partition:offset...>", "only these DLQ positions");
}

export function dlqCommand(program: Command, ctx: CliContext): void {
  const dlq = program.command("dlq").description("Inspect and replay dead-letter topics");
  withFilters(
    dlq.command("list <dlq-topic>").description("One line per dead letter: where from, code, reason"),
  ).action(async (name: string, opts) => {
    const deps = await ctx.reachableDeps();
    const letters = await readDeadLetters(deps.kafka, deps.codec, dlqTopic(name), filterFrom(opts));
    printTable(
      ctx,
      letters.map(({ partition, offset, letter }) => ({
        position: `${partition}:${offset}`,
        source: `${letter.sourceTopic}[${letter.sourcePartition}]@${letter.sourceOffset}`,
        stage: letter.stage,
        code: letter.errorCode,
        attempts: String(letter.attempts),
        failedAt: new Date(letter.failedAt).toISOString(),
        reason: letter.reason.length > 90 ? `${letter.reason.slice(0, 87)}...` : letter.reason,
      })),
    );
    ctx.print(`${letters.length} letter(s)`);
  });
  withFilters(
    dlq.command("inspect <dlq-topic>").description("Full dead letters as JSON (bytes as base64 and text)"),
  ).action(async (name: string, opts) => {
    const deps = await ctx.reachableDeps();
    const letters = await readDeadLetters(deps.kafka, deps.codec, dlqTopic(name), filterFrom(opts));
    for (const { partition, offset, letter } of letters) {
      ctx.print(
        JSON.stringify(
          {
            position: `${partition}:${offset}`,
            ...letter,
            originalKey: letter.originalKey?.toString("utf8") ?? null,
            originalValue: letter.originalValue?.toString("base64") ?? null,
            originalHeaders: Object.fromEntries(
              letter.originalHeaders.map((h) => [h.key, h.value?.toString("utf8")]),
            ),
          },
          null,
          2,
        ),
      );
    }
  });
  withFilters(
    dlq
      .command("replay <dlq-topic>")
      .description("Send dead letters back to their source topic (original key, bytes, headers) after a fix")
      .option("--all", "replay every letter (required when no filter is given)")
      .option("--dry-run", "only say what would be replayed"),
  ).action(async (name: string, opts) => {
    const filter = filterFrom(opts);
    const filtered = Object.values(filter).some((v) => v !== undefined);
    if (!filtered && !opts.all) {
      throw new VerdictError(
        "VERDICT_ERR_CONFIG",
        "Refusing to replay everything without --all (or give a filter)",
      );
    }
    const deps = await ctx.reachableDeps();
    const letters = await readDeadLetters(deps.kafka, deps.codec, dlqTopic(name), filter);
    if (opts.dryRun) {
      ctx.print(`would replay ${letters.length} letter(s)`);
      return;
    }
    const result = await replayDeadLetters(deps.kafka, letters, name);
    ctx.print(`replayed ${result.replayed} letter(s): ${JSON.stringify(result.byTopic)}`);
  });
}
