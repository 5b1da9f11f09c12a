/** Driving the dashboard like a browser does: log in through the form, keep its cookies, send htmx requests. */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { bearer, loginAs, postJson } from "./http.js";

const BASE = "http://platform.test";

/** A logged-in browser: its cookies (name → value) and the CSRF token the dashboard script would send. */
export interface Browser {
  readonly cookies: Map<string, string>;
  readonly username: string;
}

export const cookieHeader = (browser: Browser): string => [...browser.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
export const csrfOf = (browser: Browser): string => browser.cookies.get("aurum_csrf") ?? "";

/** Applies a response's Set-Cookie headers to the browser's jar (an expired or empty cookie is removed). */
export function keepCookies(browser: Browser, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const [name, ...rest] = (pair ?? "").split("=");
    const value = rest.join("=");
    const expired = attributes.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=Thu, 01 Jan 1970/i.test(a.trim()));
    if (!name) continue;
    if (expired || value === "") browser.cookies.delete(name.trim());
    else browser.cookies.set(name.trim(), value);
  }
}

/** Creates a user with `role` (through the admin API) and returns its password. */
export async function createDashboardUser(username: string, role: "viewer" | "trader" | "admin"): Promise<string> {
  const admin = await loginAs();
  const password = `${username}-password-0123456789`;
  const response = await postJson("/api/v1/users", { username, password, role }, bearer(admin.access_token));
  expect(response.status, await response.clone().text()).toBe(201);
  return password;
}

/** Logs in through the login form; the default is the bootstrap admin. */
export async function logIn(username: string = TEST_SECRETS.adminUsername, password: string = TEST_SECRETS.adminPassword): Promise<Browser> {
  const browser: Browser = { cookies: new Map(), username };
  const response = await exports.default.fetch(
    new Request(`${BASE}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password, next: "/" }),
      redirect: "manual",
    }),
  );
  expect(response.status, await response.clone().text()).toBe(303);
  keepCookies(browser, response);
  expect(browser.cookies.has("aurum_session")).toBe(true);
  return browser;
}

/** A browser that has logged in as a new user with `role`. */
export async function logInAs(role: "viewer" | "trader" | "admin"): Promise<Browser> {
  const username = `${role}-${crypto.randomUUID().slice(0, 8)}`;
  return logIn(username, await createDashboardUser(username, role));
}

export interface PageAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly html: string;
}

/** GETs a page (or, with `htmx`, a fragment) as the browser. */
export async function getPage(browser: Browser | null, path: string, options: { htmx?: boolean } = {}): Promise<PageAnswer> {
  const headers = new Headers();
  if (browser) headers.set("cookie", cookieHeader(browser));
  if (options.htmx) {
    headers.set("hx-request", "true");
    headers.set("hx-current-url", `${BASE}${path}`);
  }
  const response = await exports.default.fetch(new Request(`${BASE}${path}`, { headers, redirect: "manual" }));
  if (browser) keepCookies(browser, response);
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** POSTs a form the way htmx does (form-encoded, HX-Request, the CSRF header from the cookie). */
export async function htmxPost(browser: Browser, path: string, form: Record<string, string> = {}, options: { csrf?: string | null; currentUrl?: string } = {}): Promise<PageAnswer> {
  const headers = new Headers({ cookie: cookieHeader(browser), "hx-request": "true", "content-type": "application/x-www-form-urlencoded", "hx-current-url": `${BASE}${options.currentUrl ?? "/"}` });
  const csrf = options.csrf === undefined ? csrfOf(browser) : options.csrf;
  if (csrf !== null) headers.set("x-csrf-token", csrf);
  const response = await exports.default.fetch(new Request(`${BASE}${path}`, { method: "POST", headers, body: new URLSearchParams(form), redirect: "manual" }));
  keepCookies(browser, response);
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** The visible text of an HTML fragment (tags dropped, whitespace collapsed), for assertions on what a user reads. */
export function textOf(html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/g, " ").replace(/<[^>]+>/g, " ").replace(/&nbsp;/g, " ").replace(/&amp;/g, "&").replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, " ").trim();
}
