/** Access tokens: key parsing and rotation, every rejection reason (with hand-crafted tokens), and refresh-token hashing. */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, UnauthorizedError } from "../../../core/errors/app-error.js";
import {
  hashToken,
  newRefreshToken,
  parseSigningKeys,
  signAccessToken,
  verifyAccessToken,
  type AccessTokenRejection,
  type SigningKeys,
} from "../../../workers/auth/tokens.js";

const SECRET_A = "a".repeat(32);
const SECRET_B = "b-secret-with:colon-and-more-than-32-bytes";
const KEYS = parseSigningKeys(`k1:${SECRET_A}`);
const ISSUER = "https://aurum.test";
const AUDIENCE = "aurum-api";
const NOW_S = 1_750_000_000;
const TTL_S = 900;
const VERIFY = { issuer: ISSUER, audience: AUDIENCE, nowS: NOW_S };

function b64url(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** A compact JWS built by hand; `secret` null leaves the signature empty. */
function craft(header: Record<string, unknown>, payload: unknown, secret: string | null, hmac = "sha256"): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const signature = secret === null ? "" : createHmac(hmac, secret).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, sub: "u1", role: "trader", jti: "j1", iat: NOW_S, exp: NOW_S + TTL_S, ...overrides };
}

const HEADER = { alg: "HS256", typ: "at+jwt", kid: "k1" };

async function issue(keys: SigningKeys = KEYS, nowS = NOW_S) {
  return signAccessToken(keys, { userId: "u1", username: "ana", role: "trader" }, { issuer: ISSUER, audience: AUDIENCE, ttlS: TTL_S, nowS });
}

async function rejectionOf(promise: Promise<unknown>): Promise<UnauthorizedError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof UnauthorizedError) return error;
    throw error;
  }
  throw new Error("the token was accepted");
}

async function expectReason(promise: Promise<unknown>, reason: AccessTokenRejection): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error.status).toBe(401);
  expect(error.message).toBe("invalid access token");
  expect(error.details).toEqual({ reason });
}

describe("parseSigningKeys", () => {
  it("reads one or more kid:secret pairs; the first signs", () => {
    const keys = parseSigningKeys(` new:${SECRET_B} , old:${SECRET_A}`);
    expect(keys.current.kid).toBe("new");
    expect(new TextDecoder().decode(keys.current.secret)).toBe(SECRET_B);
    expect([...keys.byKid.keys()]).toEqual(["new", "old"]);
    expect(new TextDecoder().decode(keys.byKid.get("old")?.secret)).toBe(SECRET_A);
  });

  it.each([
    ["an empty spec", ""],
    ["a missing kid", `:${SECRET_A}`],
    ["no colon", SECRET_A],
    ["a bad kid", `k 1:${SECRET_A}`],
    ["a duplicate kid", `k1:${SECRET_A},k1:${SECRET_B}`],
    ["a 31-byte secret", `k1:${"s".repeat(31)}`],
    ["an empty entry", `k1:${SECRET_A},`],
  ])("refuses %s with ConfigError", (_name, spec) => {
    expect(() => parseSigningKeys(spec)).toThrow(ConfigError);
  });

  it("counts secret length in UTF-8 bytes and never echoes the secret", () => {
    expect(parseSigningKeys(`k1:${"\u00e9".repeat(16)}`).current.secret).toHaveLength(32);
    const short = "short-secret-value";
    try {
      parseSigningKeys(`k9:${short}`);
      throw new Error("accepted a short secret");
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(JSON.stringify({ message: (error as ConfigError).message, details: (error as ConfigError).details })).not.toContain(short);
      expect((error as ConfigError).details).toEqual({ kid: "k9" });
    }
  });
});

