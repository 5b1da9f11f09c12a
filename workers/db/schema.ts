/** D1 tables (drizzle). Migrations are generated from this file with `npm run db:generate`. */
import { integer, sqliteTable, text, index } from "drizzle-orm/sqlite-core";

/** One run of the platform health check and its per-check results. */
export const healthChecks = sqliteTable(
  "health_checks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    checkedAtMs: integer("checked_at_ms").notNull(),
    status: text("status", { enum: ["ok", "degraded", "critical"] }).notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** JSON array of { name, status, detail, latencyMs }. */
    results: text("results", { mode: "json" }).notNull(),
  },
  (table) => [index("health_checks_by_time").on(table.checkedAtMs)],
);

/** People who log in. Usernames are stored lower-case; passwords only as PBKDF2 hashes. */
export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  username: text("username").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role", { enum: ["viewer", "trader", "admin"] }).notNull(),
  createdAtMs: integer("created_at_ms").notNull(),
  updatedAtMs: integer("updated_at_ms").notNull(),
  disabledAtMs: integer("disabled_at_ms"),
});

/**
 * Refresh tokens, stored hashed. Each login starts a family; each refresh rotates the token within its family. A
 * rotated token presented again means it was stolen: the whole family is revoked.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id),
    familyId: text("family_id").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAtMs: integer("created_at_ms").notNull(),
    expiresAtMs: integer("expires_at_ms").notNull(),
    rotatedAtMs: integer("rotated_at_ms"),
    revokedAtMs: integer("revoked_at_ms"),
    revokedReason: text("revoked_reason"),
  },
  (table) => [index("refresh_tokens_by_family").on(table.familyId), index("refresh_tokens_by_user").on(table.userId)],
);

/** Access-token ids (jti) revoked before they expire (logout); rows past their expiry can be deleted. */
export const revokedAccessTokens = sqliteTable("revoked_access_tokens", {
  jti: text("jti").primaryKey(),
  expiresAtMs: integer("expires_at_ms").notNull(),
});

/** API keys for bridges and bots, stored hashed; the prefix is shown so people can tell keys apart. */
export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  prefix: text("prefix").notNull().unique(),
  keyHash: text("key_hash").notNull(),
  name: text("name").notNull(),
  role: text("role", { enum: ["viewer", "trader", "admin"] }).notNull(),
  /** JSON array of scopes: read, ingest, trade. */
  scopes: text("scopes", { mode: "json" }).notNull().$type<string[]>(),
  createdBy: text("created_by").notNull(),
  createdAtMs: integer("created_at_ms").notNull(),
  lastUsedAtMs: integer("last_used_at_ms"),
  revokedAtMs: integer("revoked_at_ms"),
});

/** Failed logins per user and per IP, for lock-outs that grow with each failure. */
export const loginThrottle = sqliteTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  lastFailureAtMs: integer("last_failure_at_ms").notNull(),
  lockedUntilMs: integer("locked_until_ms").notNull(),
});

/** Every state-changing call: who, what, when, from where, and how it ended. Append-only. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    atMs: integer("at_ms").notNull(),
    actorKind: text("actor_kind", { enum: ["user", "api-key", "anonymous", "system"] }).notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name"),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome", { enum: ["success", "denied", "failed"] }).notNull(),
    status: integer("status").notNull(),
    ip: text("ip"),
    requestId: text("request_id").notNull(),
    details: text("details", { mode: "json" }),
  },
  (table) => [index("audit_log_by_time").on(table.atMs), index("audit_log_by_actor").on(table.actorId, table.atMs)],
);
