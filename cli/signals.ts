/**
 * Runs stage runners until SIGINT/SIGTERM, then stops them gracefully (finish in-flight, commit,
 * leave the group). A runner that dies for good makes the process exit non-zero: never idle silently.
 */
import type { StageRunner } from "../consumers/runtime/index.ts";
import type { CliContext } from "./context.ts";

export async function runUntilSignal(
  ctx: CliContext,
  runners: StageRunner[],
  onStop?: () => Promise<void>,
): Promise<void> {
  let stopping = false;
  const stopAll = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    ctx.logger.info({ reason }, "stopping");
    await Promise.allSettled(runners.map((r) => r.stop()));
    await onStop?.();
    await ctx.close();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    void stopAll(sig).then(() => process.exit(0));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  for (const r of runners) await r.start();
  try {
    await Promise.all(runners.map((r) => r.done));
  } catch (err) {
    ctx.logger.fatal({ err }, "a stage died; exiting non-zero");
    await stopAll("fatal");
    process.exit(1);
  }
}

/**
 * `verdict tail | head`, `verdict topics describe | less` quit early: the reader closing the pipe
 * ends the command quietly with status 0 (as cat, grep or kafka-console-consumer do), not with an
 * unhandled EPIPE stack trace. Other write errors still surface.
 */
export function endQuietlyWhenPipeCloses(
  stream: NodeJS.WriteStream,
  end: () => Promise<void>,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let ending = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    if (ending) return;
    ending = true;
    void end()
      .catch(() => {})
      .finally(() => exit(0));
  });
}
