/**
 * Admin reports: `GET /api/v1/system/database`, `/api/v1/system/storage`, `/api/v1/system/cache`; `GET /metrics` for
 * Prometheus.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { CacheReportSchema, DatabaseReportSchema, StorageReportSchema, type InstrumentReport } from "../../core/schemas/system.js";
import { apiKeyCache, revokedTokenCache, userCache } from "../auth/authenticate.js";
import { METRICS_TOKEN, requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { instrumentStub } from "../instruments.js";
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../observability/metrics.js";
import { isolateStartedAtMs, requestRegistry } from "../observability/request-metrics.js";
import { latestHealthCheck } from "../tasks/health-check.js";

/** Objects one storage report lists per bucket. */
const BUCKET_PAGE = 1_000;

async function bucketReport(binding: string, bucket: R2Bucket) {
  const startedMs = Date.now();
  try {
    const listing = await bucket.list({ limit: BUCKET_PAGE });
    const bytes = listing.objects.reduce((sum, object) => sum + object.size, 0);
    return { binding, reachable: true, latencyMs: Date.now() - startedMs, objects: listing.objects.length, bytes, truncated: listing.truncated, error: null };
  } catch (error: unknown) {
    return { binding, reachable: false, latencyMs: Date.now() - startedMs, objects: 0, bytes: 0, truncated: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Tables whose row counts the database report lists. */
const TABLES = ["users", "refresh_tokens", "revoked_access_tokens", "api_keys", "login_throttle", "audit_log", "health_checks", "models", "model_deployments"] as const;

async function instrumentReports(c: Context<AppEnv>): Promise<InstrumentReport[]> {
  return Promise.all(
    c.get("platform").instruments.list().map(async ({ symbol }) => {
      const status = await instrumentStub(c.env, symbol).status();
      return {
        symbol,
        lastTickTs: status.lastTick?.tsMs ?? null,
        storedTicks: status.storedTicks,
        subscribers: status.subscribers,
        accepted: status.counters.accepted,
        duplicates: status.counters.duplicates,
        rejected: status.counters.rejected,
        forming: status.forming,
        champion: status.champion,
        shadow: status.shadow,
        signalLatency: status.signalLatency,
      };
    }),
  );
}

export const systemRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(requires("admin"), {
      method: "get",
      path: "/api/v1/system/database",
      tags: ["system"],
      summary: "D1 reachability, size and row counts",
      responses: { 200: json(DatabaseReportSchema, "Database report"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const startedMs = Date.now();
      const counts = TABLES.map((t) => `(SELECT COUNT(*) FROM ${t}) AS ${t}`).join(", ");
      const result = await c.env.DB.prepare(`SELECT ${counts}`).all<Record<string, number>>();
      const row = result.results[0] ?? {};
      const sizeAfter = (result.meta as { size_after?: number }).size_after;
      return c.json(
        {
          reachable: true,
          latencyMs: Date.now() - startedMs,
          sizeBytes: typeof sizeAfter === "number" ? sizeAfter : null,
          tables: Object.fromEntries(TABLES.map((t) => [t, Number(row[t] ?? 0)])),
        },
        200,
      );
    },
  )
  .openapi(
    route(requires("admin"), {
      method: "get",
      path: "/api/v1/system/storage",
      tags: ["system"],
      summary: "R2 buckets: reachability, latency and contents",
      responses: { 200: json(StorageReportSchema, "Storage report"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => c.json({ buckets: await Promise.all([bucketReport("MODELS", c.env.MODELS), bucketReport("BACKUPS", c.env.BACKUPS)]) }, 200),
  )
  .openapi(
    route(requires("admin"), {
      method: "get",
      path: "/api/v1/system/cache",
      tags: ["system"],
      summary: "This isolate's caches and every instrument's Durable Object",
      responses: { 200: json(CacheReportSchema, "Cache report"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const nowMs = Date.now();
      return c.json(
        {
          isolate: {
            startedAtMs: isolateStartedAtMs,
            uptimeS: (nowMs - isolateStartedAtMs) / 1000,
            cachedUsers: userCache.size,
            cachedApiKeys: apiKeyCache.size,
            cachedTokenRevocations: revokedTokenCache.size,
          },
          instruments: await instrumentReports(c),
        },
        200,
      );
    },
  )
  .openapi(
    route(METRICS_TOKEN, {
      method: "get",
      path: "/metrics",
      tags: ["system"],
      summary: "Prometheus metrics (text format 0.0.4)",
      responses: { 200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } }, ...errorResponses(401, 500) },
    }),
    async (c) => {
      const scrape = new MetricsRegistry();
      const accepted = scrape.counter({ name: "aurum_ticks_accepted_total", help: "Ticks applied, per instrument", labelNames: ["symbol"] });
      const duplicates = scrape.counter({ name: "aurum_ticks_duplicate_total", help: "Exact re-deliveries ignored, per instrument", labelNames: ["symbol"] });
      const rejected = scrape.counter({ name: "aurum_ticks_rejected_total", help: "Ticks refused, per instrument and code", labelNames: ["symbol", "code"] });
      const stored = scrape.gauge({ name: "aurum_ticks_stored", help: "Raw ticks held (bounded by retention)", labelNames: ["symbol"] });
      const subscribers = scrape.gauge({ name: "aurum_stream_subscribers", help: "Open stream WebSockets", labelNames: ["symbol"] });
      const lastTick = scrape.gauge({ name: "aurum_last_tick_timestamp_seconds", help: "Time of the newest tick", labelNames: ["symbol"] });
      for (const report of await instrumentReports(c)) {
        accepted.inc({ symbol: report.symbol }, report.accepted);
        duplicates.inc({ symbol: report.symbol }, report.duplicates);
        for (const [code, count] of Object.entries(report.rejected)) rejected.inc({ symbol: report.symbol, code }, count);
        stored.set({ symbol: report.symbol }, report.storedTicks);
        subscribers.set({ symbol: report.symbol }, report.subscribers);
        if (report.lastTickTs !== null) lastTick.set({ symbol: report.symbol }, report.lastTickTs / 1000);
      }
      const health = scrape.gauge({ name: "aurum_health_status", help: "Latest health check: 0 ok, 1 degraded, 2 critical, -1 none yet" });
      const last = await latestHealthCheck(c.env);
      health.set({}, last === null ? -1 : { ok: 0, degraded: 1, critical: 2 }[last.status]);
      scrape.gauge({ name: "aurum_isolate_uptime_seconds", help: "Age of the isolate answering" }).set({}, (Date.now() - isolateStartedAtMs) / 1000);
      return c.text(requestRegistry.render() + scrape.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
    },
  );
