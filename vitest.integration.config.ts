/** Integration tests: the real Worker in workerd with real Durable Objects, D1 (migrated), R2 and Queues. */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { startStubHttpServer } from "./tests/support/node/stub-http-server.js";
import { TEST_SECRETS } from "./tests/support/test-secrets.js";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // Third-party HTTP (webhooks, Telegram, the mail API) goes to this local stub (tests/integration/notifications.test.ts).
  const stub = await startStubHttpServer({ answers: { "/hooks/failing": { status: 500 } } });
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
            // Retries after 1, 2, 4 … s (tests that exercise retries wait for them).
            TASK_RETRY_BASE_S: "1",
            TASK_RETRY_MAX_S: "8",
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: `${TEST_SECRETS.kid}:${TEST_SECRETS.jwtSecret}`,
            ADMIN_USERNAME: TEST_SECRETS.adminUsername,
            ADMIN_PASSWORD: TEST_SECRETS.adminPassword,
            METRICS_TOKEN: TEST_SECRETS.metricsToken,
            // The least Workers-safe count keeps the suite quick; production uses 100,000.
            PBKDF2_ITERATIONS: "10000",
            LOGIN_LOCKOUT_BASE_S: "30",
            CORS_ORIGINS: "https://desk.example",
            // Notifications: the platform's own events go to the log channel only; the test.* family reaches the
            // stub's webhook, Telegram and mail endpoints (tests/integration/notifications.test.ts).
            STUB_HTTP_URL: stub.url,
            NOTIFY_WEBHOOK_SECRET: "notify-webhook-test-secret-0123456789",
            TELEGRAM_BOT_TOKEN: "123456:telegram-test-token",
            EMAIL_API_KEY: "email-api-test-key-0123456789",
            NOTIFICATIONS: JSON.stringify({
              channels: {
                log: { kind: "log" },
                hook: { kind: "webhook", url: `${stub.url}/hooks/ops` },
                flaky: { kind: "webhook", url: `${stub.url}/hooks/flaky` },
                failing: { kind: "webhook", url: `${stub.url}/hooks/failing` },
                limited: { kind: "webhook", url: `${stub.url}/hooks/limited` },
                telegram: { kind: "telegram", chatId: "-1001234567890", apiBaseUrl: `${stub.url}/telegram` },
                mail: { kind: "email", url: `${stub.url}/mail/send`, from: "alerts@aurum.test", to: ["ops@aurum.test", "desk@aurum.test"] },
              },
              routes: [
                { events: ["task.*", "health.*", "backup.*", "model.*", "system.*"], channels: ["log"] },
                { events: ["test.fanout"], channels: ["hook", "telegram", "mail"] },
                { events: ["test.failing"], channels: ["log", "hook", "failing"] },
                { events: ["test.flaky"], channels: ["hook", "flaky"] },
                { events: ["test.limited"], channels: ["limited"] },
                { events: ["test.urgent.*"], minSeverity: "critical", channels: ["telegram"] },
              ],
              rateLimit: { maxPerWindow: 10, windowS: 3600, channels: { limited: { maxPerWindow: 2, windowS: 60 } } },
            }),
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
      // Vitest's default (one worker fewer than the cores) runs files one at a time on a 2-core machine; two workers
      // there took the suite from 9.9 to 5.9 minutes (each file gets its own workerd runtime and storage).
      maxWorkers: Math.max(2, availableParallelism() - 1),
    },
  };
});
