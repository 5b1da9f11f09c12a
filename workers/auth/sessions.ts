/**
 * Logins, refresh-token rotation and logout. A login starts a refresh-token family; each refresh rotates the token;
 * presenting an already rotated token revokes the whole family (it was copied). Failed logins lock out the user and
 * the address for a period that doubles with each further failure.
 */
import type { Context } from "hono";
import { RateLimitedError, UnauthorizedError } from "../../core/errors/app-error.js";
import { db } from "../db/client.js";
import { clearLoginFailures, lockoutEndMs, recordLoginFailure } from "../db/login-throttle.js";
import { findRefreshToken, insertRefreshToken, revokeFamily, rotateRefreshToken } from "../db/refresh-tokens.js";
import { revokeAccessToken } from "../db/revoked-access-tokens.js";
import { findUserById, findUserByUsername, insertUser, updateUser, type UserRow } from "../db/users.js";
import type { AppEnv } from "../http/app-env.js";
import { clientIp } from "../http/request-context.js";
import { markTokenRevoked, signingKeys } from "./authenticate.js";
import { dummyVerifyPassword, hashPassword, needsRehash, verifyPassword } from "./password.js";
import type { Role } from "./roles.js";
import { hashToken, newRefreshToken, randomBase64Url, signAccessToken } from "./tokens.js";

export interface IssuedTokens {
  accessToken: string;
  accessTokenJti: string;
  expiresInS: number;
  refreshToken: string;
  refreshTtlS: number;
  user: { id: string; username: string; role: Role };
}

/**
 * The user to log in. The first admin (ADMIN_USERNAME / ADMIN_PASSWORD secrets) is created the first time someone
 * logs in under that name and no such user exists; an existing user is never overwritten.
 */
async function findOrBootstrapUser(c: Context<AppEnv>, username: string): Promise<UserRow | undefined> {
  const database = db(c.env);
  const existing = await findUserByUsername(database, username);
  const { adminUsername, adminPassword, pbkdf2Iterations } = c.get("platform").config.auth;
  if (existing || adminUsername === undefined || adminPassword === undefined || adminUsername.toLowerCase() !== username.toLowerCase()) return existing;
  const passwordHash = await hashPassword(adminPassword, pbkdf2Iterations);
  if (await insertUser(database, { id: crypto.randomUUID(), username: adminUsername, passwordHash, role: "admin", nowMs: Date.now() })) {
    c.get("log").info("first admin created", { username: adminUsername.toLowerCase() });
  }
  return findUserByUsername(database, username);
}

async function issueTokens(c: Context<AppEnv>, user: { id: string; username: string; role: Role }): Promise<{ tokens: IssuedTokens; refresh: { id: string; tokenHash: string; expiresAtMs: number } }> {
  const { auth } = c.get("platform").config;
  const nowMs = Date.now();
  const access = await signAccessToken(signingKeys(c), { userId: user.id, username: user.username, role: user.role }, {
    issuer: auth.issuer,
    audience: auth.audience,
    ttlS: auth.accessTokenTtlS,
    nowS: Math.floor(nowMs / 1000),
  });
  const refresh = await newRefreshToken();
  return {
    tokens: { accessToken: access.token, accessTokenJti: access.jti, expiresInS: auth.accessTokenTtlS, refreshToken: refresh.token, refreshTtlS: auth.refreshTokenTtlS, user },
    refresh: { id: crypto.randomUUID(), tokenHash: refresh.tokenHash, expiresAtMs: nowMs + auth.refreshTokenTtlS * 1000 },
  };
}

