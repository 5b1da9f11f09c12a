/** HS256 access tokens (JWT, rotating keys) and opaque refresh tokens of which the server keeps only a hash. */
import { base64url, decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { ConfigError, UnauthorizedError } from "../../core/errors/app-error.js";
import { RoleSchema, type Role } from "./roles.js";

/** The only signing algorithm, signed and accepted. */
export const ACCESS_TOKEN_ALGORITHMS = ["HS256"] as const;
/** The `typ` header of access tokens (RFC 9068), so no other JWT signed with the same key passes as one. */
export const ACCESS_TOKEN_TYPE = "at+jwt";
/** Shortest HS256 secret accepted, in UTF-8 bytes (the HMAC-SHA256 output size). */
export const MIN_SECRET_BYTES = 32;

const KID_FORMAT = /^[A-Za-z0-9._-]{1,64}$/;
const REFRESH_TOKEN_BYTES = 32;
const JTI_BYTES = 16;
const encoder = new TextEncoder();

/** Why an access token was refused, as sent in `details.reason`: says what to do, never what the server expected. */
export type AccessTokenRejection =
  | "malformed"
  | "bad-algorithm"
  | "unknown-key"
  | "bad-signature"
  | "expired"
  | "not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience";

/** One HS256 key. */
export interface SigningKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

/** The keys in rotation: `current` signs; every key in `byKid` (current included) verifies. */
export interface SigningKeys {
  readonly current: SigningKey;
  readonly byKid: ReadonlyMap<string, SigningKey>;
}

/** What a verified access token says. */
export interface AccessTokenClaims {
  readonly userId: string;
  readonly username?: string;
  readonly role: Role;
  readonly jti: string;
  readonly issuedAtS: number;
  readonly expiresAtS: number;
  readonly kid: string;
}

export interface SignAccessTokenOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in seconds, a positive integer. */
  readonly ttlS: number;
  /** Issue time, epoch seconds (fractions are dropped). */
  readonly nowS: number;
}

export interface VerifyAccessTokenOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Verification time, epoch seconds. */
  readonly nowS: number;
  /** Allowed clock skew for exp, nbf and iat, seconds; default 0. */
  readonly clockToleranceS?: number;
}

const PayloadSchema = z.object({
  sub: z.string().min(1),
  role: RoleSchema,
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  preferred_username: z.string().min(1).optional(),
});

/**
 * Reads the key list `kid1:secret1,kid2:secret2` (typically a Worker secret). The first key signs; all verify, so a
 * rotation is: prepend the new key, wait one access-token lifetime, drop the old one. Kids are 1-64 of
 * `[A-Za-z0-9._-]` and unique; each secret (everything after the kid's first ":") must have at least 32 UTF-8 bytes;
 * whitespace around an entry is ignored.
 * Any violation is a ConfigError that names the kid but never the secret.
 * @example const keys = parseSigningKeys(env.JWT_KEYS) // "2025-06:…32+ bytes…,2025-01:…"
 */
export function parseSigningKeys(spec: string): SigningKeys {
  const byKid = new Map<string, SigningKey>();
  const entries = spec.split(",").map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(":");
    const kid = colon < 0 ? "" : entry.slice(0, colon);
    if (!KID_FORMAT.test(kid)) throw new ConfigError("signing key needs a kid of 1-64 [A-Za-z0-9._-] before ':'", { details: { index } });
    if (byKid.has(kid)) throw new ConfigError("signing key ids must be unique", { details: { kid } });
    const secret = encoder.encode(entry.slice(colon + 1));
    if (secret.length < MIN_SECRET_BYTES) throw new ConfigError(`signing key secret must be at least ${MIN_SECRET_BYTES} bytes`, { details: { kid } });
    byKid.set(kid, { kid, secret });
  }
  const current = byKid.values().next().value;
  if (current === undefined) throw new ConfigError("no signing key configured");
  return { current, byKid };
}

/**
 * Signs an access token with the current key: header `{ alg: "HS256", typ: "at+jwt", kid }`, claims iss, aud, sub
 * (user id), role, jti (16 random bytes, base64url), iat = nowS, exp = nowS + ttlS, and `preferred_username` when given.
 * @example const { token, jti, expiresAtS } = await signAccessToken(keys, { userId: "u1", role: "trader" }, { issuer, audience, ttlS: 900, nowS })
 */
