import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { endQuietlyWhenPipeCloses, onShutdownSignal } from "./signals.ts";

const error = (code: string) => Object.assign(new Error(`write ${code}`), { code });

describe("endQuietlyWhenPipeCloses", () => {
  it("a closed pipe ends the command once, with status 0, after closing its clients", async () => {
    const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
    const end = vi.fn(async () => {});
    const exit = vi.fn();
    endQuietlyWhenPipeCloses(stream, end, exit);
    stream.emit("error", error("EPIPE"));
    stream.emit("error", error("EPIPE"));
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(end).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it("exits 0 even when closing the clients fails; other write errors still surface", async () => {
    const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
    const exit = vi.fn();
    endQuietlyWhenPipeCloses(stream, async () => Promise.reject(new Error("broker gone")), exit);
    expect(() => stream.emit("error", error("ENOSPC"))).toThrow("write ENOSPC");
    stream.emit("error", error("EPIPE"));
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
  });
});

describe("onShutdownSignal", () => {
  function harness(repeatWindowMs = 1000) {
    const signals = new EventEmitter();
    let clock = 0;
    const onFirst = vi.fn();
    const exit = vi.fn();
    const lines: string[] = [];
    onShutdownSignal(onFirst, {
      signals: signals as unknown as NodeJS.Process,
      now: () => clock,
      exit,
      print: (line) => lines.push(line),
      forceHint: "the stack keeps running",
      repeatWindowMs,
    });
    return { signals, onFirst, exit, lines, advance: (ms: number) => (clock += ms) };
  }

  it("the first signal starts the graceful stop; the relayed copy of the same Ctrl-C is ignored", () => {
    const h = harness();
    h.signals.emit("SIGINT", "SIGINT");
    h.advance(5);
    h.signals.emit("SIGINT", "SIGINT");
    h.signals.emit("SIGTERM", "SIGTERM");
    expect(h.onFirst).toHaveBeenCalledTimes(1);
    expect(h.onFirst).toHaveBeenCalledWith("SIGINT");
    expect(h.exit).not.toHaveBeenCalled();
  });

  it("a signal after the repeat window forces exit 130 and says what is left running", () => {
    const h = harness();
    h.signals.emit("SIGTERM", "SIGTERM");
    h.advance(1500);
    h.signals.emit("SIGINT", "SIGINT");
    expect(h.onFirst).toHaveBeenCalledTimes(1);
    expect(h.exit).toHaveBeenCalledWith(130);
    expect(h.lines.join("")).toContain("SIGINT again: forcing exit. the stack keeps running");
  });
});
