/**
 * Who is calling: an access token (Authorization: Bearer, or the session cookie — then state-changing calls must
 * carry the CSRF token) or an API key (Authorization: Bearer ak_… or X-API-Key). Every failure is a 401 with a reason
 * that does not leak which part was wrong beyond what the caller can fix.
 */
import type { Context } from "hono";
import { ConfigError, ForbiddenError, UnauthorizedError } from "../../core/errors/app-error.js";
import { db } from "../db/client.js";
import { findApiKeyByPrefix, touchApiKey, type ApiKeyRow } from "../db/api-keys.js";
import { isAccessTokenRevoked } from "../db/revoked-access-tokens.js";
import { findUserById, type UserRow } from "../db/users.js";
import type { AppEnv } from "../http/app-env.js";
import { parseApiKey, verifyApiKey } from "./api-keys.js";
import { CSRF_COOKIE, CSRF_HEADER, readCookie, SESSION_COOKIE } from "./cookies.js";
import { TtlCache } from "./credential-cache.js";
import { constantTimeEqual } from "./password.js";
import type { Principal, Scope } from "./roles.js";
import { parseSigningKeys, verifyAccessToken, type SigningKeys } from "./tokens.js";

/** Per-isolate caches; see TtlCache. */
export const userCache = new TtlCache<Pick<UserRow, "id" | "username" | "role" | "disabledAtMs">>();
export const apiKeyCache = new TtlCache<ApiKeyRow>();
export const revokedTokenCache = new TtlCache<boolean>();
/** An API key's last-used time is written at most this often, ms. */
const TOUCH_EVERY_MS = 60_000;
const lastTouchMs = new Map<string, number>();

const signingKeysCache = new Map<string, SigningKeys>();

/** The signing keys from the JWT_SECRET secret; a missing or weak secret is a ConfigError (500). */
export function signingKeys(c: Context<AppEnv>): SigningKeys {
  const secret = c.get("platform").config.auth.jwtSecret;
  if (secret === undefined) throw new ConfigError("JWT_SECRET is not set");
  let keys = signingKeysCache.get(secret);
  if (!keys) {
    keys = parseSigningKeys(secret);
    signingKeysCache.set(secret, keys);
  }
  return keys;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The caller's principal, or undefined when the request carries no credential at all. */
export async function authenticate(c: Context<AppEnv>): Promise<Principal | undefined> {
  const authorization = c.req.header("authorization");
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match?.[1]) throw new UnauthorizedError("Authorization must be 'Bearer <token or API key>'", { details: { reason: "malformed" } });
    return credentialPrincipal(c, match[1], false);
  }
  const apiKey = c.req.header("x-api-key");
  if (apiKey !== undefined) return apiKeyPrincipal(c, apiKey);
  const session = readCookie(c, SESSION_COOKIE);
  if (session !== undefined) return credentialPrincipal(c, session, true);
  return undefined;
}

async function credentialPrincipal(c: Context<AppEnv>, credential: string, viaCookie: boolean): Promise<Principal> {
  if (credential.startsWith("ak_")) {
    if (viaCookie) throw new UnauthorizedError("API keys are not accepted in cookies", { details: { reason: "malformed" } });
    return apiKeyPrincipal(c, credential);
  }
  const principal = await userPrincipal(c, credential);
  if (viaCookie && UNSAFE_METHODS.has(c.req.method)) await requireCsrfToken(c);
  return principal;
}

async function userPrincipal(c: Context<AppEnv>, token: string): Promise<Principal> {
  const { auth } = c.get("platform").config;
  const nowMs = Date.now();
  const claims = await verifyAccessToken(signingKeys(c), token, {
    issuer: auth.issuer,
    audience: auth.audience,
    nowS: Math.floor(nowMs / 1000),
    clockToleranceS: auth.clockToleranceS,
  });
  const ttlMs = auth.credentialCacheTtlS * 1000;
  const database = db(c.env);
  let revoked = revokedTokenCache.get(claims.jti, nowMs);
  if (revoked === undefined) {
    revoked = await isAccessTokenRevoked(database, claims.jti);
    revokedTokenCache.set(claims.jti, revoked, ttlMs, nowMs);
  }
  if (revoked) throw new UnauthorizedError("token revoked", { details: { reason: "revoked" } });
  let user = userCache.get(claims.userId, nowMs);
  if (user === undefined) {
    const row = await findUserById(database, claims.userId);
    if (!row) throw new UnauthorizedError("unknown user", { details: { reason: "revoked" } });
    user = { id: row.id, username: row.username, role: row.role, disabledAtMs: row.disabledAtMs };
    userCache.set(row.id, user, ttlMs, nowMs);
  }
  if (user.disabledAtMs !== null) throw new UnauthorizedError("user disabled", { details: { reason: "revoked" } });
  // The role is read from the user, not the token: a demotion takes effect without waiting for expiry.
  return { kind: "user", userId: user.id, username: user.username, role: user.role, tokenId: claims.jti, tokenExpiresAtMs: claims.expiresAtS * 1000 };
}

async function apiKeyPrincipal(c: Context<AppEnv>, key: string): Promise<Principal> {
  const { prefix } = parseApiKey(key);
  const nowMs = Date.now();
  let row = apiKeyCache.get(prefix, nowMs);
  if (row === undefined) {
    row = await findApiKeyByPrefix(db(c.env), prefix);
    if (row) apiKeyCache.set(prefix, row, c.get("platform").config.auth.credentialCacheTtlS * 1000, nowMs);
  }
  if (!row || !(await verifyApiKey(key, row.keyHash))) throw new UnauthorizedError("invalid API key", { details: { reason: "bad-key" } });
  if (row.revokedAtMs !== null) throw new UnauthorizedError("API key revoked", { details: { reason: "revoked" } });
  if (nowMs - (lastTouchMs.get(row.id) ?? 0) >= TOUCH_EVERY_MS) {
    lastTouchMs.set(row.id, nowMs);
    c.executionCtx.waitUntil(touchApiKey(db(c.env), row.id, nowMs));
  }
  return { kind: "api-key", keyId: row.id, prefix: row.prefix, role: row.role, scopes: row.scopes as Scope[] };
}

/** Double-submit check: the header (or form field `_csrf`) must equal the CSRF cookie. */
async function requireCsrfToken(c: Context<AppEnv>): Promise<void> {
  const cookie = readCookie(c, CSRF_COOKIE);
  let presented = c.req.header(CSRF_HEADER);
  if (presented === undefined && (c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
    const field = (await c.req.parseBody())["_csrf"];
    presented = typeof field === "string" ? field : undefined;
  }
  const encoder = new TextEncoder();
  if (!cookie || !presented || !constantTimeEqual(encoder.encode(cookie), encoder.encode(presented))) {
    throw new ForbiddenError("missing or wrong CSRF token", { details: { reason: "csrf" } });
  }
}

/** Forgets what this isolate cached about a user or a key after it changed them. */
export function evictUser(userId: string): void {
  userCache.delete(userId);
}

export function evictApiKey(prefix: string): void {
  apiKeyCache.delete(prefix);
}

export function markTokenRevoked(jti: string, ttlMs: number, nowMs: number): void {
  revokedTokenCache.set(jti, true, ttlMs, nowMs);
}
