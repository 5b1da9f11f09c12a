/** API keys for bridges and bots (admin): create (the key is shown once), list, revoke. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ConflictError, NotFoundError } from "../../core/errors/app-error.js";
import { ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeySchema, IdParamSchema, type ApiKey } from "../../core/schemas/auth.js";
import { generateApiKey } from "../auth/api-keys.js";
import { evictApiKey } from "../auth/authenticate.js";
import { db } from "../db/client.js";
import { findApiKeyById, insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from "../db/api-keys.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import type { Scope } from "../auth/roles.js";

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    role: row.role,
    scopes: row.scopes as Scope[],
    createdBy: row.createdBy,
    createdAtMs: row.createdAtMs,
    lastUsedAtMs: row.lastUsedAtMs,
    revokedAtMs: row.revokedAtMs,
  };
}

/** Attempts at a fresh prefix before giving up (40-bit prefixes: a collision is already rare). */
const PREFIX_ATTEMPTS = 3;

export const apiKeyRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(requires("admin"), {
      method: "post",
      path: "/api/v1/api-keys",
      tags: ["api keys"],
      summary: "Create an API key (returned once)",
      request: { body: { required: true, content: { "application/json": { schema: ApiKeyCreateSchema } } } },
      responses: { 201: json(ApiKeyCreatedSchema, "The new key; store it now"), ...errorResponses(...PROTECTED_ERRORS, 409) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const principal = c.get("principal");
      const createdBy = principal?.kind === "user" ? principal.username : `key:${principal?.kind === "api-key" ? principal.prefix : "unknown"}`;
      for (let attempt = 0; attempt < PREFIX_ATTEMPTS; attempt++) {
        const { key, prefix, keyHash } = await generateApiKey();
        const row = { id: crypto.randomUUID(), prefix, keyHash, name: body.name, role: body.role, scopes: body.scopes, createdBy, createdAtMs: Date.now() };
        if (await insertApiKey(db(c.env), row)) {
          c.set("audit", { target: `api-key:${row.id}`, details: { prefix, role: row.role, scopes: row.scopes } });
          return c.json({ ...toApiKey({ ...row, lastUsedAtMs: null, revokedAtMs: null }), key }, 201);
        }
      }
      throw new ConflictError("could not find a free key prefix; try again");
    },
  )
  .openapi(
    route(requires("admin"), {
      method: "get",
      path: "/api/v1/api-keys",
      tags: ["api keys"],
      summary: "List API keys (never the keys themselves)",
      responses: { 200: json(z.object({ keys: z.array(ApiKeySchema) }), "Keys, oldest first"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => c.json({ keys: (await listApiKeys(db(c.env))).map(toApiKey) }, 200),
  )
  .openapi(
    route(requires("admin"), {
      method: "delete",
      path: "/api/v1/api-keys/{id}",
      tags: ["api keys"],
      summary: "Revoke an API key",
      request: { params: IdParamSchema },
      responses: { 200: json(ApiKeySchema, "The revoked key"), ...errorResponses(...PROTECTED_ERRORS, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const database = db(c.env);
      const existing = await findApiKeyById(database, id);
      if (!existing) throw new NotFoundError(`no API key ${id}`);
      const revoked = existing.revokedAtMs === null ? await revokeApiKey(database, id, Date.now()) : existing;
      evictApiKey(existing.prefix);
      c.set("audit", { target: `api-key:${id}`, details: { prefix: existing.prefix } });
      return c.json(toApiKey(revoked ?? existing), 200);
    },
  );
