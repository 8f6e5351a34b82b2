import { describe, expect, it } from "vitest";
import { disconnectWithin } from "./tail.ts";

describe("tail's exit", () => {
  it("waits for the consumer to leave its group, but not for a broker that went away", async () => {
    expect(await disconnectWithin({ disconnect: async () => {} }, 1_000)).toBe(true);
    // A disconnect that never settles (KafkaJS retrying a broker that is gone): the timer answers.
    expect(await disconnectWithin({ disconnect: () => new Promise<void>(() => {}) }, 50)).toBe(false);
  });
});
