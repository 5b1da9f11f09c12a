/** Sessions: `POST /auth/login`, `POST /auth/refresh` (rotation), `POST /auth/logout`. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { UnauthorizedError } from "../../core/errors/app-error.js";
import { LoginRequestSchema, LogoutRequestSchema, RefreshRequestSchema, TokenResponseSchema } from "../../core/schemas/auth.js";
import { clearSessionCookies, readCookie, REFRESH_COOKIE, setSessionCookies } from "../auth/cookies.js";
import { login, logout, newCsrfToken, refresh, type IssuedTokens } from "../auth/sessions.js";
import { limit, PUBLIC, requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { clientIp } from "../http/request-context.js";

function tokenResponse(c: Context<AppEnv>, tokens: IssuedTokens, cookies: boolean) {
  if (cookies) {
    setSessionCookies(c, { accessToken: tokens.accessToken, accessTtlS: tokens.expiresInS, refreshToken: tokens.refreshToken, refreshTtlS: tokens.refreshTtlS, csrfToken: newCsrfToken() });
  }
  return { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, token_type: "Bearer" as const, expires_in: tokens.expiresInS, user: tokens.user };
}

export const authRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(PUBLIC, {
      method: "post",
      path: "/auth/login",
      tags: ["auth"],
      summary: "Log in with a username and password",
      description: "Repeated failures lock the user and the address out for a period that doubles with each failure (429 with Retry-After).",
      request: { body: { required: true, content: { "application/json": { schema: LoginRequestSchema } } } },
      responses: { 200: json(TokenResponseSchema, "Access and refresh tokens"), ...errorResponses(400, 401, 429, 500) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      await limit(c, c.env.RATE_LIMIT_IP, `login:${clientIp(c)}`);
      c.set("audit", { actorName: body.username.toLowerCase() });
      const tokens = await login(c, body.username, body.password);
      c.set("audit", { actorName: tokens.user.username, target: `user:${tokens.user.id}` });
      return c.json(tokenResponse(c, tokens, body.session === "cookie"), 200);
    },
  )
  .openapi(
    route(PUBLIC, {
      method: "post",
      path: "/auth/refresh",
      tags: ["auth"],
      summary: "Exchange a refresh token for new tokens (the old one stops working)",
      description: "Presenting a refresh token that was already exchanged revokes every token of that login.",
      request: { body: { required: false, content: { "application/json": { schema: RefreshRequestSchema } } } },
      responses: { 200: json(TokenResponseSchema, "New access and refresh tokens"), ...errorResponses(400, 401, 429, 500) },
    }),
    async (c) => {
      const body = (c.req.header("content-type") ?? "").includes("json") ? c.req.valid("json") : {};
      const cookie = readCookie(c, REFRESH_COOKIE);
      const presented = body.refresh_token ?? cookie;
      if (presented === undefined) throw new UnauthorizedError("refresh token required", { details: { reason: "missing" } });
      const tokens = await refresh(c, presented);
      c.set("audit", { actorName: tokens.user.username, target: `user:${tokens.user.id}` });
      return c.json(tokenResponse(c, tokens, body.refresh_token === undefined), 200);
    },
  )
  .openapi(
    route(requires("viewer"), {
      method: "post",
      path: "/auth/logout",
      tags: ["auth"],
      summary: "Revoke the current access token and the given (or cookie) refresh token's login",
      request: { body: { required: false, content: { "application/json": { schema: LogoutRequestSchema } } } },
      responses: { 204: { description: "Logged out" }, ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const principal = c.get("principal");
      const body = (c.req.header("content-type") ?? "").includes("json") ? c.req.valid("json") : {};
      const access = principal?.kind === "user" ? { jti: principal.tokenId, expiresAtMs: principal.tokenExpiresAtMs } : undefined;
      await logout(c, access, body.refresh_token ?? readCookie(c, REFRESH_COOKIE));
      clearSessionCookies(c);
      return c.body(null, 204);
    },
  );
