import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type ConfigStatus, registerConfigGauges } from "./config-gauges.ts";

describe("configuration reload gauges", () => {
  it("say whether the last edit applied, when, and which policy version decides", async () => {
    const registry = new Registry();
    let status: ConfigStatus = { policyVersion: "1" };
    registerConfigGauges(registry, () => status);
    const scrape = async () => {
      const text = await registry.metrics();
      return Object.fromEntries(
        text
          .split("\n")
          .filter((l) => l.startsWith("verdict_"))
          .map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))]),
      );
    };
    expect(await scrape()).toEqual({
      verdict_config_last_reload_successful: 1,
      verdict_config_last_reload_success_timestamp_seconds: 0,
      'verdict_scoring_policy_info{version="1"}': 1,
    });
    status = {
      file: "/etc/verdict/verdict.yaml",
      policyVersion: "2",
      lastReload: { successful: true, at: 1_700_000_000_000 },
      lastSuccessAt: 1_700_000_000_000,
    };
    expect(await scrape()).toEqual({
      verdict_config_last_reload_successful: 1,
      verdict_config_last_reload_success_timestamp_seconds: 1_700_000_000,
      'verdict_scoring_policy_info{version="2"}': 1,
    });
    status = { ...status, lastReload: { successful: false, at: 1_700_000_100_000 } };
    expect(await scrape()).toMatchObject({ verdict_config_last_reload_successful: 0 });
  });
});
