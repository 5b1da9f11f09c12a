/** Per-request plumbing: request id (taken from X-Request-Id when sane), platform, logger and an access log line. */
import type { Context, MiddlewareHandler } from "hono";
import { createLogger } from "../log.js";
import { platformOf } from "../platform.js";
import type { AppEnv } from "./app-env.js";

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The address a request came from (Cloudflare's header; "local" when absent, as in tests). */
export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "local";
}

export function requestContext(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const startedMs = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming !== undefined && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    const platform = platformOf(c.env);
    c.set("platform", platform);
    const log = createLogger(platform.config.logLevel, { requestId });
    c.set("log", log);
    await next();
    log.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - startedMs) * 1000) / 1000,
    });
  };
}
