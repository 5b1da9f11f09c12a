/** Unit tests: pure core/ and Node-side code, run in Node. */
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    // Vitest's default (one worker fewer than the cores) runs files one at a time on a 2-core machine; two workers
    // there took the suite from 116 s to 68 s.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
