/** Hono's typing of this Worker: its bindings and the per-request variables the middleware sets. */
import type { Logger } from "../log.js";
import type { Platform } from "../platform.js";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    platform: Platform;
  };
}
