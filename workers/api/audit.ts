/** The audit log (admin): `GET /api/v1/audit`, newest first, filtered and paged. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { AuditPageSchema, AuditQuerySchema, type AuditEntry } from "../../core/schemas/auth.js";
import { db } from "../db/client.js";
import { queryAudit, type AuditRow } from "../db/audit-log.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";

function toEntry(row: AuditRow): AuditEntry {
  return { ...row, details: row.details ?? null };
}

export const auditRoutes = new OpenAPIHono<AppEnv>().openapi(
  route(requires("admin"), {
    method: "get",
    path: "/api/v1/audit",
    tags: ["system"],
    summary: "Audit log of state-changing calls",
    request: { query: AuditQuerySchema },
    responses: { 200: json(AuditPageSchema, "Entries, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const rows = await queryAudit(db(c.env), { actorId: q.actorId, outcome: q.outcome, fromMs: q.from, toMs: q.to, beforeId: q.before, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit).map(toEntry);
    return c.json({ entries: page, next: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null }, 200);
  },
);
