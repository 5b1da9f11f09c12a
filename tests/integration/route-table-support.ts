/** Shared set-up of the route-table suites: every route of the app, its declared access, requests and credentials. */
import { env } from "cloudflare:workers";
import { base64url, SignJWT } from "jose";
import { expect } from "vitest";
import { generateApiKey } from "../../workers/auth/api-keys.js";
import { API_KEY_SCOPES, ROLES, type Requirement, type Role } from "../../workers/auth/roles.js";
import { parseSigningKeys, signAccessToken } from "../../workers/auth/tokens.js";
import { createApp } from "../../workers/app.js";
import { db } from "../../workers/db/client.js";
import { insertUser } from "../../workers/db/users.js";
import { DECLARED_ACCESS, type Access } from "../../workers/http/access.js";
import { platformOf } from "../../workers/platform.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { createApiKey } from "./fresh-state.js";
import { bearer, call, loginAs, postJson, type As } from "./http.js";

// Only credentials and refusals: no Durable Object state carries between these tests.

// --- the app's routes -------------------------------------------------------------------------------------------

/** One endpoint of the app: method and OpenAPI-style path ("/api/v1/users/{id}"), the key DECLARED_ACCESS uses. */
export interface AppRoute {
  readonly method: string;
  readonly path: string;
  readonly key: string;
  /** Documents a 101 answer: the request must ask for a WebSocket upgrade. */
  readonly upgrade: boolean;
}

/** The app's real endpoints: Hono's route table without the `use("*")` middleware entries, one per method and path. */
export function appRoutes(): AppRoute[] {
  const app = createApp();
  const upgrades = new Set(
    app.openAPIRegistry.definitions.flatMap((def) => (def.type === "route" && "101" in def.route.responses ? [`${def.route.method.toUpperCase()} ${def.route.path}`] : [])),
  );
  const routes = new Map<string, AppRoute>();
  for (const { method, path } of app.routes) {
    if (method === "ALL" && (path === "*" || path === "/*")) continue;
    const openApiPath = path.replace(/:([A-Za-z0-9_]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, "{$1}");
    const key = `${method} ${openApiPath}`;
    if (!routes.has(key)) routes.set(key, { method, path: openApiPath, key, upgrade: upgrades.has(key) });
  }
  return [...routes.values()];
}

export const ROUTES = appRoutes();
export const accessOf = (route: AppRoute): Access | undefined => DECLARED_ACCESS.get(route.key);
export const requirementOf = (route: AppRoute): Requirement => {
  const access = accessOf(route);
  if (access?.kind !== "principal") throw new Error(`${route.key} is not a principal route`);
  return access.requirement;
};
export const isPrincipalRoute = (route: AppRoute): boolean => accessOf(route)?.kind === "principal";
export const PUBLIC_ROUTES = ROUTES.filter((r) => accessOf(r)?.kind === "public");
export const PRINCIPAL_ROUTES = ROUTES.filter(isPrincipalRoute);
export const METRICS_ROUTES = ROUTES.filter((r) => accessOf(r)?.kind === "metrics-token");
export const PROTECTED_ROUTES = [...PRINCIPAL_ROUTES, ...METRICS_ROUTES];
export const ROLE_ROUTES = PRINCIPAL_ROUTES.filter((r) => requirementOf(r).role !== ROLES[0]);
export const SCOPE_ROUTES = PRINCIPAL_ROUTES.filter((r) => requirementOf(r).scope !== undefined);

// --- requests ---------------------------------------------------------------------------------------------------

/** Plausible values for path parameters; the access check runs before they are validated. */
export const PARAM_VALUES: Record<string, () => string> = { symbol: () => "XAUUSD", id: () => crypto.randomUUID() };
export const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
export const STATE_CHANGING = new Set([...BODY_METHODS, "DELETE"]);

export function urlOf(route: AppRoute): string {
  return route.path.replace(/\{([^}]+)\}/g, (_, name: string) => (PARAM_VALUES[name] ?? (() => "sample1"))());
}

