/** Edge hygiene for every request: secure headers, CORS allow-list, per-address rate limit, body size limit. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { PayloadTooLargeError } from "../../core/errors/app-error.js";
import { clientIp } from "./request-context.js";
import { isInternal } from "./internal-request.js";
import { limit } from "./access.js";
import type { AppEnv } from "./app-env.js";

/** Largest body of any request except tick ingest (which allows 1 MiB), bytes. */
export const MAX_BODY_BYTES = 65_536;

/** Strict by default: only our own scripts, styles and images; never framed. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  objectSrc: ["'none'"],
};

export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";

/** The API docs page starts Swagger UI with an inline script: allowed there, and only there. */
const DOCS_CONTENT_SECURITY_POLICY = { ...CONTENT_SECURITY_POLICY, scriptSrc: ["'self'", "'unsafe-inline'"] };

const strictHeaders = secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, xFrameOptions: "DENY" });
const docsHeaders = secureHeaders({ contentSecurityPolicy: DOCS_CONTENT_SECURITY_POLICY, xFrameOptions: "DENY" });

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return (c, next) => (c.req.path === DOCS_PATH ? docsHeaders(c, next) : strictHeaders(c, next));
}

/** CORS for the origins in CORS_ORIGINS only (none by default: same-origin dashboard and server-side clients). */
export function corsAllowList(): MiddlewareHandler<AppEnv> {
  // Built once per origin list (the configuration is parsed once per isolate).
  const byOrigins = new WeakMap<readonly string[], MiddlewareHandler<AppEnv>>();
  return async (c, next) => {
    const allowed = c.get("platform").config.auth.corsOrigins;
    let middleware = byOrigins.get(allowed);
    if (!middleware) {
      middleware = cors({
        origin: (origin) => (allowed.includes(origin) ? origin : null),
        allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
        allowHeaders: ["authorization", "content-type", "x-api-key", "x-csrf-token", "x-request-id"],
        exposeHeaders: ["x-request-id", "retry-after"],
        credentials: true,
        maxAge: 600,
      });
      byOrigins.set(allowed, middleware);
    }
    return middleware(c, next);
  };
}

/** RATE_LIMIT_IP per client address, for every route but the public health probe and the dashboard's own API calls. */
export function addressRateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.path !== "/health" && !isInternal(c.req.raw)) await limit(c, c.env.RATE_LIMIT_IP, `ip:${clientIp(c)}`);
    await next();
  };
}

const smallBodies = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new PayloadTooLargeError(`body exceeds ${MAX_BODY_BYTES} bytes`);
  },
});

/** The global body limit; tick ingest sets its own, larger one. */
export function bodySizeLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => (c.req.path === "/api/v1/data/ingest" ? next() : smallBodies(c, next));
}
