/** Roles and scopes: the role order, the full authorize matrix for users, and API-key scope rules with their 403 details. */
import { describe, expect, it } from "vitest";
import { ForbiddenError } from "../../../core/errors/app-error.js";
import {
  API_KEY_SCOPES,
  authorize,
  effectiveScopes,
  roleAtLeast,
  RoleSchema,
  ROLES,
  ScopeSchema,
  type Principal,
  type Requirement,
  type Role,
  type Scope,
} from "../../../workers/auth/roles.js";

function user(role: Role): Principal {
  return { kind: "user", userId: "u1", username: "ana", role, tokenId: "jti-1", tokenExpiresAtMs: 1_800_000_000_000 };
}

function apiKey(role: Role, scopes: Scope[]): Principal {
  return { kind: "api-key", keyId: "k1", prefix: "abcd2345", role, scopes };
}

function forbidden(principal: Principal, requirement: Requirement): ForbiddenError {
  try {
    authorize(principal, requirement);
  } catch (error: unknown) {
    if (error instanceof ForbiddenError) return error;
    throw error;
  }
  throw new Error("authorize did not throw");
}

describe("roles", () => {
  it("orders viewer < trader < admin", () => {
    expect(ROLES).toEqual(["viewer", "trader", "admin"]);
    const table: [Role, Role, boolean][] = [
      ["viewer", "viewer", true],
      ["viewer", "trader", false],
      ["viewer", "admin", false],
      ["trader", "viewer", true],
      ["trader", "trader", true],
      ["trader", "admin", false],
      ["admin", "viewer", true],
      ["admin", "trader", true],
      ["admin", "admin", true],
    ];
    for (const [actual, required, expected] of table) expect(roleAtLeast(actual, required), `${actual} >= ${required}`).toBe(expected);
  });

  it("parses roles and scopes with zod and refuses anything else", () => {
    expect(RoleSchema.parse("trader")).toBe("trader");
    expect(RoleSchema.safeParse("root").success).toBe(false);
    expect(RoleSchema.safeParse("Admin").success).toBe(false);
    expect(API_KEY_SCOPES).toEqual(["read", "ingest", "trade", "models"]);
    expect(ScopeSchema.parse("ingest")).toBe("ingest");
    expect(ScopeSchema.safeParse("write").success).toBe(false);
  });
});

describe("authorize: users (every role x every requirement)", () => {
  // Hand-written: what each user role may do. Requirement written as "<required role>/<scope or ->".
  const allowed: Record<Role, string[]> = {
    viewer: ["viewer/-", "viewer/read"],
    trader: [
      "viewer/-", "viewer/read", "viewer/ingest", "viewer/trade", "viewer/models",
      "trader/-", "trader/read", "trader/ingest", "trader/trade", "trader/models",
    ],
    admin: ROLES.flatMap((required) => ["-", "read", "ingest", "trade", "models"].map((scope) => `${required}/${scope}`)),
  };
  const cases = ROLES.flatMap((actual) =>
    ROLES.flatMap((required) => (["-", ...API_KEY_SCOPES] as const).map((scope) => [actual, required, scope] as const)),
  );

  it("covers 45 combinations, 27 of them allowed", () => {
    expect(cases).toHaveLength(45);
    expect(Object.values(allowed).flat()).toHaveLength(27);
  });

  it.each(cases)("%s user, requirement %s/%s", (actual, required, scope) => {
    const requirement: Requirement = scope === "-" ? { role: required } : { role: required, scope };
    if (allowed[actual].includes(`${required}/${scope}`)) {
      expect(() => authorize(user(actual), requirement)).not.toThrow();
    } else {
      expect(() => authorize(user(actual), requirement)).toThrow(ForbiddenError);
    }
  });
});

describe("authorize: API keys", () => {
  it("passes when the role is high enough and the scope is granted", () => {
    expect(() => authorize(apiKey("trader", ["trade"]), { role: "trader", scope: "trade" })).not.toThrow();
    expect(() => authorize(apiKey("admin", ["ingest"]), { role: "trader", scope: "ingest" })).not.toThrow();
    expect(() => authorize(apiKey("viewer", []), { role: "viewer" })).not.toThrow();
  });

  it("refuses a scope the key was not granted, even one its role allows", () => {
    const error = forbidden(apiKey("trader", ["trade"]), { role: "viewer", scope: "read" });
    expect(error.status).toBe(403);
    expect(error.code).toBe("FORBIDDEN");
    expect(error.details).toEqual({ missing: ["scope"], requiredRole: "viewer", actualRole: "trader", requiredScope: "read", grantedScopes: ["trade"] });
  });

  it("refuses a granted scope that the key's role does not allow", () => {
    const key = apiKey("viewer", ["read", "trade", "ingest"]);
    expect(effectiveScopes(key)).toEqual(["read"]);
    expect(forbidden(key, { role: "viewer", scope: "trade" }).details).toMatchObject({ missing: ["scope"], grantedScopes: ["read"] });
    expect(forbidden(apiKey("viewer", ["ingest"]), { role: "viewer", scope: "ingest" }).details).toMatchObject({ missing: ["scope"], grantedScopes: [] });
  });

  it("refuses a role that is too low, naming the role", () => {
    const error = forbidden(apiKey("viewer", ["read"]), { role: "admin" });
    expect(error.message).toBe("missing role");
    expect(error.details).toEqual({ missing: ["role"], requiredRole: "admin", actualRole: "viewer", grantedScopes: ["read"] });
  });

  it("names both when both are missing", () => {
    const error = forbidden(apiKey("viewer", ["read"]), { role: "trader", scope: "trade" });
    expect(error.message).toBe("missing role and scope");
    expect(error.details).toMatchObject({ missing: ["role", "scope"], requiredScope: "trade" });
  });

  it("gives users all their role's scopes, in canonical order", () => {
    expect(effectiveScopes(user("viewer"))).toEqual(["read"]);
    expect(effectiveScopes(user("trader"))).toEqual(["read", "ingest", "trade", "models"]);
    expect(effectiveScopes(user("admin"))).toEqual(["read", "ingest", "trade", "models"]);
    expect(effectiveScopes(apiKey("admin", ["trade", "read"]))).toEqual(["read", "trade"]);
  });

  it("names a user's missing scope too", () => {
    expect(forbidden(user("viewer"), { role: "viewer", scope: "ingest" }).details).toEqual({
      missing: ["scope"],
      requiredRole: "viewer",
      actualRole: "viewer",
      requiredScope: "ingest",
      grantedScopes: ["read"],
    });
  });
});
