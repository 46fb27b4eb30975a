import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The reliability suite (crash loops, fuzzing, load) has its own config: `npm run test:reliability`.
    exclude: ["test/reliability/**", "**/node_modules/**"],
    // Integration tests spawn real daemons, PTYs and SQLite files; two cores are shared.
    pool: "forks",
    // Everything a run writes to the temp dir is removed after it (see the file).
    globalSetup: ["test/helpers/temp-root.ts"],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
