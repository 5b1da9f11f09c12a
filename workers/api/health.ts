/** `GET /health`: public, minimal liveness with D1 reachability and the latest scheduled check. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { PublicHealthSchema, type PublicHealth } from "../../core/schemas/health.js";
import { PUBLIC, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { json } from "../http/openapi.js";
import { describeError } from "../log.js";
import { latestHealthCheck } from "../tasks/health-check.js";

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(
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
);
