/** Risk alerts: `GET /api/v1/risk/alerts`, the account's risk events newest first, filtered and keyset-paged. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { encodeCursor, RiskAlertsPageSchema, RiskAlertsQuerySchema } from "../../core/schemas/trading-api.js";
import { db } from "../db/client.js";
import { listRiskEvents, riskEventPosition } from "../db/trading-records.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";

export const riskAlertRoutes = new OpenAPIHono<AppEnv>().openapi(
  route(requires("viewer", "read"), {
    method: "get",
    path: "/api/v1/risk/alerts",
    tags: ["risk"],
    summary: "Risk events (denials, state changes, breaches, limit edits, emergency stops, resets), newest first",
    description: "Keyset-paged: pass the answer's nextCursor as `cursor` for the next page. `severity` is a minimum: warning also lists critical.",
    request: { query: RiskAlertsQuerySchema },
    responses: { 200: json(RiskAlertsPageSchema, "Risk events, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const rows = await listRiskEvents(
      db(c.env),
      { minSeverity: q.severity, kind: q.kind, symbol: q.symbol, sinceMs: q.since },
      { after: q.cursor, limit: q.limit + 1 },
    );
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > q.limit && last !== undefined ? encodeCursor(riskEventPosition(last)) : null;
    return c.json({ alerts: page, nextCursor }, 200);
  },
);
