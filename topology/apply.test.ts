import type { Admin } from "kafkajs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { applyTopology } from "./apply.ts";

/** An admin that must not be reached: the setting is refused before anything is sent. */
const unreachable = new Proxy({} as Admin, {
  get: () => () => Promise.reject(new Error("the broker must not be contacted")),
});

describe("applyTopology settings", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("refuses a VERDICT_REPLICATION_FACTOR that is not a positive whole number, before contacting the broker", async () => {
    for (const bad of ["abc", "0", "2.5"]) {
      vi.stubEnv("VERDICT_REPLICATION_FACTOR", bad);
      await expect(applyTopology({ admin: unreachable, topics: [] })).rejects.toThrow(
        `VERDICT_REPLICATION_FACTOR=${bad} is not a replication factor (1-32767)`,
      );
    }
  });
});
