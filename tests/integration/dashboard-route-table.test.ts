/**
 * Every dashboard route (read from the app, like the API's route table) declares its access, sends a visitor
 * without a session to the login (a redirect for pages, an HX-Redirect for htmx), refuses forms without the CSRF
 * token, and refuses visitors whose role is too low with a 403 — never an envelope, never a silent success.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ROLES } from "../../workers/auth/roles.js";
import type { Access } from "../../workers/http/access.js";
import { cookieHeader, logInAs, type Browser } from "./dashboard-support.js";
import { freshDatabase } from "./fresh-state.js";
import { createApp } from "../../workers/app.js";
import { accessKey } from "../../workers/http/access.js";
import { accessOf, ROUTES, urlOf, type AppRoute } from "./route-table-support.js";

/** Candidate path-parameter values; a dashboard route gets the first its own pattern accepts (the access check runs before the handler). */
const PARAM_CANDIDATES = ["XAUUSD", "1", `tsk_${"0a".repeat(16)}`, "bkp_20260101T000000Z_sample", crypto.randomUUID()];

/** The Hono path of each dashboard route, with its parameter patterns ("/models/:id{[0-9]+}"). */
const RAW_PATHS = new Map(createApp().routes.map(({ method, path }) => [accessKey(method, path), path]));

/** A URL the route matches: each `:name{pattern}` replaced by a candidate its pattern accepts. */
function pageUrl(route: AppRoute): string {
  const raw = RAW_PATHS.get(route.key);
  if (raw === undefined) return urlOf(route);
  return raw.replace(/:([A-Za-z0-9_]+)(\{((?:[^{}]|\{[^{}]*\})*)\})?/g, (_, name: string, _braced: string | undefined, pattern: string | undefined) => {
    const value = PARAM_CANDIDATES.find((candidate) => pattern === undefined || new RegExp(`^(?:${pattern})$`).test(candidate));
    if (value === undefined) throw new Error(`no candidate value matches :${name}{${pattern}} of ${raw}`);
    return value;
  });
}

const PAGE_ROUTES = ROUTES.filter((route) => accessOf(route)?.kind === "page");
const pageAccess = (route: AppRoute) => accessOf(route) as Extract<Access, { kind: "page" }>;
const PROTECTED_PAGES = PAGE_ROUTES.filter((route) => pageAccess(route).requirement !== null);
const ABOVE_VIEWER = PROTECTED_PAGES.filter((route) => pageAccess(route).requirement?.role !== ROLES[0]);

let viewer: Browser;
beforeAll(async () => {
  await freshDatabase();
  viewer = await logInAs("viewer");
});

async function send(route: AppRoute, headers: Record<string, string>): Promise<Response> {
  const init: RequestInit = { method: route.method, headers: { ...headers }, redirect: "manual" };
  if (route.method === "POST") {
    (init.headers as Record<string, string>)["content-type"] = "application/x-www-form-urlencoded";
    init.body = "probe=1";
  }
  return exports.default.fetch(new Request(`http://platform.test${pageUrl(route)}`, init));
}

describe("dashboard route table", () => {
  it("has pages, and opens only the login and the session renewal to visitors without a session", () => {
    expect(PAGE_ROUTES.length).toBeGreaterThan(10);
    expect(PAGE_ROUTES.filter((route) => pageAccess(route).requirement === null).map((r) => r.key).sort()).toEqual(["GET /auth/resume", "GET /login", "POST /login"]);
  });

  it.each(PROTECTED_PAGES)("$key sends a visitor without a session to the login", async (route) => {
    const page = await send(route, {});
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toMatch(/^\/auth\/resume\?next=/);
    const fragment = await send(route, { "hx-request": "true", "hx-current-url": "http://platform.test/trades" });
    expect(fragment.status).toBe(401);
    expect(fragment.headers.get("hx-redirect")).toBe("/auth/resume?next=%2Ftrades");
  });

  it.each(PROTECTED_PAGES.filter((route) => route.method === "POST"))("$key refuses a form without the CSRF token", async (route) => {
    const answer = await send(route, { cookie: cookieHeader(viewer), "hx-request": "true" });
    expect(answer.status).toBe(403);
    expect(await answer.text()).toContain("security token");
  });

  it.each(ABOVE_VIEWER)("$key refuses a viewer with a 403 naming the role", async (route) => {
    const csrf = viewer.cookies.get("aurum_csrf") ?? "";
    const answer = await send(route, { cookie: cookieHeader(viewer), "x-csrf-token": csrf, ...(route.method === "POST" ? { "hx-request": "true" } : {}) });
    expect(answer.status).toBe(403);
    expect(await answer.text()).toContain(`This needs the ${pageAccess(route).requirement?.role} role.`);
  });
});
