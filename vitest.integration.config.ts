/** Integration tests: the real Worker in workerd with real Durable Objects, D1 (migrated), R2 and Queues. */
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./tests/support/test-secrets.js";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    // The same alias as wrangler.toml's: onnxruntime-web patched by `npm run ort` (durable-objects/onnx/).
    resolve: {
      alias: [{ find: /^onnxruntime-web\/wasm$/, replacement: fileURLToPath(new URL("./build/ort/ort-wasm-patched.mjs", import.meta.url)) }],
    },
    plugins: [
      cloudflareTest({
        main: "./workers/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            APP_ENV: "test",
            LOG_LEVEL: "warn",
            STREAM_TICK_THROTTLE_MS: "100",
            // Outboxes are delivered by the tests (runDurableObjectAlarm), never by an alarm racing a test's reset.
            OUTBOX_FLUSH_DELAY_MS: "3600000",
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: `${TEST_SECRETS.kid}:${TEST_SECRETS.jwtSecret}`,
            ADMIN_USERNAME: TEST_SECRETS.adminUsername,
            ADMIN_PASSWORD: TEST_SECRETS.adminPassword,
            METRICS_TOKEN: TEST_SECRETS.metricsToken,
            // The least Workers-safe count keeps the suite quick; production uses 100,000.
            PBKDF2_ITERATIONS: "10000",
            LOGIN_LOCKOUT_BASE_S: "30",
            CORS_ORIGINS: "https://desk.example",
          },
          // Small limits so the tests can reach them (each test uses a fresh credential).
          ratelimits: {
            RATE_LIMIT_CREDENTIAL: { simple: { limit: 250, period: 60 } },
            RATE_LIMIT_IP: { simple: { limit: 100_000, period: 60 } },
          },
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