export async function signAccessToken(
  keys: SigningKeys,
  subject: { readonly userId: string; readonly username?: string; readonly role: Role },
  options: SignAccessTokenOptions,
): Promise<{ token: string; jti: string; expiresAtS: number }> {
  if (!Number.isInteger(options.ttlS) || options.ttlS <= 0) throw new ConfigError("access token ttlS must be a positive integer", { details: { ttlS: options.ttlS } });
  if (!Number.isFinite(options.nowS)) throw new RangeError("nowS must be a finite number of epoch seconds");
  const issuedAtS = Math.floor(options.nowS);
  const expiresAtS = issuedAtS + options.ttlS;
  const jti = randomBase64Url(JTI_BYTES);
  const token = await new SignJWT({ role: subject.role, ...(subject.username === undefined ? {} : { preferred_username: subject.username }) })
    .setProtectedHeader({ alg: "HS256", typ: ACCESS_TOKEN_TYPE, kid: keys.current.kid })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(subject.userId)
    .setJti(jti)
    .setIssuedAt(issuedAtS)
    .setExpirationTime(expiresAtS)
    .sign(keys.current.secret);
  return { token, jti, expiresAtS };
}

/**
 * Verifies an access token at `nowS` and returns its claims. Accepts only HS256 under a listed kid. Every refusal is an
 * UnauthorizedError "invalid access token" with `details.reason` one of AccessTokenRejection: "malformed" (not a
 * compact JWS, wrong typ, missing or invalid claims), "bad-algorithm" (anything but HS256, `none` included),
 * "unknown-key" (kid absent or not listed), "bad-signature" (wrong key or altered header/payload), "expired"
 * (exp <= nowS - tolerance), "not-yet-valid" (nbf or iat after nowS + tolerance), "wrong-issuer", "wrong-audience".
 * @example const claims = await verifyAccessToken(keys, bearer, { issuer, audience, nowS: Math.floor(Date.now() / 1000) })
 */
export async function verifyAccessToken(keys: SigningKeys, token: string, options: VerifyAccessTokenOptions): Promise<AccessTokenClaims> {
  const toleranceS = options.clockToleranceS ?? 0;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (error: unknown) {
    throw rejection("malformed", error);
  }
  if (header.alg !== "HS256") throw rejection("bad-algorithm");
  const key = typeof header.kid === "string" ? keys.byKid.get(header.kid) : undefined;
  if (key === undefined) throw rejection("unknown-key");
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key.secret, {
      algorithms: [...ACCESS_TOKEN_ALGORITHMS],
      typ: ACCESS_TOKEN_TYPE,
      issuer: options.issuer,
      audience: options.audience,
      requiredClaims: ["sub", "jti", "iat", "exp"],
      currentDate: new Date(options.nowS * 1000),
      clockTolerance: toleranceS,
    }));
  } catch (error: unknown) {
    throw rejection(reasonFor(error), error);
  }
  const claims = PayloadSchema.safeParse(payload);
  if (!claims.success) throw rejection("malformed", claims.error);
  if (claims.data.iat > options.nowS + toleranceS) throw rejection("not-yet-valid");
  const { sub, role, jti, iat, exp, preferred_username: username } = claims.data;
  return { userId: sub, ...(username === undefined ? {} : { username }), role, jti, issuedAtS: iat, expiresAtS: exp, kid: key.kid };
}

/**
 * A new opaque refresh token (32 random bytes, base64url) and its SHA-256 hash. Give the token to the client; store
 * only the hash, and look tokens up by `hashToken(presented)`.
 * @example const { token, tokenHash } = await newRefreshToken()
 */
export async function newRefreshToken(): Promise<{ token: string; tokenHash: string }> {
  const token = randomBase64Url(REFRESH_TOKEN_BYTES);
  return { token, tokenHash: await hashToken(token) };
}

/**
 * SHA-256 of the token's UTF-8 bytes, base64url without padding (43 characters).
 * @example await hashToken("abc") // "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
 */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(token));
  return base64url.encode(new Uint8Array(digest));
}

/**
 * `bytes` random bytes from the platform CSPRNG, base64url without padding.
 * @example randomBase64Url(32).length // 43
 */
export function randomBase64Url(bytes: number): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

function reasonFor(error: unknown): AccessTokenRejection {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad-signature";
  if (error instanceof errors.JOSEAlgNotAllowed) return "bad-algorithm";
  if (error instanceof errors.JWTClaimValidationFailed && error.reason === "check_failed") {
    if (error.claim === "iss") return "wrong-issuer";
    if (error.claim === "aud") return "wrong-audience";
    if (error.claim === "nbf" || error.claim === "iat") return "not-yet-valid";
  }
  return "malformed";
}

function rejection(reason: AccessTokenRejection, cause?: unknown): UnauthorizedError {
  return new UnauthorizedError("invalid access token", { details: { reason }, cause });
}
