import { describe, expect, it } from "vitest";
import {
  parseDuration,
  parseWebhookOptions,
  SPEC_RETRY_SCHEDULE_MS,
  webhookOptionsFromEnv,
} from "./options.ts";

describe("webhook options", () => {
  it("defaults to the Standard Webhooks schedule and a 15 s timeout", () => {
    const o = parseWebhookOptions({});
    expect(o.retryScheduleMs).toEqual(SPEC_RETRY_SCHEDULE_MS);
    expect(o.retryScheduleMs.slice(0, 7)).toEqual([
      0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000,
    ]);
    expect(o.requestTimeoutMs).toBe(15_000);
    expect(o.admin).toMatchObject({ host: "127.0.0.1", enabled: true });
    expect(o.ssrf).toEqual({ allowHosts: [], allowCidrs: [], allowHttp: false });
  });

  it("reads the environment", () => {
    const o = parseWebhookOptions(
      webhookOptionsFromEnv({
        VERDICT_WEBHOOK_RETRY_SCHEDULE: "0, 1s, 2s,500ms",
        VERDICT_WEBHOOK_TIMEOUT_MS: "2s",
        VERDICT_WEBHOOK_ALLOW_HOSTS: "localhost, hooks.internal",
        VERDICT_WEBHOOK_ALLOW_CIDRS: "127.0.0.0/8",
        VERDICT_WEBHOOK_ALLOW_HTTP: "true",
        VERDICT_WEBHOOK_BREAKER_OPEN_MS: "1s",
        VERDICT_ADMIN_TOKEN: "0123456789abcdef",
        VERDICT_ADMIN_PORT: "0",
      }),
    );
    expect(o.retryScheduleMs).toEqual([0, 1000, 2000, 500]);
    expect(o.requestTimeoutMs).toBe(2000);
    expect(o.ssrf).toEqual({
      allowHosts: ["localhost", "hooks.internal"],
      allowCidrs: ["127.0.0.0/8"],
      allowHttp: true,
    });
    expect(o.breaker).toMatchObject({ openMs: 1000, failureThreshold: 5 });
    expect(o.admin).toMatchObject({ port: 0, token: "0123456789abcdef" });
  });

  it("names the variable in errors", () => {
    expect(() => parseWebhookOptions(webhookOptionsFromEnv({ VERDICT_ADMIN_TOKEN: "short" }))).toThrow(
      /admin\.token \(env VERDICT_ADMIN_TOKEN\): VERDICT_ADMIN_TOKEN must be at least 16/,
    );
    expect(() => webhookOptionsFromEnv({ VERDICT_WEBHOOK_RETRY_SCHEDULE: "0,soon" })).toThrow(
      /VERDICT_WEBHOOK_RETRY_SCHEDULE: "soon" is not a duration/,
    );
    expect(() => webhookOptionsFromEnv({ VERDICT_WEBHOOK_ALLOW_HTTP: "maybe" })).toThrow(/not a boolean/);
    expect(parseDuration("1.5h", "x")).toBe(5_400_000);
  });
});
