/** Hono's typing of this Worker: its bindings and the per-request variables the middleware sets. */
import type { Principal } from "../auth/roles.js";
import type { Logger } from "../log.js";
import type { Platform } from "../platform.js";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    platform: Platform;
    /** Set by the access check on protected routes. */
    principal: Principal | undefined;
    /** What a route adds to its audit entry (e.g. the username of a login attempt). */
    audit: { actorName?: string; target?: string; details?: unknown } | undefined;
  };
}
