/**
 * Request counts and latencies of this isolate, by route pattern and status. Figures are per isolate since it
 * started (one process locally; in production each scrape sees the isolate that answered it).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.js";
import { LATENCY_BUCKETS_S, MetricsRegistry } from "./metrics.js";

export const requestRegistry = new MetricsRegistry();
export const isolateStartedAtMs = Date.now();

const requests = requestRegistry.counter({ name: "aurum_http_requests_total", help: "HTTP requests answered", labelNames: ["method", "route", "status"] });
const latency = requestRegistry.histogram({
  name: "aurum_http_request_duration_seconds",
  help: "Time to answer, seconds (wall clock as the Workers runtime reports it)",
  labelNames: ["method", "route"],
  bucketsS: LATENCY_BUCKETS_S,
});

export function requestMetrics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const startedMs = Date.now();
    await next();
    // The route pattern, not the path, so ids do not explode the label set; unmatched requests share one label.
    const routePath = c.req.routePath === "*" || c.res.status === 404 ? "unmatched" : c.req.routePath;
    requests.inc({ method: c.req.method, route: routePath, status: String(c.res.status) });
    latency.observe({ method: c.req.method, route: routePath }, (Date.now() - startedMs) / 1000);
  };
}