/** Checks the password (constant work whether or not the user exists) and starts a session. */
export async function login(c: Context<AppEnv>, username: string, password: string): Promise<IssuedTokens> {
  const { auth } = c.get("platform").config;
  const database = db(c.env);
  const nowMs = Date.now();
  const keys = [`user:${username.toLowerCase()}`, `ip:${clientIp(c)}`];
  const lockedUntil = await lockoutEndMs(database, keys);
  if (lockedUntil > nowMs) {
    throw new RateLimitedError((lockedUntil - nowMs) / 1000, "too many failed logins; try again later", { details: { reason: "locked-out" } });
  }
  const user = await findOrBootstrapUser(c, username);
  const valid = user ? await verifyPassword(password, user.passwordHash) : await dummyVerifyPassword(password, auth.pbkdf2Iterations);
  if (!user || !valid || user.disabledAtMs !== null) {
    await recordLoginFailure(database, keys, nowMs, { maxFailures: auth.loginMaxFailures, baseS: auth.loginLockoutBaseS, maxS: auth.loginLockoutMaxS });
    throw new UnauthorizedError("wrong username or password", { details: { reason: "bad-credentials" } });
  }
  await clearLoginFailures(database, keys[0] as string);
  if (needsRehash(user.passwordHash, auth.pbkdf2Iterations)) {
    await updateUser(database, user.id, { passwordHash: await hashPassword(password, auth.pbkdf2Iterations) }, nowMs);
  }
  const { tokens, refresh } = await issueTokens(c, { id: user.id, username: user.username, role: user.role });
  await insertRefreshToken(database, { ...refresh, userId: user.id, familyId: refresh.id, createdAtMs: nowMs });
  return tokens;
}

/** Rotates a refresh token. Re-use of a rotated token revokes its whole family. */
export async function refresh(c: Context<AppEnv>, refreshToken: string): Promise<IssuedTokens> {
  const database = db(c.env);
  const nowMs = Date.now();
  const row = await findRefreshToken(database, await hashToken(refreshToken));
  if (!row) throw new UnauthorizedError("unknown refresh token", { details: { reason: "unknown" } });
  if (row.revokedAtMs !== null) throw new UnauthorizedError("refresh token revoked", { details: { reason: "revoked" } });
  if (row.rotatedAtMs !== null) {
    await revokeFamily(database, row.familyId, "reuse-detected", nowMs);
    c.get("log").warn("refresh token re-used: family revoked", { userId: row.userId, familyId: row.familyId });
    throw new UnauthorizedError("refresh token already used; all sessions of this login are revoked", { details: { reason: "reuse-detected" } });
  }
  if (row.expiresAtMs <= nowMs) throw new UnauthorizedError("refresh token expired", { details: { reason: "expired" } });
  const user = await findUserById(database, row.userId);
  if (!user || user.disabledAtMs !== null) throw new UnauthorizedError("user disabled", { details: { reason: "revoked" } });
  const { tokens, refresh: next } = await issueTokens(c, { id: user.id, username: user.username, role: user.role });
  const rotated = await rotateRefreshToken(database, row.id, { ...next, userId: user.id, familyId: row.familyId, createdAtMs: nowMs }, nowMs);
  if (!rotated) {
    await revokeFamily(database, row.familyId, "reuse-detected", nowMs);
    throw new UnauthorizedError("refresh token already used; all sessions of this login are revoked", { details: { reason: "reuse-detected" } });
  }
  return tokens;
}

/** Revokes the caller's access token and, when given, the refresh token's family. */
export async function logout(c: Context<AppEnv>, access: { jti: string; expiresAtMs: number } | undefined, refreshToken: string | undefined): Promise<void> {
  const database = db(c.env);
  const nowMs = Date.now();
  if (access) {
    await revokeAccessToken(database, access.jti, access.expiresAtMs);
    markTokenRevoked(access.jti, Math.max(0, access.expiresAtMs - nowMs), nowMs);
  }
  if (refreshToken !== undefined) {
    const row = await findRefreshToken(database, await hashToken(refreshToken));
    if (row) await revokeFamily(database, row.familyId, "logout", nowMs);
  }
}

/** A random token for the double-submit CSRF cookie. */
export function newCsrfToken(): string {
  return randomBase64Url(24);
}
