/** Roles, API-key scopes, the calling principal, and the one authorization rule that combines them. */
import { ForbiddenError } from "../../core/errors/app-error.js";
import { API_KEY_SCOPES, ROLES, type Role, type Scope } from "../../core/schemas/auth.js";

export { API_KEY_SCOPES, ROLES, RoleSchema, ScopeSchema, type Role, type Scope } from "../../core/schemas/auth.js";

/**
 * The scopes each role allows. A user holds all of its role's scopes; an API key holds the scopes it was granted,
 * but only those its role allows (a viewer key granted "trade" still cannot trade).
 */
export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  viewer: ["read"],
  trader: ["read", "ingest", "trade", "models"],
  admin: ["read", "ingest", "trade", "models"],
};

/** Who is calling: a logged-in user (access token, by header or session cookie) or an API key. */
export type Principal =
  | {
      readonly kind: "user";
      readonly userId: string;
      readonly username: string;
      readonly role: Role;
      /** The access token's jti and expiry, so that logout can revoke exactly it. */
      readonly tokenId: string;
      readonly tokenExpiresAtMs: number;
    }
  | { readonly kind: "api-key"; readonly keyId: string; readonly prefix: string; readonly role: Role; readonly scopes: readonly Scope[] };

/** What a route demands: a minimum role and, optionally, a scope. */
export interface Requirement {
  readonly role: Role;
  readonly scope?: Scope;
}

/**
 * True when `actual` is `required` or ranks above it.
 * @example roleAtLeast("admin", "trader") // true
 */
export function roleAtLeast(actual: Role, required: Role): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(required);
}

/**
 * The scopes the principal may use: the role's scopes for a user; for an API key, its granted scopes that its role
 * also allows. Returned in `API_KEY_SCOPES` order.
 * @example effectiveScopes({ kind: "api-key", keyId: "k1", prefix: "abcd2345", role: "viewer", scopes: ["read", "trade"] }) // ["read"]
 */
export function effectiveScopes(principal: Principal): Scope[] {
  const allowed = ROLE_SCOPES[principal.role];
  if (principal.kind === "user") return [...allowed];
  return API_KEY_SCOPES.filter((scope) => allowed.includes(scope) && principal.scopes.includes(scope));
}

/**
 * The authorization rule: the principal passes when its role is at least `requirement.role` AND, if the requirement
 * names a scope, that scope is among its `effectiveScopes`. Otherwise throws ForbiddenError (403) whose details name
 * what is missing: `{ missing: ("role" | "scope")[], requiredRole, actualRole, requiredScope?, grantedScopes }`.
 * @example authorize(principal, { role: "trader", scope: "trade" }) // returns, or throws ForbiddenError
 */
export function authorize(principal: Principal, requirement: Requirement): void {
  const granted = effectiveScopes(principal);
  const missing: ("role" | "scope")[] = [];
  if (!roleAtLeast(principal.role, requirement.role)) missing.push("role");
  if (requirement.scope !== undefined && !granted.includes(requirement.scope)) missing.push("scope");
  if (missing.length === 0) return;
  throw new ForbiddenError(`missing ${missing.join(" and ")}`, {
    details: {
      missing,
      requiredRole: requirement.role,
      actualRole: principal.role,
      ...(requirement.scope === undefined ? {} : { requiredScope: requirement.scope }),
      grantedScopes: granted,
    },
  });
}
