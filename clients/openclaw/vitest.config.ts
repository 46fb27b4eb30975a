import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests spawn real daemons and PTYs, the end-to-end test a real OpenClaw: two shared cores.
    pool: "forks",
    // The daemon's suite's global setup: everything a run writes to the temp dir is removed after it.
    globalSetup: ["../../test/helpers/temp-root.ts"],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
