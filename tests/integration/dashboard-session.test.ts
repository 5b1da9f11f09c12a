/**
 * The dashboard's session: the login form sets HttpOnly, SameSite=Strict cookies through the API's login; pages
 * without a session go through the refresh and then the login page; forms need the CSRF token; a viewer is refused
 * admin pages with a page (not an envelope); logout revokes the login; every dashboard route declares its access.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { DECLARED_ACCESS } from "../../workers/http/access.js";
import { NAV_PAGES } from "../../workers/dashboard/layout.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { freshDatabase } from "./fresh-state.js";
import { cookieHeader, getPage, htmxPost, logIn, logInAs, textOf } from "./dashboard-support.js";
import { exports } from "cloudflare:workers";

beforeEach(freshDatabase);

describe("dashboard login", () => {
  it("shows the login form to a visitor and sends them back to the page they asked for", async () => {
    const login = await getPage(null, "/login?next=%2Ftrades");
    expect(login.status).toBe(200);
    expect(login.html).toMatch(/^<!DOCTYPE html>/);
    expect(login.html).toContain('<label for="username">Username</label>');
    expect(login.html).toContain('value="/trades"');

    const response = await exports.default.fetch(
      new Request("http://platform.test/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username: TEST_SECRETS.adminUsername, password: TEST_SECRETS.adminPassword, next: "/trades" }),
        redirect: "manual",
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/trades");
    const cookies = response.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("aurum_session="));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(cookies.find((c) => c.startsWith("aurum_refresh="))).toMatch(/Path=\/auth/);
    // Local test environment: not Secure (plain http); staging and production set Secure (cookies.ts).
    expect(session).not.toMatch(/Secure/);
  });

  it("refuses a wrong password with the form again, and never redirects off-site", async () => {
    const response = await exports.default.fetch(
      new Request("http://platform.test/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username: TEST_SECRETS.adminUsername, password: "wrong-password", next: "//evil.example/" }),
        redirect: "manual",
      }),
    );
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(textOf(html)).toContain("Wrong username or password.");
    expect(html).toContain('name="next" value="/"');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("lets a logged-in browser log in again (as someone else) without a CSRF token", async () => {
    const browser = await logIn();
    const response = await exports.default.fetch(
      new Request("http://platform.test/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(browser) },
        body: new URLSearchParams({ username: TEST_SECRETS.adminUsername, password: TEST_SECRETS.adminPassword, next: "/risk" }),
        redirect: "manual",
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/risk");
  });

  it("sends a visitor without a session through the refresh to the login page", async () => {
    const page = await getPage(null, "/trades?side=buy");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/auth/resume?next=%2Ftrades%3Fside%3Dbuy");
    const resume = await getPage(null, "/auth/resume?next=%2Ftrades%3Fside%3Dbuy");
    expect(resume.status).toBe(303);
    expect(resume.headers.get("location")).toBe("/login?next=%2Ftrades%3Fside%3Dbuy");
    // htmx requests get a redirect instruction rather than a page.
    const fragment = await getPage(null, "/trades", { htmx: true });
    expect(fragment.status).toBe(401);
    expect(fragment.headers.get("hx-redirect")).toBe("/auth/resume?next=%2Ftrades");
  });

  it("renews an expired access token from the refresh cookie and returns to the page", async () => {
    const browser = await logIn();
    const refresh = browser.cookies.get("aurum_refresh");
    browser.cookies.delete("aurum_session");
    const resume = await getPage(browser, "/auth/resume?next=%2F");
    expect(resume.status).toBe(303);
    expect(resume.headers.get("location")).toBe("/");
    expect(browser.cookies.get("aurum_session")).toBeDefined();
    expect(browser.cookies.get("aurum_refresh")).not.toBe(refresh);
  });

  it("logs out: the cookies are cleared and the old access token no longer opens a page", async () => {
    const browser = await logIn();
    const before = cookieHeader(browser);
    const out = await htmxPost(browser, "/logout");
    expect(out.status).toBe(204);
    expect(out.headers.get("hx-redirect")).toBe("/login");
    expect(browser.cookies.has("aurum_session")).toBe(false);
    const replay = await exports.default.fetch(new Request("http://platform.test/", { headers: { cookie: before }, redirect: "manual" }));
    expect(replay.status).toBe(303);
  });

  it("refuses a form without the CSRF token and changes nothing", async () => {
    const browser = await logIn();
    const out = await htmxPost(browser, "/logout", {}, { csrf: null });
    expect(out.status).toBe(403);
    expect(textOf(out.html)).toContain("security token");
    expect((await getPage(browser, "/")).status).toBe(200);
  });
});

describe("dashboard access", () => {
  it("declares every dashboard route, and every page of the navigation exists", () => {
    const pageKeys = [...DECLARED_ACCESS].filter(([, access]) => access.kind === "page").map(([key]) => key);
    expect(pageKeys).toEqual(expect.arrayContaining(["GET /login", "POST /login", "GET /auth/resume", "POST /logout"]));
    for (const page of NAV_PAGES) expect(DECLARED_ACCESS.get(page.key)?.kind, page.key).toBe("page");
  });

  it("shows a viewer only the pages a viewer may open, and refuses the admin page with a page", async () => {
    const viewer = await logInAs("viewer");
    const home = await getPage(viewer, "/");
    expect(home.status).toBe(200);
    expect(home.html).not.toContain('href="/admin/users"');
    const users = await getPage(viewer, "/admin/users");
    expect(users.status).toBe(403);
    expect(users.html).toMatch(/^<!DOCTYPE html>/);
    expect(textOf(users.html)).toContain("This needs the admin role.");
    const admin = await logIn();
    expect((await getPage(admin, "/")).html).toContain('href="/admin/users"');
    expect(env.DB).toBeDefined();
  });
});
