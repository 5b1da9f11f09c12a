/**
 * Every route declares who may call it, next to its definition: `route(access, config)` records the rule (the route
 * table test walks the app's routes and fails on any route without one), documents it in OpenAPI, and puts the
 * check in front of the handler. Checks: authenticate (401), authorize by role and scope (403), rate-limit the
 * credential (429).
 */
import type { RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { RateLimitedError, UnauthorizedError } from "../../core/errors/app-error.js";
import { authenticate } from "../auth/authenticate.js";
import { constantTimeEqual } from "../auth/password.js";
import { authorize, type Principal, type Requirement, type Role, type Scope } from "../auth/roles.js";
import type { AppEnv } from "./app-env.js";

export type Access =
  | { readonly kind: "public" }
  | { readonly kind: "principal"; readonly requirement: Requirement }
  | { readonly kind: "metrics-token" }
  /** A dashboard page or form: a principal from the session cookie; refusals are pages, not envelopes. */
  | { readonly kind: "page"; readonly requirement: Requirement | null };

export const PUBLIC: Access = { kind: "public" };
export const METRICS_TOKEN: Access = { kind: "metrics-token" };

/** A route for principals with at least `role` (and, if given, `scope`). */
export function requires(role: Role, scope?: Scope): Access {
  return { kind: "principal", requirement: scope === undefined ? { role } : { role, scope } };
}

/** Declared access per route, keyed "METHOD /path/{param}" as in OpenAPI. */
export const DECLARED_ACCESS = new Map<string, Access>();

/**
 * The DECLARED_ACCESS key of a Hono route path.
 * @example accessKey("GET", "/tasks/:id") // "GET /tasks/{id}"
 * @example accessKey("GET", "/bars/:ts{[0-9]{1,15}}") // "GET /bars/{ts}"
 */
export function accessKey(method: string, honoPath: string): string {
  // A parameter's pattern may hold one level of braces itself (":id{[0-9]{1,15}}").
  return `${method.toUpperCase()} ${honoPath.replace(/:([A-Za-z0-9_]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, "{$1}")}`;
}

/**
 * Whether `principal` would pass the access check of the declared route `key` ("METHOD /path/{param}"): what the
 * dashboard asks before it shows a control, so that nobody sees a button the API would refuse.
 * @example allows(principal, "POST /api/v1/risk/emergency-stop") // true for a trader, false for a viewer
 */
export function allows(principal: Principal | undefined, key: string): boolean {
  const access = DECLARED_ACCESS.get(key);
  if (access === undefined) throw new Error(`no declared route ${key}`);
  if (access.kind === "public") return true;
  if (access.kind === "metrics-token" || principal === undefined) return false;
  if (access.requirement === null) return true;
  try {
    authorize(principal, access.requirement);
    return true;
  } catch {
    return false;
  }
}

/** Window of the rate-limit bindings, seconds (their `period`): an upper bound for Retry-After. */
export const RATE_LIMIT_PERIOD_S = 60;

const SECURITY: Record<Access["kind"], RouteConfig["security"]> = {
  public: [],
  principal: [{ bearer: [] }, { apiKey: [] }, { session: [] }],
  "metrics-token": [{ metricsToken: [] }],
  page: [{ session: [] }],
};

/**
 * Declares a route with its access rule.
 * @example app.openapi(route(requires("viewer", "read"), { method: "get", path: "/api/v1/market/data", … }), handler)
 */
export function route<R extends RouteConfig>(access: Access, config: R): R & { middleware: MiddlewareHandler<AppEnv>[] } {
  DECLARED_ACCESS.set(`${config.method.toUpperCase()} ${config.path}`, access);
  const description = access.kind === "principal"
    ? `Requires role ${access.requirement.role}${access.requirement.scope ? ` and scope ${access.requirement.scope}` : ""}.`
    : access.kind === "public" ? "Public." : "Requires the metrics scrape token.";
  const existing = config.middleware === undefined ? [] : Array.isArray(config.middleware) ? config.middleware : [config.middleware];
  return {
    ...config,
    description: [config.description, description].filter(Boolean).join("\n\n"),
    security: SECURITY[access.kind],
    middleware: [enforce(access), ...(existing as MiddlewareHandler<AppEnv>[])],
  };
}

function enforce(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access.kind === "principal") {
      const principal = await authenticate(c);
      if (!principal) throw new UnauthorizedError("authentication required", { details: { reason: "missing" } });
      authorize(principal, access.requirement);
      await limit(c, c.env.RATE_LIMIT_CREDENTIAL, principal.kind === "user" ? `user:${principal.userId}` : `key:${principal.keyId}`);
      c.set("principal", principal);
    } else if (access.kind === "metrics-token") {
      requireMetricsToken(c);
    }
    await next();
  };
}

/** Applies a rate-limit binding to `key`; 429 with Retry-After when over. */
export async function limit(c: Context<AppEnv>, limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) throw new RateLimitedError(RATE_LIMIT_PERIOD_S, "rate limit exceeded", { details: { key: key.split(":")[0] } });
}

function requireMetricsToken(c: Context<AppEnv>): void {
  const expected = c.get("platform").config.auth.metricsToken;
  const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  const encoder = new TextEncoder();
  if (expected === undefined || presented === undefined || !constantTimeEqual(encoder.encode(expected), encoder.encode(presented))) {
    throw new UnauthorizedError("metrics scrape token required", { details: { reason: "missing" } });
  }
}
