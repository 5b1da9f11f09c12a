/** Every route the app serves (read from the app, not listed here) refuses missing, stale, forged, revoked and too weak credentials. */
import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { generateApiKey } from "../../workers/auth/api-keys.js";
import { API_KEY_SCOPES, ROLES, type Requirement, type Role } from "../../workers/auth/roles.js";
import { parseSigningKeys, signAccessToken } from "../../workers/auth/tokens.js";
import { createApp } from "../../workers/app.js";
import { DECLARED_ACCESS, type Access } from "../../workers/http/access.js";
import { platformOf } from "../../workers/platform.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { bearer, call, loginAs, postJson, type As } from "./http.js";

beforeEach(freshState);

/** One endpoint of the app: method and OpenAPI-style path ("/api/v1/users/{id}"), the key DECLARED_ACCESS uses. */
interface AppRoute {
  readonly method: string;
  readonly path: string;
  readonly key: string;
  /** Declares a 101 response: the request must ask for a WebSocket upgrade. */
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
const PUBLIC_ROUTES = ROUTES.filter((r) => accessOf(r)?.kind === "public");
const PRINCIPAL_ROUTES = ROUTES.filter((r) => accessOf(r)?.kind === "principal");
const METRICS_ROUTES = ROUTES.filter((r) => accessOf(r)?.kind === "metrics-token");
const PROTECTED_ROUTES = [...PRINCIPAL_ROUTES, ...METRICS_ROUTES];
const ROLE_ROUTES = PRINCIPAL_ROUTES.filter((r) => requirementOf(r).role !== ROLES[0]);
const SCOPE_ROUTES = PRINCIPAL_ROUTES.filter((r) => requirementOf(r).scope !== undefined);

/** Plausible values for path parameters; the access check runs before they are validated. */
const PARAM_VALUES: Record<string, () => string> = { symbol: () => "XAUUSD", id: () => crypto.randomUUID() };
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

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

/** Asserts the refusal: status, envelope with the code and the request id, and (when given) details.reason. */
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

/** Asserts the credential passed the access check: whatever the handler said, it was not a 401 or 403. */
async function expectAdmitted(route: AppRoute, as: As, what: string): Promise<void> {
  const answer = await send(route, as);
  expect([401, 403], `${route.key} refused ${what} with ${answer.status}: ${answer.text}`).not.toContain(answer.status);
}

// --- credentials ------------------------------------------------------------------------------------------------

const TEST_KEY = `${TEST_SECRETS.kid}:${TEST_SECRETS.jwtSecret}`;
const PASSWORD = "a-long-enough-test-password";
const authConfig = () => platformOf(env).config.auth;
const nowS = () => Math.floor(Date.now() / 1000);
const apiKeyHeader = (key: string): As => ({ headers: { "x-api-key": key } });

/** A token the Worker's own key signed, with the issuer and audience it expects. */
async function signedToken(keySpec: string, role: Role, atS: number, ttlS = 900): Promise<string> {
  const { issuer, audience } = authConfig();
  return (await signAccessToken(parseSigningKeys(keySpec), { userId: crypto.randomUUID(), role }, { issuer, audience, ttlS, nowS: atS })).token;
}

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(part ?? ""))) as Record<string, unknown>;
}

const encodePart = (value: unknown): string => base64url.encode(JSON.stringify(value));

/** A real token with one claim changed (the role upgraded to admin) and the original signature kept. */
function withRoleUpgraded(token: string): string {
  const [header, payload, signature] = token.split(".");
  const claims = decodePart(payload);
  expect(claims["role"]).not.toBe("admin");
  return [header, encodePart({ ...claims, role: "admin" }), signature].join(".");
}

/** The same claims under `alg: none`, without a signature. */
function unsigned(token: string): string {
  const [header, payload] = token.split(".");
  return [encodePart({ ...decodePart(header), alg: "none" }), payload, ""].join(".");
}

async function adminToken(): Promise<string> {
  return (await loginAs()).access_token;
}

/** Creates a user with `role` through the API (as the admin) and logs in as them. */
async function userToken(role: Role, admin?: string): Promise<{ token: string; userId: string }> {
  const username = `${role}-${crypto.randomUUID().slice(0, 8)}`;
  const created = await postJson("/api/v1/users", { username, password: PASSWORD, role }, bearer(admin ?? (await adminToken())));
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  return { token: (await loginAs(username, PASSWORD)).access_token, userId: id };
}

