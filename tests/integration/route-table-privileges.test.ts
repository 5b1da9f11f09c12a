/** Every route refuses revoked, stale-cookie, under-privileged and metrics-token credentials, and admits exactly sufficient ones. */
import { beforeAll, describe, expect, it } from "vitest";
import { API_KEY_SCOPES, ROLES } from "../../workers/auth/roles.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { createApiKey, freshDatabase } from "./fresh-state.js";
import { bearer, call, loginAs, postJson } from "./http.js";
import { adminApiKey, apiKeyHeader, cookie, expectAdmitted, expectRefused, isPrincipalRoute, loggedInUser, METRICS_ROUTES, nowS, PRINCIPAL_ROUTES, PROTECTED_ROUTES, requirementOf, ROLE_ROUTES, SCOPE_ROUTES, send, signedToken, STATE_CHANGING, storedUser } from "./route-table-support.js";

// One database for the file: every case makes its own users and keys, so nothing one case does reaches another.
beforeAll(freshDatabase);

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
