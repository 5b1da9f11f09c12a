/** Integration tests: the real Worker in workerd with real Durable Objects, D1 (migrated), R2 and Queues. */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        main: "./workers/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { APP_ENV: "test", LOG_LEVEL: "warn", STREAM_TICK_THROTTLE_MS: "100", TEST_MIGRATIONS: migrations },
        },
      }),
    ],
    test: {
      include: ["tests/integration/**/*.test.ts"],
      setupFiles: ["./tests/integration/apply-migrations.ts"],
      testTimeout: 60_000,
    },
  };
});
