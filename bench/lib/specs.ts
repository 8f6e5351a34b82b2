/** CLI options shared by the benchmarks (kept free of app imports: orchestrators load it first). */
import type { Specs } from "./cli.ts";

export const datasetSpecs = {
  customers: {
    type: "string",
    default: "1000",
    help: "simulated card holders (~1.9 transactions/customer/day, one late label per transaction)",
  },
  days: { type: "string", default: "10", help: "simulated days of transactions" },
  posts: { type: "string", default: "10000", help: "posts to moderate" },
  seed: { type: "string", default: "7", help: "simulator seed (same seed = same events and partitions)" },
} as const satisfies Specs;
