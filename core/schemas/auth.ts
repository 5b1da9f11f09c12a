/** Boundary schemas of authentication, users, API keys, the audit log and system reports. */
import { z } from "zod";

/** User and API-key roles, lowest first: each role may do everything the roles before it may. */
export const ROLES = ["viewer", "trader", "admin"] as const;
export const RoleSchema = z.enum(ROLES).describe("Role: viewer < trader < admin");
export type Role = z.infer<typeof RoleSchema>;

/**
 * What an API key may be used for: reading data, ingesting ticks (bridges), placing trades (bots), managing the model
 * registry (the trainer: upload, deploy, shadow, roll back).
 */
export const API_KEY_SCOPES = ["read", "ingest", "trade", "models"] as const;
export const ScopeSchema = z.enum(API_KEY_SCOPES).describe("API-key scope: read, ingest, trade or models");
export type Scope = z.infer<typeof ScopeSchema>;

const UsernameSchema = z.string().trim().min(3).max(64).regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' or '-'").describe("Username (case-insensitive)");
const PasswordSchema = z.string().min(12, "at least 12 characters").max(256).describe("Password");

export const LoginRequestSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1_024),
  session: z.enum(["token", "cookie"]).default("token").describe("'cookie' also sets HttpOnly session cookies (the dashboard)"),
});

export const RefreshRequestSchema = z.object({
  refresh_token: z.string().min(1).max(512).optional().describe("The refresh token; omit to use the refresh cookie"),
});

export const LogoutRequestSchema = RefreshRequestSchema;

export const TokenResponseSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().describe("Access-token lifetime, seconds"),
  user: z.object({ id: z.string(), username: z.string(), role: RoleSchema }),
});

export const UserSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: RoleSchema,
  createdAtMs: z.number().int(),
  updatedAtMs: z.number().int(),
  disabled: z.boolean(),
});
export type User = z.infer<typeof UserSchema>;

export const UserCreateSchema = z.object({ username: UsernameSchema, password: PasswordSchema, role: RoleSchema });
export const UserUpdateSchema = z
  .object({ role: RoleSchema.optional(), password: PasswordSchema.optional(), disabled: z.boolean().optional() })
  .refine((u) => u.role !== undefined || u.password !== undefined || u.disabled !== undefined, "change at least one of role, password, disabled");

export const ApiKeyCreateSchema = z.object({
  name: z.string().trim().min(1).max(100).describe("What the key is for, e.g. 'MT5 bridge London'"),
  role: RoleSchema.default("trader"),
  scopes: z.array(ScopeSchema).min(1).refine((s) => new Set(s).size === s.length, "scopes must be unique"),
});

export const ApiKeySchema = z.object({
  id: z.string(),
  prefix: z.string().describe("Visible part of the key, to tell keys apart"),
  name: z.string(),
  role: RoleSchema,
  scopes: z.array(ScopeSchema),
  createdBy: z.string(),
  createdAtMs: z.number().int(),
  lastUsedAtMs: z.number().int().nullable(),
  revokedAtMs: z.number().int().nullable(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const ApiKeyCreatedSchema = ApiKeySchema.extend({
  key: z.string().describe("The key itself. Shown once: only its hash is stored."),
});

export const IdParamSchema = z.object({ id: z.string().min(1).max(64) });

export const AUDIT_OUTCOMES = ["success", "denied", "failed"] as const;

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  atMs: z.number().int(),
  actorKind: z.enum(["user", "api-key", "anonymous", "system"]),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  action: z.string().describe("METHOD and route, e.g. 'POST /api/v1/api-keys'"),
  target: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  status: z.number().int(),
  ip: z.string().nullable(),
  requestId: z.string(),
  details: z.unknown(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditQuerySchema = z.object({
  actorId: z.string().max(64).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  from: z.string().regex(/^\d{1,15}$/).transform(Number).optional().describe("Oldest entry time, epoch ms"),
  to: z.string().regex(/^\d{1,15}$/).transform(Number).optional().describe("Newest entry time, epoch ms"),
  before: z.string().regex(/^\d{1,15}$/).transform(Number).optional().describe("Entries with a smaller id (next page)"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const AuditPageSchema = z.object({
  entries: z.array(AuditEntrySchema).describe("Newest first"),
  next: z.number().int().nullable().describe("Pass as 'before' for the next page"),
});
