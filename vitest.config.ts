/**
 * Two projects: `unit` (tests beside the code, no broker) and `integration` (test/, against the
 * real Kafka + registry + Redis that test/setup/global-setup.ts provides).
 *   npx vitest run --project unit
 *   npx vitest run --project integration
 */
import { defineConfig } from "vitest/config";

const IGNORED = [
  "**/node_modules/**",
  "**/.verdict/**",
  "dist/**",
  "**/.git/**",
  "**/coverage/**",
  "training/**",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: [...IGNORED, "test/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: IGNORED,
          globalSetup: ["test/setup/global-setup.ts"],
          // One broker for every file: run files one at a time so timings and group
          // rebalances don't interfere; tests still isolate by unique topic/group names.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
