/**
 * Health: `GET /health` (public, minimal liveness with D1 reachability and the latest check) and
 * `GET /api/v1/health/history` (the stored reports with every check, newest first, filtered and keyset-paged).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { HealthHistoryPageSchema, HealthHistoryQuerySchema, PublicHealthSchema, type HealthHistoryPage, type PublicHealth } from "../../core/schemas/health.js";
import { encodeCursor } from "../../core/schemas/trading-api.js";
import { PUBLIC, requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { describeError } from "../log.js";
import { latestHealthCheck, listHealthReports } from "../tasks/health-check.js";

export const healthRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(PUBLIC, {
      method: "get",
      path: "/health",
      tags: ["system"],
      summary: "Liveness and the latest health check",
      responses: { 200: json(PublicHealthSchema, "Up"), 503: json(PublicHealthSchema, "D1 unreachable") },
    }),
    async (c) => {
      const timeMs = Date.now();
      try {
        const lastCheck = await latestHealthCheck(c.env);
        const body: PublicHealth = { status: lastCheck?.status === "critical" ? "degraded" : "ok", timeMs, lastCheck };
        return c.json(body, 200);
      } catch (error: unknown) {
        c.get("log").error("health: D1 unreachable", describeError(error));
        const body: PublicHealth = { status: "critical", timeMs, lastCheck: null };
        return c.json(body, 503);
      }
    },
  )
  .openapi(
    route(requires("viewer", "read"), {
      method: "get",
      path: "/api/v1/health/history",
      tags: ["system"],
      summary: "Stored health-check reports with every check, newest first",
      description:
        "One report per run of the health check (every 5 minutes by cron, or a health_check task): its status (the worst " +
        "of its checks) and each check's status, finding code and detail. `status` keeps only reports with exactly that " +
        "status; keyset-paged: pass the answer's nextCursor as `cursor` for the next page.",
      request: { query: HealthHistoryQuerySchema },
      responses: { 200: json(HealthHistoryPageSchema, "Reports, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await listHealthReports(c.env, { sinceMs: q.since, status: q.status }, { before: q.cursor, limit: q.limit + 1 });
      const reports = rows.slice(0, q.limit);
      const last = reports.at(-1);
      const nextCursor = rows.length > q.limit && last !== undefined ? encodeCursor({ tsMs: last.checkedAtMs, id: String(last.id) }) : null;
      const body: HealthHistoryPage = { reports, nextCursor };
      return c.json(body, 200);
    },
  );
