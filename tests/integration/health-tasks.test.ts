/**
 * Health monitoring: every check and its statuses (D1, R2, account, feeds, task backlog and dead tasks, error rates,
 * models and what each instrument serves), the health_check task's remediation, the stored history and its API,
 * cron → TASKS queue → consumer, and the public /health route.
 */
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApiKey, freshState } from "./fresh-state.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { CheckResult, HealthHistoryPage, PublicHealth } from "../../core/schemas/health.js";
import worker from "../../workers/index.js";
import { runHealthCheck } from "../../workers/tasks/health-check.js";
import { runHealthCheckTask } from "../../workers/tasks/processors/health-check.js";
import { makeTickWalk } from "../support/builders.js";
import { call, ingest, type As } from "./http.js";
import { replaySignalBars, serveFixtureModel } from "./signal-fixture-model.js";
import { processorRun } from "./task-support.js";

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
    const perInstrument = ["BTCUSD", "EURUSD", "XAGUSD", "XAUUSD"].flatMap((symbol) => [`feed.${symbol}`, `model.${symbol}`, `serving.${symbol}`]);
    expect(Object.keys(byName).sort()).toEqual(
      ["account", "d1", "errors.http", "errors.tasks", "queue.backlog", "queue.dead", "queue.training", "r2.backups", "r2.models", ...perInstrument].sort(),
    );
    expect(byName["d1"]?.status).toBe("ok");
    expect(byName["r2.models"]?.status).toBe("ok");
    expect(byName["account"]).toMatchObject({ status: "ok", detail: "trading ACTIVE: account opened" });
    expect(byName["feed.XAUUSD"]).toMatchObject({ status: "ok", detail: "fresh, last tick 51 s ago" });
    expect(byName["feed.EURUSD"]).toMatchObject({ status: "degraded", detail: "no-data, no ticks yet", code: "FEED_NO_DATA", symbol: "EURUSD" });
    expect(byName["model.XAUUSD"]).toMatchObject({ status: "ok", detail: "no champion (strategy ema-cross)", code: null });
    expect(byName["model.EURUSD"]).toMatchObject({ status: "ok", detail: "no champion (does not trade)" });
    expect(byName["serving.XAUUSD"]).toMatchObject({ status: "ok", detail: "no champion recorded or served" });
    for (const name of ["queue.backlog", "queue.training", "queue.dead", "errors.tasks", "errors.http"]) expect(byName[name]?.status, name).toBe("ok");
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

  it("acks malformed messages and dead letters of unknown tasks instead of retrying them forever", async () => {
    const batch = createMessageBatch("aurum-edge-tasks", [
      { id: "bad-1", timestamp: new Date(), attempts: 1, body: { type: "launch.rockets" } },
      { id: "old-1", timestamp: new Date(), attempts: 1, body: { type: "health.check", requestedAtMs: Date.now(), trigger: "api" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["bad-1", "old-1"]);
    expect(result.retryMessages).toEqual([]);
    const dead = createMessageBatch("aurum-edge-tasks-dlq", [
      { id: "dead-1", timestamp: new Date(), attempts: 11, body: { taskId: "tsk_0123456789abcdef0123456789abcdef" } },
    ]);
    const deadCtx = createExecutionContext();
    await worker.queue(dead, env, deadCtx);
    expect((await getQueueResult(dead, deadCtx)).explicitAcks).toEqual(["dead-1"]);
    expect(await storedChecks()).toHaveLength(0);
  });

  it("GET /health is public and minimal before any check", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    const body = (await response.json()) as PublicHealth;
    expect(body).toEqual({ status: "ok", timeMs: expect.any(Number), lastCheck: null });
  });
});

// --- the checks added for the task system -----------------------------------------------------------------------

/** Tuesday 2026-03-24 14:10 UTC: inside every instrument's trading hours. */
const NOW_MS = Date.UTC(2026, 2, 24, 14, 10);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

let seeded = 0;

/** Stores a task row as the task store leaves it. */
async function seedTask(fields: { type?: string; status: string; runAfterMs?: number; finishedAtMs?: number | null }): Promise<void> {
  const id = `tsk_${(++seeded).toString(16).padStart(32, "0")}`;
  const at = fields.runAfterMs ?? NOW_MS - DAY_MS;
  await env.DB.prepare(
    `INSERT INTO tasks (id, type, status, priority, payload, dependency_policy, attempts, max_attempts, run_after_ms, timeout_ms,
       created_by, created_at_ms, updated_at_ms, finished_at_ms)
     VALUES (?, ?, ?, 4, '{}', 'cancel', 1, 3, ?, 300000, 'test', ?, ?, ?)`,
  )
    .bind(id, fields.type ?? "backtest", fields.status, at, at, at, fields.finishedAtMs ?? null)
    .run();
}