/** A minimal request: any JSON object as body (the access check runs before body validation), the upgrade a stream asks for. */
export function requestFor(route: AppRoute): RequestInit {
  const headers: Record<string, string> = route.upgrade ? { upgrade: "websocket" } : {};
  if (!BODY_METHODS.has(route.method)) return { method: route.method, headers };
  return { method: route.method, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ probe: true }) };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: { ok?: boolean; error?: { code?: string; message?: string; details?: Record<string, unknown>; requestId?: string } } | undefined;
}

export async function send(route: AppRoute, as: As): Promise<Answer> {
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
export async function expectRefused(route: AppRoute, as: As, status: 401 | 403, reason?: string): Promise<Answer> {
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
export async function expectAdmitted(route: AppRoute, as: As, what: string): Promise<void> {
  const answer = await send(route, as);
  expect([401, 403], `${route.key} refused ${what} with ${answer.status}: ${answer.text}`).not.toContain(answer.status);
}

// --- credentials ------------------------------------------------------------------------------------------------

export const TEST_KEY = `${TEST_SECRETS.kid}:${TEST_SECRETS.jwtSecret}`;
export const PASSWORD = "a-long-enough-test-password";
export const nowS = (): number => Math.floor(Date.now() / 1000);
export const apiKeyHeader = (key: string): As => ({ headers: { "x-api-key": key } });
export const cookie = (value: string): As => ({ headers: { cookie: value } });

/** An access token signed like a login's (signAccessToken), by default with the Worker's key, iss, aud, for now. */
export async function signedToken(options: { role?: Role; userId?: string; keySpec?: string; atS?: number; issuer?: string; audience?: string } = {}): Promise<string> {
  const auth = platformOf(env).config.auth;
  const signed = await signAccessToken(
    parseSigningKeys(options.keySpec ?? TEST_KEY),
    { userId: options.userId ?? crypto.randomUUID(), role: options.role ?? "admin" },
    { issuer: options.issuer ?? auth.issuer, audience: options.audience ?? auth.audience, ttlS: 900, nowS: options.atS ?? nowS() },
  );
  return signed.token;
}

/** A JWT like an access token but with a generic `typ` ("JWT"): any other token the same key might sign. */
export async function genericJwt(): Promise<string> {
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

export const decodePart = (part: string | undefined): Record<string, unknown> => JSON.parse(new TextDecoder().decode(base64url.decode(part ?? ""))) as Record<string, unknown>;
export const encodePart = (value: unknown): string => base64url.encode(JSON.stringify(value));

/** A valid viewer token with one claim changed (role upgraded to admin) and the original signature kept. */
export async function roleUpgradedToken(): Promise<string> {
  const [header, payload, signature] = (await signedToken({ role: "viewer" })).split(".");
  return [header, encodePart({ ...decodePart(payload), role: "admin" }), signature].join(".");
}

/** The same claims under `alg: none`, without a signature. */
export async function unsignedToken(): Promise<string> {
  const [header, payload] = (await signedToken()).split(".");
  return [encodePart({ ...decodePart(header), alg: "none" }), payload, ""].join(".");
}

/** A user stored directly (test set-up) and an access token for them signed with the Worker's key, as a login signs it. */
export async function storedUser(role: Role): Promise<{ userId: string; token: string }> {
  const userId = crypto.randomUUID();
  expect(await insertUser(db(env), { id: userId, username: `${role}-${userId.slice(0, 8)}`, passwordHash: "not-for-login", role, nowMs: Date.now() })).toBe(true);
  return { userId, token: await signedToken({ role, userId }) };
}

/** A user created through the API by the admin, then logged in through /auth/login. */
export async function loggedInUser(role: Role): Promise<string> {
  if (role === "admin") return (await loginAs()).access_token;
  const username = `${role}-${crypto.randomUUID().slice(0, 8)}`;
  const created = await postJson("/api/v1/users", { username, password: PASSWORD, role }, bearer((await loginAs()).access_token));
  expect(created.status, await created.text()).toBe(201);
  return (await loginAs(username, PASSWORD)).access_token;
}

export const adminApiKey = async (): Promise<As> => apiKeyHeader((await createApiKey("admin", [...API_KEY_SCOPES], "admin tool")).key);

/** Bad credentials and the details.reason a principal route must refuse each with. */
export const BAD_CREDENTIALS: { name: string; reason: string; make: () => Promise<As> }[] = [
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

