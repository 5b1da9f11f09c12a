/** Secrets the integration tests run with (bound in vitest.integration.config.ts). Test-only values. */
export const TEST_SECRETS = {
  kid: "test-1",
  jwtSecret: "integration-test-signing-secret-0123456789abcdef",
  adminUsername: "admin",
  adminPassword: "correct horse battery staple",
  metricsToken: "metrics-test-token-0123456789",
} as const;
