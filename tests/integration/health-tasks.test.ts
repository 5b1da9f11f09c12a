/** Cron → TASKS queue → consumer → health check in D1, and the public /health route. */
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { freshState } from "./fresh-state.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { CheckResult, PublicHealth } from "../../core/schemas/health.js";
import worker from "../../workers/index.js";
import { runHealthCheck } from "../../workers/tasks/health-check.js";
import { makeTickWalk } from "../support/builders.js";
import { call, ingest } from "./http.js";

beforeEach(freshState);

async function storedChecks(): Promise<{ status: string; results: string }[]> {
  return (await env.DB.prepare("SELECT status, results FROM health_checks ORDER BY id").all<{ status: string; results: string }>()).results;
}

describe("health checks", () => {
  it("runs every check and stores the report: stale or missing feeds during trading hours degrade it", async () => {
    const tuesdayMs = Date.UTC(2026, 2, 24, 14, 10);
    await ingest("XAUUSD", makeTickWalk(10, { startMs: tuesdayMs - 60_000 }));
    const report = await runHealthCheck(env, tuesdayMs);
    const byName = Object.fromEntries(report.results.map((r: CheckResult) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(["account", "d1", "feed.BTCUSD", "feed.EURUSD", "feed.XAGUSD", "feed.XAUUSD", "r2.backups", "r2.models"]);
    expect(byName["d1"]?.status).toBe("ok");
    expect(byName["r2.models"]?.status).toBe("ok");
    expect(byName["account"]).toMatchObject({ status: "ok", detail: "trading ACTIVE: account opened" });
    expect(byName["feed.XAUUSD"]).toMatchObject({ status: "ok", detail: "fresh, last tick 51 s ago" });
    expect(byName["feed.EURUSD"]).toMatchObject({ status: "degraded", detail: "no-data, no ticks yet" });
    expect(report.status).toBe("degraded");
    expect(await storedChecks()).toEqual([{ status: "degraded", results: JSON.stringify(report.results) }]);
  });

  it("enqueues a health check from the 5-minute cron and the consumer stores it", async () => {
    const controller = createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    for (let i = 0; i < 200 && (await storedChecks()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await storedChecks()).toHaveLength(1);
    const health = (await (await call("/health")).json()) as PublicHealth;
    expect(health.lastCheck?.status).toBe((await storedChecks())[0]?.status);
  });

  it("refuses an unknown cron expression loudly", async () => {
    const controller = createScheduledController({ cron: "0 0 1 1 *", scheduledTime: Date.now() });
    await expect(worker.scheduled(controller, env, createExecutionContext())).rejects.toThrow(/no tasks/);
  });

  it("acks malformed and dead-lettered messages instead of retrying them forever", async () => {
    const batch = createMessageBatch("aurum-edge-tasks", [
      { id: "bad-1", timestamp: new Date(), attempts: 1, body: { type: "launch.rockets" } },
      { id: "ok-1", timestamp: new Date(), attempts: 1, body: { type: "health.check", requestedAtMs: Date.now(), trigger: "api" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["bad-1", "ok-1"]);
    expect(result.retryMessages).toEqual([]);
    const dead = createMessageBatch("aurum-edge-tasks-dlq", [
      { id: "dead-1", timestamp: new Date(), attempts: 6, body: { type: "health.check", requestedAtMs: 1, trigger: "cron" } },
    ]);
    const deadCtx = createExecutionContext();
    await worker.queue(dead, env, deadCtx);
    expect((await getQueueResult(dead, deadCtx)).explicitAcks).toEqual(["dead-1"]);
    expect(await storedChecks()).toHaveLength(1); // the dead letter was not run again
  });

  it("GET /health is public and minimal before any check", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    const body = (await response.json()) as PublicHealth;
    expect(body).toEqual({ status: "ok", timeMs: expect.any(Number), lastCheck: null });
  });
});
