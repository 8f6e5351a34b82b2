import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { findPortHolder, isPortFree, listeningInodes, summarizeCommand } from "./ports.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

function listen(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    server = s;
    s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port));
  });
}

describe("ports", () => {
  it("reports a port we listen on as busy, and us as its holder", async () => {
    const port = await listen();
    expect(await isPortFree(port)).toBe(false);
    const holder = findPortHolder(port);
    expect(holder?.pid).toBe(process.pid);
    expect(holder?.command).toContain("node");
  });

  it("reports a closed port as free", async () => {
    const port = await listen();
    await new Promise<void>((r) => server?.close(() => r()));
    server = undefined;
    expect(await isPortFree(port)).toBe(true);
    expect(findPortHolder(port)).toBeUndefined();
  });

  it("parses LISTEN sockets out of /proc/net/tcp", () => {
    const table = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:2384 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0",
      "   1: 0100007F:2384 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0",
      "   2: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0",
    ].join("\n");
    expect(listeningInodes(table, 9092)).toEqual(["111"]);
    expect(listeningInodes(table, 6379)).toEqual(["333"]);
    expect(listeningInodes(table, 8081)).toEqual([]);
  });

  it("summarizes a java command line to what it runs", () => {
    const argv = [
      "java",
      "-Xmx512m",
      "-XX:+UseG1GC",
      "-Dx=y",
      "-cp",
      "/lib/*",
      "kafka.Kafka",
      "/s/server.properties",
    ];
    expect(summarizeCommand(argv)).toBe("java kafka.Kafka /s/server.properties");
  });
});
