/**
 * Runs stage runners until SIGINT/SIGTERM, then stops them gracefully (finish in-flight, commit,
 * leave the group). A runner that dies for good makes the process exit non-zero: never idle silently.
 */
import type { StageRunner } from "../consumers/runtime/index.ts";
import type { CliContext } from "./context.ts";

export interface ShutdownSignalOptions {
  /** Where the "forcing" line goes (stderr by default). */
  print?: (line: string) => void;
  /** Said when a later signal forces the exit, e.g. what is left running and how to stop it. */
  forceHint?: string;
  /** Repeats within this many ms of the first signal are the same Ctrl-C relayed again. Default 1000. */
  repeatWindowMs?: number;
  exit?: (code: number) => void;
  signals?: Pick<NodeJS.Process, "on">;
  now?: () => number;
}

/**
 * SIGINT/SIGTERM handling for long-running commands: the first signal starts `onFirst` (a graceful
 * stop); a repeat within `repeatWindowMs` is ignored, because a terminal's Ctrl-C reaches every
 * process of the group and wrappers (npm, tsx) relay it once more; a signal after that forces exit
 * 130 at once, saying what a forced exit leaves behind (docker compose's "press Ctrl-C again to
 * force"). With `process.once`, a relayed copy would hit Node's default handler and kill the process
 * in the middle of its graceful stop (the local stack left running, in-flight records uncommitted).
 */
export function onShutdownSignal(
  onFirst: (signal: NodeJS.Signals) => void,
  options: ShutdownSignalOptions = {},
): void {
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const now = options.now ?? Date.now;
  const repeatWindowMs = options.repeatWindowMs ?? 1000;
  let firstAt: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = now();
      onFirst(signal);
      return;
    }
    if (now() - firstAt < repeatWindowMs) return;
    print(`\n${signal} again: forcing exit.${options.forceHint ? ` ${options.forceHint}` : ""}`);
    exit(130);
  };
  const signals = options.signals ?? process;
  signals.on("SIGINT", handle);
  signals.on("SIGTERM", handle);
}

export async function runUntilSignal(
  ctx: CliContext,
  runners: StageRunner[],
  hooks: { onStop?: () => Promise<void>; onStarted?: () => void } = {},
): Promise<void> {
  const { onStop, onStarted } = hooks;
  let stopping = false;
  const stopAll = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    ctx.logger.info({ reason }, "stopping");
    await Promise.allSettled(runners.map((r) => r.stop()));
    await onStop?.();
    await ctx.close();
  };
  onShutdownSignal((sig) => void stopAll(sig).then(() => process.exit(0)), {
    print: ctx.print,
    forceHint: "In-flight records are not committed: their group reprocesses them (at-least-once).",
  });
  for (const r of runners) await r.start();
  onStarted?.();
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
