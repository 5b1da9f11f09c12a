/** Every route the app serves (read from the app, not listed here) refuses missing, stale, forged, revoked and too weak credentials. */
import { env } from "cloudflare:workers";
import { base64url, SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { generateApiKey } from "../../workers/auth/api-keys.js";
import { API_KEY_SCOPES, ROLES, type Requirement, type Role } from "../../workers/auth/roles.js";
import { parseSigningKeys, signAccessToken } from "../../workers/auth/tokens.js";
import { createApp } from "../../workers/app.js";
import { db } from "../../workers/db/client.js";
import { insertUser } from "../../workers/db/users.js";
import { DECLARED_ACCESS, type Access } from "../../workers/http/access.js";
import { platformOf } from "../../workers/platform.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { createApiKey, freshDatabase } from "./fresh-state.js";
import { bearer, call, loginAs, postJson, type As } from "./http.js";

// Only credentials and refusals: no Durable Object state carries between these tests.
beforeEach(freshDatabase);

// --- the app's routes -------------------------------------------------------------------------------------------

/** One endpoint of the app: method and OpenAPI-style path ("/api/v1/users/{id}"), the key DECLARED_ACCESS uses. */
interface AppRoute {
  readonly method: string;
  readonly path: string;
  readonly key: string;
  /** Documents a 101 answer: the request must ask for a WebSocket upgrade. */
  readonly upgrade: boolean;
}

/** The app's real endpoints: Hono's route table without the `use("*")` middleware entries, one per method and path. */
function appRoutes(): AppRoute[] {
  const app = createApp();
  const upgrades = new Set(
    app.openAPIRegistry.definitions.flatMap((def) => (def.type === "route" && "101" in def.route.responses ? [`${def.route.method.toUpperCase()} ${def.route.path}`] : [])),
  );
  const routes = new Map<string, AppRoute>();
  for (const { method, path } of app.routes) {
    if (method === "ALL" && (path === "*" || path === "/*")) continue;
    const openApiPath = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
    const key = `${method} ${openApiPath}`;
    if (!routes.has(key)) routes.set(key, { method, path: openApiPath, key, upgrade: upgrades.has(key) });
  }
  return [...routes.values()];
}

const ROUTES = appRoutes();
const accessOf = (route: AppRoute): Access | undefined => DECLARED_ACCESS.get(route.key);
const requirementOf = (route: AppRoute): Requirement => {
  const access = accessOf(route);
  if (access?.kind !== "principal") throw new Error(`${route.key} is not a principal route`);
  return access.requirement;
};
const isPrincipalRoute = (route: AppRoute): boolean => accessOf(route)?.kind === "principal";
const PUBLIC_ROUTES = ROUTES.filter((r) => accessOf(r)?.kind === "public");
const PRINCIPAL_ROUTES = ROUTES.filter(isPrincipalRoute);
const METRICS_ROUTES = ROUTES.filter((r) => accessOf(r)?.kind === "metrics-token");
const PROTECTED_ROUTES = [...PRINCIPAL_ROUTES, ...METRICS_ROUTES];
const ROLE_ROUTES = PRINCIPAL_ROUTES.filter((r) => requirementOf(r).role !== ROLES[0]);
const SCOPE_ROUTES = PRINCIPAL_ROUTES.filter((r) => requirementOf(r).scope !== undefined);

// --- requests ---------------------------------------------------------------------------------------------------

/** Plausible values for path parameters; the access check runs before they are validated. */
const PARAM_VALUES: Record<string, () => string> = { symbol: () => "XAUUSD", id: () => crypto.randomUUID() };
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const STATE_CHANGING = new Set([...BODY_METHODS, "DELETE"]);

function urlOf(route: AppRoute): string {
  return route.path.replace(/\{([^}]+)\}/g, (_, name: string) => (PARAM_VALUES[name] ?? (() => "sample1"))());
}