describe("signAccessToken / verifyAccessToken", () => {
  it("round-trips the claims with the documented header and payload", async () => {
    const { token, jti, expiresAtS } = await issue();
    expect(expiresAtS).toBe(NOW_S + TTL_S);
    const [header, payload] = token.split(".").slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown);
    expect(header).toEqual({ alg: "HS256", typ: "at+jwt", kid: "k1" });
    expect(payload).toEqual({ iss: ISSUER, aud: AUDIENCE, sub: "u1", role: "trader", preferred_username: "ana", jti, iat: NOW_S, exp: NOW_S + TTL_S });
    expect(await verifyAccessToken(KEYS, token, VERIFY)).toEqual({
      userId: "u1",
      username: "ana",
      role: "trader",
      jti,
      issuedAtS: NOW_S,
      expiresAtS: NOW_S + TTL_S,
      kid: "k1",
    });
  });

  it("signs exactly what Node's HMAC-SHA256 computes", async () => {
    const { token } = await issue();
    const [h = "", p = "", s = ""] = token.split(".");
    expect(s).toBe(createHmac("sha256", SECRET_A).update(`${h}.${p}`).digest("base64url"));
  });

  it("omits the username when none is given and uses a fresh random jti", async () => {
    const options = { issuer: ISSUER, audience: AUDIENCE, ttlS: 60, nowS: NOW_S + 0.9 };
    const first = await signAccessToken(KEYS, { userId: "u2", role: "admin" }, options);
    const second = await signAccessToken(KEYS, { userId: "u2", role: "admin" }, options);
    expect(first.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.jti).not.toBe(second.jti);
    expect(first.expiresAtS).toBe(NOW_S + 60);
    const verified = await verifyAccessToken(KEYS, first.token, VERIFY);
    expect(verified).not.toHaveProperty("username");
    expect(verified).toMatchObject({ userId: "u2", role: "admin", issuedAtS: NOW_S });
  });

  it("refuses a ttlS that is not a positive integer", async () => {
    for (const ttlS of [0, -60, 1.5, Number.NaN]) {
      await expect(signAccessToken(KEYS, { userId: "u1", role: "viewer" }, { issuer: ISSUER, audience: AUDIENCE, ttlS, nowS: NOW_S })).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it("accepts a hand-crafted token with the right key and claims (control for the cases below)", async () => {
    await expect(verifyAccessToken(KEYS, craft(HEADER, claims(), SECRET_A), VERIFY)).resolves.toMatchObject({ userId: "u1", role: "trader", jti: "j1" });
  });
});

describe("verifyAccessToken rejection reasons", () => {
  it("malformed: not a JWS, broken JSON, wrong typ, missing or invalid claims", async () => {
    const signedGarbage = (() => {
      const input = `${b64url(HEADER)}.${b64url("not json")}`;
      return `${input}.${createHmac("sha256", SECRET_A).update(input).digest("base64url")}`;
    })();
    const tokens = [
      "",
      "not-a-jwt",
      "a.b",
      `${(await issue()).token.slice(0, -2)}`,
      `${b64url("{oops")}.${b64url(claims())}.sig`,
      signedGarbage,
      craft({ ...HEADER, typ: "JWT" }, claims(), SECRET_A),
      craft({ alg: "HS256", kid: "k1" }, claims(), SECRET_A),
      craft(HEADER, claims({ role: "superuser" }), SECRET_A),
      craft(HEADER, claims({ role: undefined }), SECRET_A),
      craft(HEADER, claims({ sub: undefined }), SECRET_A),
      craft(HEADER, claims({ jti: undefined }), SECRET_A),
      craft(HEADER, claims({ exp: undefined }), SECRET_A),
      craft(HEADER, claims({ iat: "yesterday" }), SECRET_A),
      craft(HEADER, claims({ iss: undefined }), SECRET_A),
      craft({ ...HEADER, crit: ["exp"], exp: 1 }, claims(), SECRET_A),
    ];
    for (const [index, token] of tokens.entries()) {
      const error = await rejectionOf(verifyAccessToken(KEYS, token, VERIFY));
      expect(error.details, `token #${index}`).toEqual({ reason: "malformed" });
    }
  });

  it("bad-algorithm: alg none (with or without a kid), HS512 with the right secret, RS256", async () => {
    await expectReason(verifyAccessToken(KEYS, craft({ ...HEADER, alg: "none" }, claims(), null), VERIFY), "bad-algorithm");
    await expectReason(verifyAccessToken(KEYS, craft({ ...HEADER, alg: "None" }, claims(), null), VERIFY), "bad-algorithm");
    await expectReason(verifyAccessToken(KEYS, craft({ alg: "none" }, claims(), null), VERIFY), "bad-algorithm");
    await expectReason(verifyAccessToken(KEYS, craft({ ...HEADER, alg: "HS512" }, claims(), SECRET_A, "sha512"), VERIFY), "bad-algorithm");
    await expectReason(verifyAccessToken(KEYS, craft({ ...HEADER, alg: "RS256" }, claims(), SECRET_A), VERIFY), "bad-algorithm");
  });

  it("unknown-key: a kid that is not listed, or none", async () => {
    await expectReason(verifyAccessToken(KEYS, craft({ ...HEADER, kid: "k2" }, claims(), SECRET_A), VERIFY), "unknown-key");
    await expectReason(verifyAccessToken(KEYS, craft({ alg: "HS256", typ: "at+jwt" }, claims(), SECRET_A), VERIFY), "unknown-key");
    await expectReason(verifyAccessToken(KEYS, craft({ ...HEADER, kid: 1 }, claims(), SECRET_A), VERIFY), "unknown-key");
  });

  it("bad-signature: another secret, a tampered payload, a tampered header, a changed or missing signature", async () => {
    await expectReason(verifyAccessToken(KEYS, craft(HEADER, claims(), "z".repeat(32)), VERIFY), "bad-signature");
    const { token } = await issue();
    const [header = "", , signature = ""] = token.split(".");
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
    const elevated = `${header}.${b64url({ ...payload, role: "admin" })}.${signature}`;
    await expectReason(verifyAccessToken(KEYS, elevated, VERIFY), "bad-signature");
    const reHeadered = `${b64url({ ...HEADER, extra: 1 })}.${token.split(".")[1] ?? ""}.${signature}`;
    await expectReason(verifyAccessToken(KEYS, reHeadered, VERIFY), "bad-signature");
    const flipped = signature.startsWith("A") ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    await expectReason(verifyAccessToken(KEYS, `${header}.${token.split(".")[1] ?? ""}.${flipped}`, VERIFY), "bad-signature");
    await expectReason(verifyAccessToken(KEYS, `${header}.${token.split(".")[1] ?? ""}.`, VERIFY), "bad-signature");
  });

  it("expired: at exp and after it, but not one second before; tolerance extends it", async () => {
    const { token, expiresAtS } = await issue();
    await expect(verifyAccessToken(KEYS, token, { ...VERIFY, nowS: expiresAtS - 1 })).resolves.toMatchObject({ userId: "u1" });
    await expectReason(verifyAccessToken(KEYS, token, { ...VERIFY, nowS: expiresAtS }), "expired");
    await expectReason(verifyAccessToken(KEYS, token, { ...VERIFY, nowS: expiresAtS + 86_400 }), "expired");
    await expect(verifyAccessToken(KEYS, token, { ...VERIFY, nowS: expiresAtS + 29, clockToleranceS: 30 })).resolves.toMatchObject({ userId: "u1" });
    await expectReason(verifyAccessToken(KEYS, token, { ...VERIFY, nowS: expiresAtS + 30, clockToleranceS: 30 }), "expired");
  });

  it("not-yet-valid: issued in the future or nbf ahead, beyond the tolerance", async () => {
    const { token } = await issue(KEYS, NOW_S + 60);
    await expectReason(verifyAccessToken(KEYS, token, VERIFY), "not-yet-valid");
    await expectReason(verifyAccessToken(KEYS, token, { ...VERIFY, clockToleranceS: 59 }), "not-yet-valid");
    await expect(verifyAccessToken(KEYS, token, { ...VERIFY, clockToleranceS: 60 })).resolves.toMatchObject({ issuedAtS: NOW_S + 60 });
    await expectReason(verifyAccessToken(KEYS, craft(HEADER, claims({ nbf: NOW_S + 10 }), SECRET_A), VERIFY), "not-yet-valid");
    await expect(verifyAccessToken(KEYS, craft(HEADER, claims({ nbf: NOW_S }), SECRET_A), VERIFY)).resolves.toMatchObject({ jti: "j1" });
  });

  it("wrong-issuer and wrong-audience, without echoing the expected values", async () => {
    const { token } = await issue();
    const issuerError = await rejectionOf(verifyAccessToken(KEYS, token, { ...VERIFY, issuer: "https://other.test" }));
    expect(issuerError.details).toEqual({ reason: "wrong-issuer" });
    const audienceError = await rejectionOf(verifyAccessToken(KEYS, token, { ...VERIFY, audience: "other-api" }));
    expect(audienceError.details).toEqual({ reason: "wrong-audience" });
    for (const error of [issuerError, audienceError]) {
      const exposed = JSON.stringify({ message: error.message, details: error.details });
      expect(exposed).not.toContain("other");
      expect(exposed).not.toContain("aurum");
    }
    await expectReason(verifyAccessToken(KEYS, craft(HEADER, claims({ aud: ["x", "y"] }), SECRET_A), VERIFY), "wrong-audience");
    await expect(verifyAccessToken(KEYS, craft(HEADER, claims({ aud: ["x", AUDIENCE] }), SECRET_A), VERIFY)).resolves.toMatchObject({ userId: "u1" });
  });
});

describe("key rotation", () => {
  it("keeps accepting tokens of an old kid while it is listed, and refuses them once it is removed", async () => {
    const before = parseSigningKeys(`old:${SECRET_A}`);
    const during = parseSigningKeys(`new:${SECRET_B},old:${SECRET_A}`);
    const after = parseSigningKeys(`new:${SECRET_B}`);
    const oldToken = (await issue(before)).token;
    const newToken = (await issue(during)).token;
    expect(JSON.parse(Buffer.from(newToken.split(".")[0] ?? "", "base64url").toString("utf8"))).toMatchObject({ kid: "new" });
    await expect(verifyAccessToken(during, oldToken, VERIFY)).resolves.toMatchObject({ kid: "old" });
    await expect(verifyAccessToken(during, newToken, VERIFY)).resolves.toMatchObject({ kid: "new" });
    await expect(verifyAccessToken(after, newToken, VERIFY)).resolves.toMatchObject({ kid: "new" });
    await expectReason(verifyAccessToken(after, oldToken, VERIFY), "unknown-key");
  });

  it("checks the signature with the key the kid names, not any listed key", async () => {
    const during = parseSigningKeys(`new:${SECRET_B},old:${SECRET_A}`);
    await expectReason(verifyAccessToken(during, craft({ ...HEADER, kid: "old" }, claims(), SECRET_B), VERIFY), "bad-signature");
  });
});

describe("refresh tokens", () => {
  it("are 32 random bytes in base64url, hashed with SHA-256", async () => {
    const { token, tokenHash } = await newRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(tokenHash).toBe(createHash("sha256").update(token).digest("base64url"));
    expect(await hashToken(token)).toBe(tokenHash);
    const other = await newRefreshToken();
    expect(other.token).not.toBe(token);
    expect(other.tokenHash).not.toBe(tokenHash);
  });

  it("hashes to the SHA-256 test vector", async () => {
    expect(await hashToken("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  });
});
