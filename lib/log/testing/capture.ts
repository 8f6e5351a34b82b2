/** For unit tests: a pino logger that keeps every line it writes, parsed (debug level and up). */
import { pino } from "pino";
import type { Logger } from "../logger.ts";

export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[]; messages(): string[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write(s: string) {
        lines.push(JSON.parse(s) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines, messages: () => lines.map((l) => String(l.msg)) };
}
