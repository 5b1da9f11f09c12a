/** `GET /health`: public, minimal liveness with D1 reachability and the latest scheduled check. */
import { Hono } from "hono";
import type { PublicHealth } from "../../core/schemas/health.js";
import type { AppEnv } from "../http/app-env.js";
import { describeError } from "../log.js";
import { latestHealthCheck } from "../tasks/health-check.js";

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const timeMs = Date.now();
  try {
    const lastCheck = await latestHealthCheck(c.env);
    const body: PublicHealth = { status: lastCheck?.status === "critical" ? "degraded" : "ok", timeMs, lastCheck };
    return c.json(body);
  } catch (error: unknown) {
    c.get("log").error("health: D1 unreachable", describeError(error));
    const body: PublicHealth = { status: "critical", timeMs, lastCheck: null };
    return c.json(body, 503);
  }
});