/** Bad bearer credentials and why the Worker must refuse them (details.reason on principal routes). */
const BAD_CREDENTIALS: { name: string; reason: string; make: () => Promise<As> }[] = [
  { name: "an expired access token", reason: "expired", make: async () => bearer(await signedToken(TEST_KEY, "admin", nowS() - 7_200)) },
  { name: "a real token with its role claim upgraded", reason: "bad-signature", make: async () => bearer(withRoleUpgraded((await userToken("viewer")).token)) },
  { name: "a token signed with a wrong secret", reason: "bad-signature", make: async () => bearer(await signedToken(`${TEST_SECRETS.kid}:a-wrong-secret-of-enough-bytes-0123456789`, "admin", nowS())) },
  { name: "a token under an unknown kid", reason: "unknown-key", make: async () => bearer(await signedToken(`unknown-kid:${TEST_SECRETS.jwtSecret}`, "admin", nowS())) },
  { name: "an alg: none token", reason: "bad-algorithm", make: async () => bearer(unsigned(await signedToken(TEST_KEY, "admin", nowS()))) },
  { name: "a token that is not a JWT", reason: "malformed", make: async () => bearer("not-a-jwt") },
  { name: "a well-formed API key that was never issued", reason: "bad-key", make: async () => bearer((await generateApiKey()).key) },
  { name: "a malformed API key in X-API-Key", reason: "malformed", make: async () => apiKeyHeader("ak_short") },
];

// --- the table --------------------------------------------------------------------------------------------------

describe("route table", () => {
  it("has routes of every access kind", () => {
    expect(PUBLIC_ROUTES.length).toBeGreaterThan(0);
    expect(PRINCIPAL_ROUTES.length).toBeGreaterThan(0);
    expect(METRICS_ROUTES.length).toBeGreaterThan(0);
  });

  it.each(ROUTES)("$key declares who may call it", (route) => {
    expect(accessOf(route), `${route.key} has no declared access: define it with route(access, config)`).toBeDefined();
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
    const withBadToken = await send(route, bearer("not-a-jwt"));
    expect([withBadToken.status, withBadToken.body?.error?.code]).toEqual([anonymous.status, anonymous.body?.error?.code]);
  });
});

describe.each(BAD_CREDENTIALS)("$name", ({ reason, make }) => {
  it.each(PROTECTED_ROUTES)(`$key → 401`, async (route) => {
    const isPrincipalRoute = accessOf(route)?.kind === "principal";
    await expectRefused(route, await make(), 401, isPrincipalRoute ? reason : undefined);
  });
});

describe("revoked credentials", () => {
  it.each(PRINCIPAL_ROUTES)("$key → 401 for an access token after logout", async (route) => {
    const token = await adminToken();
    const logout = await call("/auth/logout", { method: "POST" }, bearer(token));
    expect(logout.status).toBe(204);
    await expectRefused(route, bearer(token), 401, "revoked");
  });

  it.each(PRINCIPAL_ROUTES)("$key → 401 for a revoked API key (used before: no stale cache)", async (route) => {
    const { key, id } = await createApiKey("admin", [...API_KEY_SCOPES]);
    await expectAdmitted(route, apiKeyHeader(key), "the key before revocation");
    const revoked = await call(`/api/v1/api-keys/${id}`, { method: "DELETE" }, bearer(await adminToken()));
    expect(revoked.status).toBe(200);
    await expectRefused(route, apiKeyHeader(key), 401, "revoked");
    await expectRefused(route, bearer(key), 401, "revoked");
  });

  it.each(PRINCIPAL_ROUTES)("$key → 401 for the token of a user disabled since", async (route) => {
    const admin = await adminToken();
    const { token, userId } = await userToken("admin", admin);
    await expectAdmitted(route, bearer(token), "the user before disabling");
    const disabled = await call(`/api/v1/users/${userId}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ disabled: true }) }, bearer(admin));
    expect(disabled.status).toBe(200);
    await expectRefused(route, bearer(token), 401, "revoked");
  });
});

describe("under-privileged credentials", () => {
  it.each(ROLE_ROUTES)("$key → 403 FORBIDDEN for every lower role (user token and API key)", async (route) => {
    const { role } = requirementOf(route);
    const admin = await adminToken();
    for (const lower of ROLES.slice(0, ROLES.indexOf(role))) {
      const user = await userToken(lower, admin);
      const key = await createApiKey(lower, [...API_KEY_SCOPES]);
      for (const as of [bearer(user.token), apiKeyHeader(key.key)]) {
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
    const admin = await adminToken();
    const { key } = await createApiKey("admin", [...API_KEY_SCOPES]);
    for (const as of [bearer(admin), bearer(key), apiKeyHeader(key), bearer(`${TEST_SECRETS.metricsToken}x`)]) await expectRefused(route, as, 401);
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
  it.each(PRINCIPAL_ROUTES)("$key admits an API key with exactly its role and scope, and a user of that role", async (route) => {
    const { role, scope } = requirementOf(route);
    const { key } = await createApiKey(role, scope === undefined ? ["read"] : [scope]);
    await expectAdmitted(route, apiKeyHeader(key), `a ${role} API key`);
    await expectAdmitted(route, bearer(key), `a ${role} API key as Bearer`);
    const token = role === "admin" ? await adminToken() : (await userToken(role)).token;
    await expectAdmitted(route, bearer(token), `a ${role} user`);
  });

  it.each(METRICS_ROUTES)("$key admits the metrics token", async (route) => {
    expect((await send(route, bearer(TEST_SECRETS.metricsToken))).status).toBe(200);
  });
});
