/**
 * Access to dashboard pages and forms. Every dashboard route declares its rule here (like `route()` does for the
 * API, so the route-table test sees it): who may open it, read from the session cookie. A visitor without a valid
 * session is sent through `/auth/resume` (which renews an expired access token from the refresh cookie) or to the
 * login page; a visitor whose role is too low gets a 403 page, never a control that would fail.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ForbiddenError, UnauthorizedError } from "../../core/errors/app-error.js";
import { authenticate } from "../auth/authenticate.js";
import { authorize, type Principal, type Requirement } from "../auth/roles.js";
import { accessKey, DECLARED_ACCESS } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { DashboardApi, type AppFetch } from "./api-client.js";

export interface DashboardEnv {
  Bindings: Env;
  Variables: AppEnv["Variables"] & { api: DashboardApi };
}
export type DashboardContext = Context<DashboardEnv>;

/** Where a visitor without a session goes; `next` brings them back. */
export const LOGIN_PATH = "/login";
export const RESUME_PATH = "/auth/resume";

/** True for requests htmx sends (partials and forms), which get fragments and HX-* answers instead of pages. */
export const isHtmx = (c: Context): boolean => c.req.header("hx-request") === "true";

/**
 * A local path to return to after logging in: only same-origin absolute paths, never "//host" or a scheme.
 * @example safeNext("/trades?side=buy") // "/trades?side=buy"
 * @example safeNext("https://evil.example") // "/"
 */
export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.length > 512) return "/";
  return next;
}

/** Sets up the API client every dashboard handler uses. */
export function dashboardContext(appFetch: AppFetch): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    c.set("api", new DashboardApi(c as unknown as Context<AppEnv>, appFetch));
    await next();
  };
}

/**
 * Declares a dashboard route and checks its access: `requirement` null for pages anyone may open (the login page);
 * the visitor's principal, if any, is set either way (a public form sets none).
 */
export function pageAccess(method: "GET" | "POST", path: string, requirement: Requirement | null, onForbidden: (c: DashboardContext, error: ForbiddenError) => Response | Promise<Response>): MiddlewareHandler<DashboardEnv> {
  DECLARED_ACCESS.set(accessKey(method, path), { kind: "page", requirement });
  return async (c, next) => {
    // A public form (the login) needs no principal: reading one would ask a still-valid session for its CSRF token.
    if (requirement === null && method === "POST") {
      c.set("principal", undefined);
      return next();
    }
    let principal: Principal | undefined;
    try {
      principal = await authenticate(c as unknown as Context<AppEnv>);
    } catch (error: unknown) {
      if (error instanceof UnauthorizedError) principal = undefined;
      else if (error instanceof ForbiddenError) return onForbidden(c, error);
      else throw error;
    }
    if (principal === undefined && requirement !== null) return sendToLogin(c);
    c.set("principal", principal);
    if (principal !== undefined && requirement !== null) {
      try {
        authorize(principal, requirement);
      } catch (error: unknown) {
        if (error instanceof ForbiddenError) return onForbidden(c, error);
        throw error;
      }
    }
    await next();
  };
}

/** Without a valid session: pages go through the refresh, htmx requests make the browser do so. */
function sendToLogin(c: DashboardContext): Response {
  const here = isHtmx(c) ? pathOf(c.req.header("hx-current-url")) : c.req.method === "GET" ? pathOf(c.req.url) : "/";
  const target = `${RESUME_PATH}?next=${encodeURIComponent(safeNext(here))}`;
  if (isHtmx(c)) return new Response(null, { status: 401, headers: { "HX-Redirect": target } });
  return c.redirect(target, 303);
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return "/";
  try {
    const parsed = new URL(url, "http://x");
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return "/";
  }
}