async function seedAudit(atMs: number, status: number): Promise<void> {
  await env.DB.prepare("INSERT INTO audit_log (at_ms, actor_kind, action, outcome, status, request_id) VALUES (?, 'system', 'POST /x', ?, ?, 'r')")
    .bind(atMs, status >= 400 ? "failed" : "success", status)
    .run();
}

async function checksAt(nowMs: number, testEnv: Env = env): Promise<Record<string, CheckResult>> {
  const report = await runHealthCheck(testEnv, nowMs);
  return Object.fromEntries(report.results.map((r) => [r.name, r]));
}

describe("task-system checks", () => {
  it("are ok on an idle platform", async () => {
    const checks = await checksAt(NOW_MS);
    expect(checks["queue.backlog"]).toMatchObject({ status: "ok", detail: "0 runnable, 0 waiting over 15 min", code: null });
    expect(checks["queue.training"]).toMatchObject({ status: "ok", detail: "no training task waiting" });
    expect(checks["queue.dead"]).toMatchObject({ status: "ok", detail: "no task went dead in the last 24 h" });
    expect(checks["errors.tasks"]).toMatchObject({ status: "ok", detail: "no finished tasks in the last 1 h" });
    expect(checks["errors.http"]).toMatchObject({ status: "ok", detail: "no audited requests in the last 1 h" });
  });

  it("degrade on late queue tasks, a training task nobody claims, dead tasks and failure rates", async () => {
    await seedTask({ status: "queued", runAfterMs: NOW_MS - 20 * MINUTE_MS });
    await seedTask({ status: "queued", runAfterMs: NOW_MS - MINUTE_MS });
    await seedTask({ status: "queued", runAfterMs: NOW_MS + 5 * MINUTE_MS }); // a retry waiting for its delay
    await seedTask({ status: "running", runAfterMs: NOW_MS - 90 * MINUTE_MS });
    await seedTask({ type: "model_training", status: "queued", runAfterMs: NOW_MS - 2 * 60 * MINUTE_MS });
    await seedTask({ type: "notification", status: "dead", finishedAtMs: NOW_MS - 5 * 60 * MINUTE_MS });
    await seedTask({ type: "notification", status: "dead", finishedAtMs: NOW_MS - 2 * DAY_MS }); // outside the window
    // Finished in the last hour: 8 succeeded, 2 failed (20 %); one cancelled, which does not count.
    for (let i = 0; i < 8; i++) await seedTask({ status: "succeeded", finishedAtMs: NOW_MS - 10 * MINUTE_MS });
    for (let i = 0; i < 2; i++) await seedTask({ status: "failed", finishedAtMs: NOW_MS - 10 * MINUTE_MS });
    await seedTask({ status: "cancelled", finishedAtMs: NOW_MS - 10 * MINUTE_MS });
    // 20 audited requests in the last hour, 2 answered 5xx (10 %); older ones do not count.
    for (let i = 0; i < 18; i++) await seedAudit(NOW_MS - 30 * MINUTE_MS, i % 2 === 0 ? 200 : 422);
    for (let i = 0; i < 2; i++) await seedAudit(NOW_MS - 30 * MINUTE_MS, 503);
    for (let i = 0; i < 5; i++) await seedAudit(NOW_MS - 2 * 60 * MINUTE_MS, 500);

    const checks = await checksAt(NOW_MS);
    expect(checks["queue.backlog"]).toMatchObject({ status: "degraded", code: "QUEUE_BACKLOG", detail: "2 runnable, 1 waiting over 15 min; oldest 20 min" });
    expect(checks["queue.training"]).toMatchObject({ status: "degraded", code: "TRAINING_BACKLOG", detail: expect.stringMatching(/^1 training task\(s\) waiting for a trainer, oldest 2 h/) });
    expect(checks["queue.dead"]).toMatchObject({ status: "degraded", code: "DEAD_TASKS", detail: "1 task(s) went dead in the last 24 h (notification 1)" });
    expect(checks["errors.tasks"]).toMatchObject({ status: "degraded", code: "TASK_ERROR_RATE", detail: "2 of 10 finished tasks failed or went dead in the last 1 h (20 %)" });
    expect(checks["errors.http"]).toMatchObject({ status: "degraded", code: "HTTP_ERROR_RATE", detail: "2 of 20 audited requests answered 5xx in the last 1 h (10 %)" });
  });

  it("turn critical when a queue task waits over an hour or half the finished tasks failed", async () => {
    await seedTask({ status: "queued", runAfterMs: NOW_MS - 61 * MINUTE_MS });
    for (let i = 0; i < 5; i++) await seedTask({ status: "succeeded", finishedAtMs: NOW_MS - MINUTE_MS });
    for (let i = 0; i < 5; i++) await seedTask({ status: i % 2 === 0 ? "failed" : "dead", finishedAtMs: NOW_MS - MINUTE_MS });
    const checks = await checksAt(NOW_MS);
    expect(checks["queue.backlog"]).toMatchObject({ status: "critical", code: "QUEUE_BACKLOG" });
    expect(checks["errors.tasks"]).toMatchObject({ status: "critical", code: "TASK_ERROR_RATE" });
  });
});

