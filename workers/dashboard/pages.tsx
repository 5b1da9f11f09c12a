/**
 * How a dashboard page module declares its routes: `pages.get(path, requirement, handler)` registers the route with
 * its access rule and the API client, and `render` wraps a page body in the layout. Forbidden visitors get a 403
 * page (or fragment) naming the role they lack.
 */
import { Hono, type Handler } from "hono";
import type { Child } from "hono/jsx";
import type { ForbiddenError } from "../../core/errors/app-error.js";
import { toAppError } from "../http/error-envelope.js";
import { describeError } from "../log.js";
import type { Requirement } from "../auth/roles.js";
import type { AppFetch } from "./api-client.js";
import { Notice } from "./components.js";
import { Layout } from "./layout.js";
import { dashboardContext, isHtmx, pageAccess, type DashboardContext, type DashboardEnv } from "./page-access.js";

export class Pages {
  readonly app = new Hono<DashboardEnv>();
  private readonly context: ReturnType<typeof dashboardContext>;

  constructor(appFetch: AppFetch) {
    this.context = dashboardContext(appFetch);
    this.app.onError(failed);
  }

  get(path: string, requirement: Requirement | null, handler: Handler<DashboardEnv>): this {
    this.app.get(path, this.context, pageAccess("GET", path, requirement, forbidden), handler);
    return this;
  }

  post(path: string, requirement: Requirement | null, handler: Handler<DashboardEnv>): this {
    this.app.post(path, this.context, pageAccess("POST", path, requirement, forbidden), handler);
    return this;
  }
}

/** The instrument symbols the platform declares, in catalogue order. */
export function symbolsOf(c: DashboardContext): string[] {
  return c.get("platform").instruments.list().map((instrument) => instrument.symbol);
}

/** A whole page: `body` inside the layout, for the visitor of `c`. */
export function render(c: DashboardContext, page: { title: string; active: string; scripts?: readonly string[]; body: Child }, status: 200 | 400 | 403 | 404 | 409 | 422 | 500 | 502 = 200): Response | Promise<Response> {
  return c.html(
    <Layout title={page.title} active={page.active} principal={c.get("principal")} symbols={symbolsOf(c)} nowMs={Date.now()} scripts={page.scripts ?? []}>
      {page.body}
    </Layout>,
    status,
  );
}

function forbidden(c: DashboardContext, error: ForbiddenError): Response | Promise<Response> {
  const details = (error.details ?? {}) as { requiredRole?: string; reason?: string };
  const message = details.reason === "csrf"
    ? "The form's security token is missing or out of date. Reload the page and try again."
    : `This needs the ${details.requiredRole ?? "a higher"} role.`;
  if (isHtmx(c)) return c.html(<Notice tone="bad">{message}</Notice>, 403);
  return render(c, { title: "Not allowed", active: "", body: <Notice tone="bad">{message}</Notice> }, 403);
}

/** Anything a page handler throws: a page (or fragment) saying what failed and the request id to quote, not JSON. */
function failed(thrown: Error, c: DashboardContext): Response | Promise<Response> {
  const error = toAppError(thrown);
  if (error.status >= 500) c.get("log").error("dashboard page failed", { path: c.req.path, code: error.code, ...describeError(thrown) });
  const status = ([400, 403, 404, 409, 422, 502] as const).find((s) => s === error.status) ?? 500;
  const message = error.status >= 500 ? "Something went wrong on the platform." : error.message;
  const body = (
    <Notice tone="bad">
      {message} <span class="muted">(request {c.get("requestId")})</span>
    </Notice>
  );
  if (isHtmx(c)) return c.html(body, status);
  return render(c, { title: status === 404 ? "Not found" : "Error", active: "", body }, status);
}
