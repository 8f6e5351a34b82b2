/**
 * Line output for the simulator CLIs: a file or stdout, buffered in ~64 KB chunks, honouring
 * backpressure (so 1.75 M lines never pile up in memory), and quiet on EPIPE (`cli ... | head`).
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";

const CHUNK_CHARS = 64 * 1024;

export interface LineWriter {
  /** Appends one line (the newline is added). Await it: it resolves once buffered or drained. */
  line(text: string): Promise<void>;
  /** Flushes and closes (a file; stdout stays open). */
  close(): Promise<void>;
  /** True once the reader went away (EPIPE): stop producing. */
  readonly closed: boolean;
}

export function createLineWriter(path?: string): LineWriter {
  const stream: Writable = path ? createWriteStream(path) : process.stdout;
  let buffer: string[] = [];
  let size = 0;
  let closed = false;
  let failure: Error | undefined;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    closed = true;
    if (err.code !== "EPIPE") failure = err;
  });

  const flush = async (): Promise<void> => {
    if (failure) throw failure;
    if (size === 0 || closed) return;
    const chunk = buffer.join("");
    buffer = [];
    size = 0;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off("drain", done);
          stream.off("error", done);
          resolve();
        };
        stream.on("drain", done);
        stream.on("error", done);
      });
    }
    if (failure) throw failure;
  };

  return {
    get closed() {
      return closed;
    },
    async line(text: string) {
      buffer.push(text, "\n");
      size += text.length + 1;
      if (size >= CHUNK_CHARS) await flush();
    },
    async close() {
      await flush();
      if (path && !closed) {
        await new Promise<void>((resolve, reject) =>
          stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
      }
      if (failure) throw failure;
    },
  };
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return values.map(csvField).join(",");
}

/** Parses a CLI integer option, rejecting "12abc" that parseInt would accept. */
export function parseIntegerFlag(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new Error(`expected an integer, got "${value}"`);
  return Number(value);
}

export function parseNumberFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new Error(`expected a number, got "${value}"`);
  return n;
}
