/** The dashboard's session cookies: access token, refresh token, and the CSRF token double-submitted by forms. */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../http/app-env.js";

export const SESSION_COOKIE = "aurum_session";
export const REFRESH_COOKIE = "aurum_refresh";
export const CSRF_COOKIE = "aurum_csrf";
/** Header (or form field `_csrf`) that must repeat the CSRF cookie on state-changing cookie-authenticated calls. */
export const CSRF_HEADER = "x-csrf-token";

function secure(c: Context<AppEnv>): boolean {
  const env = c.get("platform").config.appEnv;
  return env !== "development" && env !== "test";
}

export function setSessionCookies(c: Context<AppEnv>, tokens: { accessToken: string; accessTtlS: number; refreshToken: string; refreshTtlS: number; csrfToken: string }): void {
  const base = { sameSite: "Strict", secure: secure(c) } as const;
  setCookie(c, SESSION_COOKIE, tokens.accessToken, { ...base, httpOnly: true, path: "/", maxAge: tokens.accessTtlS });
  setCookie(c, REFRESH_COOKIE, tokens.refreshToken, { ...base, httpOnly: true, path: "/auth", maxAge: tokens.refreshTtlS });
  setCookie(c, CSRF_COOKIE, tokens.csrfToken, { ...base, httpOnly: false, path: "/", maxAge: tokens.refreshTtlS });
}

export function clearSessionCookies(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  deleteCookie(c, REFRESH_COOKIE, { path: "/auth" });
  deleteCookie(c, CSRF_COOKIE, { path: "/" });
}

export function readCookie(c: Context<AppEnv>, name: string): string | undefined {
  return getCookie(c, name);
}
