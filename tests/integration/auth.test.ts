/** Sessions and credentials end to end: login, rotation and re-use, logout, lock-out, API keys, CSRF, audit, limits. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { ErrorEnvelope } from "../../core/schemas/common.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { bearer, call, loginAs, postJson } from "./http.js";

beforeEach(freshState);

async function envelope(response: Response, status: number): Promise<ErrorEnvelope["error"]> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorEnvelope;
  expect(body.ok).toBe(false);
  return body.error;
}

async function auditRows(): Promise<{ action: string; outcome: string; status: number; actor_kind: string; actor_name: string | null; target: string | null }[]> {
  return (await env.DB.prepare("SELECT action, outcome, status, actor_kind, actor_name, target FROM audit_log ORDER BY id").all()).results as never;
}

async function createUser(admin: string, username: string, role: "viewer" | "trader" | "admin"): Promise<{ id: string; password: string }> {
  const password = `${username}-password-1234`;
  const response = await postJson("/api/v1/users", { username, password, role }, bearer(admin));
  expect(response.status).toBe(201);
  return { id: ((await response.json()) as { id: string }).id, password };
}

describe("login", () => {
  it("creates the first admin from the secrets and returns bearer tokens", async () => {
    const response = await postJson("/auth/login", { username: "Admin", password: TEST_SECRETS.adminPassword }, "anonymous");
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900, user: { username: "admin", role: "admin" } });
    const me = await call("/api/v1/users", {}, bearer((body as { access_token: string }).access_token));
    expect(me.status).toBe(200);
    expect(await loginAs()).toHaveProperty("access_token"); // idempotent: the admin is not created twice
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>())?.n).toBe(1);
  });

  it("refuses a wrong password with 401 and the same answer for an unknown user", async () => {
    const wrong = await envelope(await postJson("/auth/login", { username: "admin", password: "nope" }, "anonymous"), 401);
    const unknown = await envelope(await postJson("/auth/login", { username: "nobody", password: "nope" }, "anonymous"), 401);
    expect(wrong.message).toBe(unknown.message);
    expect(wrong.details).toEqual({ reason: "bad-credentials" });
  });

  it("locks a user out after repeated failures, for a growing period, then even the right password waits", async () => {
    for (let i = 0; i < 5; i++) await postJson("/auth/login", { username: "admin", password: `wrong-${i}` }, "anonymous");
    const locked = await postJson("/auth/login", { username: "admin", password: TEST_SECRETS.adminPassword }, "anonymous");
    const error = await envelope(locked, 429);
    expect(error).toMatchObject({ code: "RATE_LIMITED", details: { reason: "locked-out" } });
    const firstWaitS = Number(locked.headers.get("retry-after"));
    expect(firstWaitS).toBeGreaterThan(0);
    expect(firstWaitS).toBeLessThanOrEqual(30);
    // Expire the lock by hand and fail once more: the next lock is twice as long.
    await env.DB.prepare("UPDATE login_throttle SET locked_until_ms = 0").run();
    await postJson("/auth/login", { username: "admin", password: "wrong-again" }, "anonymous");
    const again = await postJson("/auth/login", { username: "admin", password: TEST_SECRETS.adminPassword }, "anonymous");
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(30);
  });

  it("answers 400 with field details for a malformed body", async () => {
    const error = await envelope(await postJson("/auth/login", { username: "admin" }, "anonymous"), 400);
    expect(error.details).toEqual([expect.objectContaining({ path: "password" })]);
  });
});

describe("refresh tokens", () => {
  it("rotate: the new pair works, the old refresh token is refused, and re-using it revokes the whole family", async () => {
    const first = await loginAs();
    const second = (await (await postJson("/auth/refresh", { refresh_token: first.refresh_token }, "anonymous")).json()) as { access_token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await call("/api/v1/users", {}, bearer(second.access_token))).status).toBe(200);
    // Re-use of the rotated token (as a thief would): refused, and the live token of the family dies with it.
    const reuse = await envelope(await postJson("/auth/refresh", { refresh_token: first.refresh_token }, "anonymous"), 401);
    expect(reuse.details).toEqual({ reason: "reuse-detected" });
    const afterReuse = await envelope(await postJson("/auth/refresh", { refresh_token: second.refresh_token }, "anonymous"), 401);
    expect(afterReuse.details).toEqual({ reason: "revoked" });
    // Another login is another family and is unaffected.
    const other = await loginAs();
    expect((await postJson("/auth/refresh", { refresh_token: other.refresh_token }, "anonymous")).status).toBe(200);
  });

  it("refuses unknown and expired refresh tokens", async () => {
    expect((await envelope(await postJson("/auth/refresh", { refresh_token: "made-up" }, "anonymous"), 401)).details).toEqual({ reason: "unknown" });
    const { refresh_token } = await loginAs();
    await env.DB.prepare("UPDATE refresh_tokens SET expires_at_ms = 1").run();
    expect((await envelope(await postJson("/auth/refresh", { refresh_token }, "anonymous"), 401)).details).toEqual({ reason: "expired" });
  });
});

describe("logout", () => {
  it("revokes the access token and the refresh token's family", async () => {
    const { access_token, refresh_token } = await loginAs();
    const out = await postJson("/auth/logout", { refresh_token }, bearer(access_token));
    expect(out.status).toBe(204);
    expect((await envelope(await call("/api/v1/users", {}, bearer(access_token)), 401)).details).toEqual({ reason: "revoked" });
    expect((await postJson("/auth/refresh", { refresh_token }, "anonymous")).status).toBe(401);
  });
});

describe("API keys", () => {
  it("are shown once, stored hashed, accepted as Bearer or X-API-Key, and limited to their scopes", async () => {
    const { access_token } = await loginAs();
    const created = await postJson("/api/v1/api-keys", { name: "MT5 bridge", role: "trader", scopes: ["ingest"] }, bearer(access_token));
    expect(created.status).toBe(201);
    const key = (await created.json()) as { key: string; id: string; prefix: string };
    expect(key.key.startsWith(`ak_${key.prefix}_`)).toBe(true);
    const stored = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE id = ?").bind(key.id).first<{ key_hash: string }>();
    expect(stored?.key_hash).not.toContain(key.key.slice(12));
    const listed = (await (await call("/api/v1/api-keys", {}, bearer(access_token))).json()) as { keys: Record<string, unknown>[] };
    expect(listed.keys.find((k) => k.id === key.id)).not.toHaveProperty("key");

    const tick = { symbol: "XAUUSD", ticks: [{ ts: Date.UTC(2026, 2, 24, 14), bid: 2300, ask: 2300.2 }] };
    expect((await postJson("/api/v1/data/ingest", tick, bearer(key.key))).status).toBe(200);
    expect((await postJson("/api/v1/data/ingest", tick, { headers: { "x-api-key": key.key } })).status).toBe(200);
    // The key may ingest but not read.
    const read = await envelope(await call("/api/v1/market/data?symbol=XAUUSD", {}, { headers: { "x-api-key": key.key } }), 403);
    expect(read.details).toMatchObject({ missing: ["scope"], requiredScope: "read" });
  });

  it("stop working when revoked, and record when they were last used", async () => {
    const { access_token } = await loginAs();
    const key = await createApiKey("trader", ["read"]);
    expect((await call("/api/v1/market/data?symbol=XAUUSD", {}, bearer(key.key))).status).toBe(200);
    const revoked = await call(`/api/v1/api-keys/${key.id}`, { method: "DELETE" }, bearer(access_token));
    expect(revoked.status).toBe(200);
    expect((await envelope(await call("/api/v1/market/data?symbol=XAUUSD", {}, bearer(key.key)), 401)).details).toEqual({ reason: "revoked" });
    const row = await env.DB.prepare("SELECT last_used_at_ms FROM api_keys WHERE id = ?").bind(key.id).first<{ last_used_at_ms: number | null }>();
    expect(row?.last_used_at_ms).toBeGreaterThan(0);
  });

  it("refuse malformed and unknown keys alike", async () => {
    expect((await envelope(await call("/api/v1/market/data?symbol=XAUUSD", {}, { headers: { "x-api-key": "not-a-key" } }), 401)).code).toBe("UNAUTHORIZED");
    const forged = "ak_abcdefgh_" + "A".repeat(43);
    expect((await envelope(await call("/api/v1/market/data?symbol=XAUUSD", {}, { headers: { "x-api-key": forged } }), 401)).code).toBe("UNAUTHORIZED");
  });
});

describe("users", () => {
  it("roles apply at once: a demoted user loses access with the same token, a disabled one is refused", async () => {
    const admin = (await loginAs()).access_token;
    const trader = await createUser(admin, "tina", "trader");
    const tina = (await loginAs("tina", trader.password)).access_token;
    const tick = { symbol: "XAUUSD", ticks: [{ ts: Date.UTC(2026, 2, 24, 14), bid: 2300, ask: 2300.2 }] };
    expect((await postJson("/api/v1/data/ingest", tick, bearer(tina))).status).toBe(200);
    const demote = await call(`/api/v1/users/${trader.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ role: "viewer" }) }, bearer(admin));
    expect(demote.status).toBe(200);
    expect((await postJson("/api/v1/data/ingest", tick, bearer(tina))).status).toBe(403);
    await call(`/api/v1/users/${trader.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ disabled: true }) }, bearer(admin));
    expect((await call("/api/v1/market/data?symbol=XAUUSD", {}, bearer(tina))).status).toBe(401);
    expect((await postJson("/auth/login", { username: "tina", password: trader.password }, "anonymous")).status).toBe(401);
  });

  it("refuses duplicate usernames (409), weak passwords (400) and an admin demoting themselves (422)", async () => {
    const admin = await loginAs();
    await createUser(admin.access_token, "vera", "viewer");
    expect((await postJson("/api/v1/users", { username: "VERA", password: "long-enough-password", role: "viewer" }, bearer(admin.access_token))).status).toBe(409);
    expect((await postJson("/api/v1/users", { username: "walt", password: "short", role: "viewer" }, bearer(admin.access_token))).status).toBe(400);
    const users = (await (await call("/api/v1/users", {}, bearer(admin.access_token))).json()) as { users: { id: string; username: string }[] };
    const self = users.users.find((u) => u.username === "admin");
    const demoteSelf = await call(`/api/v1/users/${self?.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ role: "viewer" }) }, bearer(admin.access_token));
    expect((await envelope(demoteSelf, 422)).code).toBe("UNPROCESSABLE");
  });
});

describe("cookie sessions and CSRF", () => {
  it("log in with cookies; state-changing calls need the CSRF token, reads do not", async () => {
    const login = await postJson("/auth/login", { username: "admin", password: TEST_SECRETS.adminPassword, session: "cookie" }, "anonymous");
    const cookies = login.headers.getSetCookie();
    const jar = Object.fromEntries(cookies.map((c) => c.split(";")[0]?.split("=") as [string, string]));
    expect(cookies.find((c) => c.startsWith("aurum_session="))).toMatch(/HttpOnly/i);
    expect(cookies.find((c) => c.startsWith("aurum_session="))).toMatch(/SameSite=Strict/i);
    const cookieHeader = `aurum_session=${jar["aurum_session"]}; aurum_csrf=${jar["aurum_csrf"]}`;
    expect((await call("/api/v1/users", {}, { headers: { cookie: cookieHeader } })).status).toBe(200);
    const body = JSON.stringify({ name: "from the dashboard", role: "viewer", scopes: ["read"] });
    const withoutToken = await call("/api/v1/api-keys", { method: "POST", headers: { "content-type": "application/json" }, body }, { headers: { cookie: cookieHeader } });
    expect((await envelope(withoutToken, 403)).details).toEqual({ reason: "csrf" });
    const wrongToken = await call("/api/v1/api-keys", { method: "POST", headers: { "content-type": "application/json" }, body }, { headers: { cookie: cookieHeader, "x-csrf-token": "guess" } });
    expect(wrongToken.status).toBe(403);
    const withToken = await call("/api/v1/api-keys", { method: "POST", headers: { "content-type": "application/json" }, body }, { headers: { cookie: cookieHeader, "x-csrf-token": jar["aurum_csrf"] ?? "" } });
    expect(withToken.status).toBe(201);
  });
});

describe("audit log", () => {
  it("records every state-changing call with who, what, outcome and address, and is admin-only to read", async () => {
    await postJson("/auth/login", { username: "admin", password: "wrong" }, "anonymous");
    const { access_token } = await loginAs();
    await postJson("/api/v1/api-keys", { name: "k", role: "viewer", scopes: ["read"] }, bearer(access_token));
    await postJson("/api/v1/data/ingest", { symbol: "XAUUSD", ticks: [{ ts: Date.UTC(2026, 2, 24, 14), bid: 2300, ask: 2300.2 }] });
    const rows = await auditRows();
    expect(rows).toEqual([
      { action: "POST /auth/login", outcome: "denied", status: 401, actor_kind: "anonymous", actor_name: "admin", target: null },
      { action: "POST /auth/login", outcome: "success", status: 200, actor_kind: "anonymous", actor_name: "admin", target: expect.stringMatching(/^user:/) },
      { action: "POST /api/v1/api-keys", outcome: "success", status: 201, actor_kind: "user", actor_name: "admin", target: expect.stringMatching(/^api-key:/) },
    ]);
    const page = (await (await call("/api/v1/audit?limit=2", {}, bearer(access_token))).json()) as { entries: { action: string }[]; next: number | null };
    expect(page.entries.map((e) => e.action)).toEqual(["POST /api/v1/api-keys", "POST /auth/login"]);
    expect(page.next).not.toBeNull();
    const rest = (await (await call(`/api/v1/audit?before=${page.next}`, {}, bearer(access_token))).json()) as { entries: unknown[]; next: number | null };
    expect(rest.entries).toHaveLength(1);
    expect(rest.next).toBeNull();
    expect((await call("/api/v1/audit")).status).toBe(403); // the default test key is a trader's
  });
});

describe("rate limits", () => {
  it("answer 429 with Retry-After once a credential exceeds its limit", async () => {
    const key = await createApiKey("trader", ["read"]);
    // The limiter counts in fixed 60 s windows: a run that crosses a window boundary gets a fresh 250, so the test
    // sends until the first refusal (at most two windows' worth) instead of assuming one window.
    let admitted = 0;
    let limited: Response | undefined;
    while (limited === undefined && admitted <= 520) {
      const response = await call("/api/v1/market/data?symbol=XAUUSD&limit=1", {}, bearer(key.key));
      if (response.status === 429) limited = response;
      else {
        expect(response.status).toBe(200);
        admitted += 1;
      }
    }
    expect(admitted).toBeGreaterThanOrEqual(250);
    if (limited === undefined) throw new Error(`no 429 after ${admitted} requests`);
    expect((await envelope(limited, 429)).code).toBe("RATE_LIMITED");
    expect(limited.headers.get("retry-after")).toBe("60");
    // Another credential is unaffected.
    const other = await createApiKey("trader", ["read"]);
    expect((await call("/api/v1/market/data?symbol=XAUUSD&limit=1", {}, bearer(other.key))).status).toBe(200);
  });
});

describe("headers and limits", () => {
  it("sets secure headers, refuses bodies over 64 KiB, and allows CORS only for listed origins", async () => {
    const response = await call("/health", {}, "anonymous");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect((await envelope(await postJson("/api/v1/users", { username: "x".repeat(70_000) }, "anonymous"), 413)).code).toBe("PAYLOAD_TOO_LARGE");
    const preflight = await call("/api/v1/market/data", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } }, "anonymous");
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const allowed = await call("/api/v1/market/data", { method: "OPTIONS", headers: { origin: "https://desk.example", "access-control-request-method": "GET" } }, "anonymous");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://desk.example");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("x-csrf-token");
  });
});