/** A minimal request: any JSON object as body (the access check runs before body validation), the upgrade a stream asks for. */
function requestFor(route: AppRoute): RequestInit {
  const headers: Record<string, string> = route.upgrade ? { upgrade: "websocket" } : {};
  if (!BODY_METHODS.has(route.method)) return { method: route.method, headers };
  return { method: route.method, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ probe: true }) };
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: { ok?: boolean; error?: { code?: string; message?: string; details?: Record<string, unknown>; requestId?: string } } | undefined;
}

async function send(route: AppRoute, as: As): Promise<Answer> {
  const response = await call(urlOf(route), requestFor(route), as);
  const socket = response.webSocket;
  if (socket) {
    socket.accept();
    socket.close(1000, "done");
    return { status: response.status, headers: response.headers, text: "", body: undefined };
  }
  const text = await response.text();
  let body: Answer["body"];
  try {
    body = JSON.parse(text) as Answer["body"];
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** Asserts the refusal: status, the envelope with its code and request id, and (when given) details.reason. */
async function expectRefused(route: AppRoute, as: As, status: 401 | 403, reason?: string): Promise<Answer> {
  const answer = await send(route, as);
  expect(answer.status, `${route.key} answered ${answer.status}: ${answer.text}`).toBe(status);
  expect(answer.body).toMatchObject({
    ok: false,
    error: { code: status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", message: expect.any(String), requestId: answer.headers.get("x-request-id") },
  });
  if (reason !== undefined) expect(answer.body?.error?.details, route.key).toMatchObject({ reason });
  return answer;
}

/** Asserts the credential passed the access check: whatever the handler then said, it was not a 401 or 403. */
async function expectAdmitted(route: AppRoute, as: As, what: string): Promise<void> {
  const answer = await send(route, as);
  expect([401, 403], `${route.key} refused ${what} with ${answer.status}: ${answer.text}`).not.toContain(answer.status);
}

// --- credentials ------------------------------------------------------------------------------------------------

const TEST_KEY = `${TEST_SECRETS.kid}:${TEST_SECRETS.jwtSecret}`;
const PASSWORD = "a-long-enough-test-password";
const nowS = (): number => Math.floor(Date.now() / 1000);
const apiKeyHeader = (key: string): As => ({ headers: { "x-api-key": key } });
const cookie = (value: string): As => ({ headers: { cookie: value } });

/** An access token signed like a login's (signAccessToken), by default with the Worker's key, iss, aud, for now. */
async function signedToken(options: { role?: Role; userId?: string; keySpec?: string; atS?: number; issuer?: string; audience?: string } = {}): Promise<string> {
  const auth = platformOf(env).config.auth;
  const signed = await signAccessToken(
    parseSigningKeys(options.keySpec ?? TEST_KEY),
    { userId: options.userId ?? crypto.randomUUID(), role: options.role ?? "admin" },
    { issuer: options.issuer ?? auth.issuer, audience: options.audience ?? auth.audience, ttlS: 900, nowS: options.atS ?? nowS() },
  );
  return signed.token;
}

/** A JWT like an access token but with a generic `typ` ("JWT"): any other token the same key might sign. */
async function genericJwt(): Promise<string> {
  const { issuer, audience } = platformOf(env).config.auth;
  return new SignJWT({ role: "admin" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: TEST_SECRETS.kid })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(crypto.randomUUID())
    .setJti(crypto.randomUUID())
    .setIssuedAt(nowS())
    .setExpirationTime(nowS() + 900)
    .sign(new TextEncoder().encode(TEST_SECRETS.jwtSecret));
}

const decodePart = (part: string | undefined): Record<string, unknown> => JSON.parse(new TextDecoder().decode(base64url.decode(part ?? ""))) as Record<string, unknown>;
const encodePart = (value: unknown): string => base64url.encode(JSON.stringify(value));

/** A valid viewer token with one claim changed (role upgraded to admin) and the original signature kept. */
async function roleUpgradedToken(): Promise<string> {
  const [header, payload, signature] = (await signedToken({ role: "viewer" })).split(".");
  return [header, encodePart({ ...decodePart(payload), role: "admin" }), signature].join(".");
}

/** The same claims under `alg: none`, without a signature. */
async function unsignedToken(): Promise<string> {
  const [header, payload] = (await signedToken()).split(".");
  return [encodePart({ ...decodePart(header), alg: "none" }), payload, ""].join(".");
}

/** A user stored directly (test set-up) and an access token for them signed with the Worker's key, as a login signs it. */
async function storedUser(role: Role): Promise<{ userId: string; token: string }> {
  const userId = crypto.randomUUID();
  expect(await insertUser(db(env), { id: userId, username: `${role}-${userId.slice(0, 8)}`, passwordHash: "not-for-login", role, nowMs: Date.now() })).toBe(true);
  return { userId, token: await signedToken({ role, userId }) };
}

/** A user created through the API by the admin, then logged in through /auth/login. */
async function loggedInUser(role: Role): Promise<string> {
  if (role === "admin") return (await loginAs()).access_token;
  const username = `${role}-${crypto.randomUUID().slice(0, 8)}`;
  const created = await postJson("/api/v1/users", { username, password: PASSWORD, role }, bearer((await loginAs()).access_token));
  expect(created.status, await created.text()).toBe(201);
  return (await loginAs(username, PASSWORD)).access_token;
}

const adminApiKey = async (): Promise<As> => apiKeyHeader((await createApiKey("admin", [...API_KEY_SCOPES], "admin tool")).key);

/** Bad credentials and the details.reason a principal route must refuse each with. */
const BAD_CREDENTIALS: { name: string; reason: string; make: () => Promise<As> }[] = [
  { name: "an expired access token", reason: "expired", make: async () => bearer(await signedToken({ atS: nowS() - 7_200 })) },
  { name: "a token with its role claim upgraded (signature kept)", reason: "bad-signature", make: async () => bearer(await roleUpgradedToken()) },
  { name: "a token signed with a wrong secret", reason: "bad-signature", make: async () => bearer(await signedToken({ keySpec: `${TEST_SECRETS.kid}:a-wrong-secret-of-enough-bytes-0123456789` })) },
  { name: "a token under an unknown kid", reason: "unknown-key", make: async () => bearer(await signedToken({ keySpec: `unknown-kid:${TEST_SECRETS.jwtSecret}` })) },
  { name: "an alg: none token", reason: "bad-algorithm", make: async () => bearer(await unsignedToken()) },
  { name: "a token for another audience", reason: "wrong-audience", make: async () => bearer(await signedToken({ audience: "someone-else" })) },
  { name: "a token from another issuer", reason: "wrong-issuer", make: async () => bearer(await signedToken({ issuer: "someone-else" })) },
  { name: "a token issued an hour from now", reason: "not-yet-valid", make: async () => bearer(await signedToken({ atS: nowS() + 3_600 })) },
  { name: "a generic JWT (typ JWT, not at+jwt) signed with the same key", reason: "malformed", make: async () => bearer(await genericJwt()) },
  { name: "a valid token of a user that does not exist", reason: "revoked", make: async () => bearer(await signedToken()) },
  { name: "a malformed Authorization header", reason: "malformed", make: async () => ({ authorization: "Token abc" }) },
  { name: "a well-formed API key that was never issued", reason: "bad-key", make: async () => bearer((await generateApiKey()).key) },
  { name: "a malformed API key in X-API-Key", reason: "malformed", make: async () => apiKeyHeader("ak_short") },
];

// --- the table --------------------------------------------------------------------------------------------------

describe("route table", () => {
  it("has routes of every access kind", () => {
    expect([PUBLIC_ROUTES.length, PRINCIPAL_ROUTES.length, METRICS_ROUTES.length]).not.toContain(0);
  });

  it.each(ROUTES)("$key declares who may call it", (route) => {
    expect(accessOf(route), `${route.key} has no declared access: define it with route(access, config)`).toBeDefined();
  });

  it("opens only the intended routes to anonymous callers and the metrics token (an allow-list: a new public route is a decision)", () => {
    expect(PUBLIC_ROUTES.map((r) => r.key).sort()).toEqual(["GET /docs", "GET /health", "GET /openapi.json", "POST /auth/login", "POST /auth/refresh"]);
    expect(METRICS_ROUTES.map((r) => r.key)).toEqual(["GET /metrics"]);
  });

  it("declares access only for routes the app serves", () => {
    const served = new Set(ROUTES.map((r) => r.key));
    expect([...DECLARED_ACCESS.keys()].filter((key) => !served.has(key))).toEqual([]);
  });
});

describe("anonymous", () => {
  it.each(PROTECTED_ROUTES)("$key → 401 UNAUTHORIZED (missing)", async (route) => {
    await expectRefused(route, "anonymous", 401, "missing");
  });

  it.each(PUBLIC_ROUTES)("$key admits anonymous callers, and ignores a bad credential", async (route) => {
    const anonymous = await send(route, "anonymous");
    expect(anonymous.status, anonymous.text).not.toBe(403);
    // /auth/refresh answers 401 for a missing *refresh token* (its own credential); the access check's refusal reads differently.
    if (anonymous.status === 401) expect(anonymous.body?.error?.message).not.toBe("authentication required");
    const withBadToken = await send(route, bearer(await signedToken({ atS: nowS() - 7_200 })));
    expect([withBadToken.status, withBadToken.body?.error?.code]).toEqual([anonymous.status, anonymous.body?.error?.code]);
  });
});

describe.each(BAD_CREDENTIALS)("$name", ({ reason, make }) => {
  it.each(PROTECTED_ROUTES)("$key → 401", async (route) => {
    await expectRefused(route, await make(), 401, isPrincipalRoute(route) ? reason : undefined);
  });
});

describe("revoked credentials", () => {
  it.each(PRINCIPAL_ROUTES)("$key → 401 for an access token after logout", async (route) => {
    const token = (await loginAs()).access_token;
    expect((await call("/auth/logout", { method: "POST" }, bearer(token))).status).toBe(204);
    await expectRefused(route, bearer(token), 401, "revoked");
  });

  it.each(PRINCIPAL_ROUTES)("$key → 401 for an API key revoked after use (no stale cache)", async (route) => {
    const { key, id } = await createApiKey("admin", [...API_KEY_SCOPES]);
    await expectAdmitted(route, bearer(key), "the key before revocation");
    const revoked = await call(`/api/v1/api-keys/${id}`, { method: "DELETE" }, await adminApiKey());
    expect(revoked.status, await revoked.text()).toBe(200);
    await expectRefused(route, apiKeyHeader(key), 401, "revoked");
  });

  it.each(PRINCIPAL_ROUTES)("$key → 401 for the token of a user disabled after use", async (route) => {
    const { token, userId } = await storedUser("admin");
    await expectAdmitted(route, bearer(token), "the user before disabling");
    const init = { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ disabled: true }) };
    const disabled = await call(`/api/v1/users/${userId}`, init, await adminApiKey());
    expect(disabled.status, await disabled.text()).toBe(200);
    await expectRefused(route, bearer(token), 401, "revoked");
  });
});

describe("session cookie", () => {
  it.each(PROTECTED_ROUTES)("$key → 401 for an expired token or an API key in the session cookie", async (route) => {
    const expired = await signedToken({ atS: nowS() - 7_200 });
    const { key } = await createApiKey("admin", [...API_KEY_SCOPES]);
    await expectRefused(route, cookie(`aurum_session=${expired}`), 401, isPrincipalRoute(route) ? "expired" : undefined);
    await expectRefused(route, cookie(`aurum_session=${key}`), 401, isPrincipalRoute(route) ? "malformed" : undefined);
  });

  it.each(PRINCIPAL_ROUTES)("$key admits a cookie session, and wants the CSRF token when it changes state", async (route) => {
    const login = await postJson("/auth/login", { username: TEST_SECRETS.adminUsername, password: TEST_SECRETS.adminPassword, session: "cookie" }, "anonymous");
    expect(login.status).toBe(200);
    const cookies = new Map(login.headers.getSetCookie().map((c) => (c.split(";")[0] ?? "").split("=", 2) as [string, string]));
    const csrf = cookies.get("aurum_csrf") ?? "";
    const sent = `aurum_session=${cookies.get("aurum_session") ?? ""}; aurum_csrf=${csrf}`;
    if (STATE_CHANGING.has(route.method)) {
      const missing = await expectRefused(route, cookie(sent), 403);
      expect(missing.body?.error?.details).toEqual({ reason: "csrf" });
      await expectAdmitted(route, { headers: { cookie: sent, "x-csrf-token": csrf } }, "a cookie session with its CSRF token");
    } else {
      await expectAdmitted(route, cookie(sent), "a cookie session");
    }
  });
});

describe("under-privileged credentials", () => {
  it.each(ROLE_ROUTES)("$key → 403 FORBIDDEN for every lower role (user token and API key)", async (route) => {
    const { role } = requirementOf(route);
    for (const lower of ROLES.slice(0, ROLES.indexOf(role))) {
      const user = await storedUser(lower);
      const { key } = await createApiKey(lower, [...API_KEY_SCOPES]);
      for (const as of [bearer(user.token), apiKeyHeader(key)]) {
        const answer = await expectRefused(route, as, 403);
        expect(answer.body?.error?.details).toMatchObject({ missing: expect.arrayContaining(["role"]), requiredRole: role, actualRole: lower });
      }
    }
  });

  it.each(SCOPE_ROUTES)("$key → 403 FORBIDDEN for an API key of the right role without the scope", async (route) => {
    const { role, scope } = requirementOf(route);
    const { key } = await createApiKey(role, API_KEY_SCOPES.filter((s) => s !== scope));
    const answer = await expectRefused(route, apiKeyHeader(key), 403);
    expect(answer.body?.error?.details).toMatchObject({ missing: ["scope"], requiredScope: scope });
  });
});

describe("metrics token", () => {
  it.each(METRICS_ROUTES)("$key refuses user tokens and API keys, and serves Prometheus text for the metrics token", async (route) => {
    const token = (await loginAs()).access_token;
    const { key } = await createApiKey("admin", [...API_KEY_SCOPES]);
    for (const as of [bearer(token), bearer(key), apiKeyHeader(key), bearer(`${TEST_SECRETS.metricsToken}x`)]) await expectRefused(route, as, 401);
    const answer = await send(route, bearer(TEST_SECRETS.metricsToken));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain/);
    const lines = answer.text.split("\n").filter((line) => line !== "");
    expect(lines.some((line) => line.startsWith("# TYPE "))).toBe(true);
    expect(lines.some((line) => line.startsWith("# HELP "))).toBe(true);
    for (const line of lines.filter((l) => !l.startsWith("#"))) {
      expect(line).toMatch(/^[A-Za-z_:][A-Za-z0-9_:]*(\{[^}]*\})? (-?[0-9.]+(e[-+]?[0-9]+)?|[-+]?Inf|NaN)$/);
    }
  });

  it.each(PRINCIPAL_ROUTES)("$key → 401 for the metrics token (it opens nothing else)", async (route) => {
    await expectRefused(route, bearer(TEST_SECRETS.metricsToken), 401, "malformed");
  });
});

describe("sufficient credentials are admitted", () => {
  it.each(PRINCIPAL_ROUTES)("$key admits an API key with exactly its role and scope, and a logged-in user of that role", async (route) => {
    const { role, scope } = requirementOf(route);
    const { key } = await createApiKey(role, scope === undefined ? ["read"] : [scope]);
    await expectAdmitted(route, apiKeyHeader(key), `a ${role} API key`);
    await expectAdmitted(route, bearer(await loggedInUser(role)), `a ${role} user`);
  });
});
