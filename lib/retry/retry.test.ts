import { describe, expect, it } from "vitest";
import { UnrecoverableError, VerdictError } from "../errors/index.ts";
import { backoffDelay, retry } from "./index.ts";

describe("retry", () => {
  it("retries retriable failures and returns the first success", async () => {
    let n = 0;
    const result = await retry(
      async () => {
        if (++n < 3) throw new VerdictError("VERDICT_ERR_KAFKA", "blip", { retriable: true });
        return "ok";
      },
      { initialDelayMs: 1 },
    );
    expect(result).toBe("ok");
    expect(n).toBe(3);
  });

  it("wraps the final failure with the attempt count", async () => {
    const err = await retry(
      async () => {
        throw new VerdictError("VERDICT_ERR_KAFKA", "down", { retriable: true });
      },
      { attempts: 3, initialDelayMs: 1 },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(VerdictError);
    expect(err.code).toBe("VERDICT_ERR_RETRIES_EXHAUSTED");
    expect(err.context.attempts).toBe(3);
    expect(err.cause.message).toBe("down");
  });

  it("never retries programming errors or unrecoverable errors", async () => {
    for (const error of [new RangeError("bug"), new UnrecoverableError("VERDICT_ERR_VALIDATION", "bad")]) {
      let n = 0;
      await expect(
        retry(async () => {
          n++;
          throw error;
        }),
      ).rejects.toBe(error);
      expect(n).toBe(1);
    }
  });

  it("backs off exponentially with a cap and bounded jitter", () => {
    expect(backoffDelay("exponential", 1, 100, 1000, 0)).toBe(100);
    expect(backoffDelay("exponential", 3, 100, 1000, 0)).toBe(400);
    expect(backoffDelay("exponential", 10, 100, 1000, 0)).toBe(1000);
    expect(backoffDelay("fixed", 5, 100, 1000, 0)).toBe(100);
    const jittered = backoffDelay("exponential", 2, 100, 1000, 0.5, () => 0);
    expect(jittered).toBe(100);
  });
});
