import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { endQuietlyWhenPipeCloses } from "./signals.ts";

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
