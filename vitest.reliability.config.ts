import { defineConfig } from "vitest/config";

/**
 * The reliability suite (`npm run test:reliability`): crash safety, fuzzing, load and boundary checks against
 * the built daemon. Separate from `npm test` (its files end in `.reliability.ts`, which the normal config does
 * not include). One file at a time: each drives a daemon hard, and its timings must not compete with another.
 */
export default defineConfig({
  test: {
    include: ["test/reliability/**/*.reliability.ts"],
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 420_000,
    hookTimeout: 60_000,
    reporters: ["verbose"],
  },
});
