/** Bindings only the integration tests have. */
import type { D1Migration } from "@cloudflare/vitest-pool-workers";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** Base URL of the local stub for third-party HTTP (tests/support/node/stub-http-server.ts). */
      STUB_HTTP_URL: string;
    }
  }
}
