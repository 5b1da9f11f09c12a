/** Every route the app serves (read from the app, not listed here) declares its access and refuses missing, forged and malformed credentials. */
import { beforeEach, describe, expect, it } from "vitest";
import { DECLARED_ACCESS } from "../../workers/http/access.js";
import { freshDatabase } from "./fresh-state.js";
import { bearer } from "./http.js";
import { accessOf, BAD_CREDENTIALS, expectRefused, isPrincipalRoute, METRICS_ROUTES, nowS, PRINCIPAL_ROUTES, PROTECTED_ROUTES, PUBLIC_ROUTES, ROUTES, send, signedToken } from "./route-table-support.js";

beforeEach(freshDatabase);

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