// --- models and serving -----------------------------------------------------------------------------------------

/** A catalogue row for `symbol`'s champion `version`, trained at `trainedAtMs`. */
async function recordChampion(symbol: string, version: string, trainedAtMs: number): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO models (symbol, timeframe, version, model_kind, status, feature_spec, input_width, label, class_labels, held_out,
       onnx_sha256, onnx_bytes, created_at_ms, uploaded_at_ms, uploaded_by, deployed_at_ms)
     VALUES (?, 'M1', ?, 'gbdt', 'champion', '{}', 29, '{}', '[]', '{}', 'x', 1, ?, ?, 'test', ?)`,
  )
    .bind(symbol, version, trainedAtMs, trainedAtMs, trainedAtMs)
    .run();
}

describe("model and serving checks", () => {
  it("find a stale champion, a champion the object does not serve, and a model strategy without a champion; the task asks for the remedies", async () => {
    await serveFixtureModel("XAUUSD", "xau-v1");
    await recordChampion("XAUUSD", "xau-v1", NOW_MS - 40 * DAY_MS);
    await recordChampion("EURUSD", "eur-v2", NOW_MS - DAY_MS);
    // XAGUSD on the model strategy (the Worker's config, parsed once per env object).
    const modelTrading = { ...env, TRADING: JSON.stringify([{ symbol: "XAGUSD", strategy: { kind: "model" } }]) } as Env;

    const result = await runHealthCheckTask(processorRun("health_check", { trigger: "cron" }, NOW_MS, { env: modelTrading }));
    const checks = Object.fromEntries((result["checks"] as CheckResult[]).map((r) => [r.name, r]));
    expect(checks["model.XAUUSD"]).toMatchObject({ status: "degraded", code: "MODEL_STALE", symbol: "XAUUSD", detail: "champion xau-v1: trained 40 d ago, over 30 d" });
    expect(checks["serving.XAUUSD"]).toMatchObject({ status: "ok", detail: "serves xau-v1, as recorded" });
    expect(checks["model.EURUSD"]).toMatchObject({ status: "ok", detail: expect.stringMatching(/^champion eur-v2, trained 24 h ago; not scored live yet/) });
    expect(checks["serving.EURUSD"]).toMatchObject({ status: "critical", code: "SERVING_DIVERGED", detail: "D1 records champion eur-v2 but the instrument serves none" });
    expect(checks["model.XAGUSD"]).toMatchObject({ status: "critical", code: "MODEL_MISSING", detail: "trades the model strategy but has no champion" });
    expect(result).toMatchObject({
      status: "critical",
      checkedAtMs: NOW_MS,
      trigger: "cron",
      remediation: {
        emergencyBackup: true,
        alert: true,
        retrain: ["XAGUSD", "XAUUSD"],
        reasons: expect.arrayContaining(["serving.EURUSD: SERVING_DIVERGED", "model.XAGUSD: MODEL_MISSING", "model.XAUUSD: MODEL_STALE"]),
      },
    });
    const stored = await env.DB.prepare("SELECT id, status, results FROM health_checks").all<{ id: number; status: string; results: string }>();
    expect(stored.results).toEqual([{ id: result["reportId"], status: "critical", results: JSON.stringify(result["checks"]) }]);
  });

  it("find a champion live monitoring flags as degraded, and ask for its retraining", { timeout: 180_000 }, async () => {
    await serveFixtureModel("XAUUSD", "xau-v1", 0.1);
    await recordChampion("XAUUSD", "xau-v1", NOW_MS - DAY_MS);
    await replaySignalBars(520);

    const result = await runHealthCheckTask(processorRun("health_check", { trigger: "cron" }, NOW_MS));
    const model = (result["checks"] as CheckResult[]).find((r) => r.name === "model.XAUUSD");
    expect(model).toMatchObject({ status: "degraded", code: "MODEL_DEGRADED", detail: expect.stringMatching(/^champion xau-v1: live degradation: degraded: live log-loss/) });
    expect(result["remediation"]).toMatchObject({ emergencyBackup: false, retrain: ["XAUUSD"] });
  });
});

// --- GET /api/v1/health/history ---------------------------------------------------------------------------------

describe("GET /api/v1/health/history", () => {
  /** Stored reports: checked at NOW + i minutes with the given statuses (two share a time), oldest first. */
  async function seedReports(): Promise<{ id: number; checkedAtMs: number; status: string }[]> {
    const plan: [number, string][] = [[0, "ok"], [1, "degraded"], [2, "critical"], [3, "ok"], [3, "degraded"], [4, "ok"]];
    const reports: { id: number; checkedAtMs: number; status: string }[] = [];
    for (const [minute, status] of plan) {
      const checkedAtMs = NOW_MS + minute * MINUTE_MS;
      // Results as stored before finding codes existed: read back with code and symbol null.
      const results = JSON.stringify([{ name: "d1", status, detail: "query answered", latencyMs: 1 }]);
      const row = await env.DB.prepare("INSERT INTO health_checks (checked_at_ms, status, duration_ms, results) VALUES (?, ?, 7, ?) RETURNING id")
        .bind(checkedAtMs, status, results)
        .first<{ id: number }>();
      reports.push({ id: row!.id, checkedAtMs, status });
    }
    return reports;
  }

  async function page(query: string, as?: As): Promise<HealthHistoryPage> {
    const response = await call(`/api/v1/health/history${query}`, {}, as);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    return JSON.parse(text) as HealthHistoryPage;
  }

  it("pages the stored reports newest first with a keyset cursor", async () => {
    const reports = await seedReports();
    const newestFirst = [...reports].sort((a, b) => b.checkedAtMs - a.checkedAtMs || b.id - a.id).map((r) => r.id);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer: HealthHistoryPage = await page(`?limit=4${cursor === null ? "" : `&cursor=${cursor}`}`);
      seen.push(...answer.reports.map((r) => r.id));
      cursor = answer.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual(newestFirst);

    const first = (await page("?limit=1")).reports[0]!;
    expect(first).toEqual({ id: newestFirst[0], checkedAtMs: NOW_MS + 4 * MINUTE_MS, status: "ok", durationMs: 7, results: [{ name: "d1", status: "ok", detail: "query answered", latencyMs: 1, code: null, symbol: null }] });
  });

  it("filters by status and by time", async () => {
    const reports = await seedReports();
    expect((await page("?status=degraded")).reports.map((r) => r.id)).toEqual(reports.filter((r) => r.status === "degraded").map((r) => r.id).reverse());
    const since = new Date(NOW_MS + 3 * MINUTE_MS).toISOString();
    expect((await page(`?since=${since}`)).reports.map((r) => r.checkedAtMs)).toEqual([NOW_MS + 4 * MINUTE_MS, NOW_MS + 3 * MINUTE_MS, NOW_MS + 3 * MINUTE_MS]);
    expect((await page(`?since=${NOW_MS + 5 * MINUTE_MS}`)).reports).toEqual([]);
  });

  it("shows a report the health check stored with every check", async () => {
    const report = await runHealthCheck(env, NOW_MS);
    const [shown] = (await page("?limit=1")).reports;
    expect(shown).toEqual(report);
  });

  it("is for viewers with the read scope, and refuses cursors it did not make", async () => {
    await seedReports();
    expect((await call("/api/v1/health/history", {}, "anonymous")).status).toBe(401);
    const viewer: As = { headers: { "x-api-key": (await createApiKey("viewer", ["read"])).key } };
    expect((await page("?limit=2", viewer)).reports).toHaveLength(2);
    const noScope: As = { headers: { "x-api-key": (await createApiKey("viewer", [])).key } };
    expect((await call("/api/v1/health/history", {}, noScope)).status).toBe(403);
    for (const bad of ["?cursor=not*a*cursor", `?cursor=${btoa("123:tsk_1").replace(/=+$/, "")}`, "?limit=0", "?status=fine"]) {
      const response = await call(`/api/v1/health/history${bad}`);
      expect(response.status, bad).toBe(400);
      expect(await response.json()).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    }
  });
});
