import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { connectionsFromEnv } from "../lib/config/index.ts";
import { ensureKafkaReachable } from "./deps.ts";

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("ensureKafkaReachable", () => {
  it("fails within seconds, naming the brokers and what to do", async () => {
    const port = await closedPort();
    const { kafka } = connectionsFromEnv({ KAFKA_BROKERS: `127.0.0.1:${port}` });
    const started = Date.now();
    const err = await ensureKafkaReachable(kafka, "Start the local stack.").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "VERDICT_ERR_KAFKA" });
    expect((err as Error).message).toMatch(
      new RegExp(
        `^Cannot reach Kafka at 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\)\\. Start the local stack\\.$`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
