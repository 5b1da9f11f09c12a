/**
 * The platform health check: D1, both R2 buckets, the account's trading state, the task queue (backlog, training
 * hand-off, dead tasks), error rates (tasks and HTTP), and per instrument its feed, its model and whether its
 * Durable Object serves the champion D1 records. Each report is stored in D1 `health_checks`; the judgments are pure
 * (core/health/checks.ts).
 */
import { and, desc, eq, gte, lt, or, type SQL } from "drizzle-orm";
import {
  DEFAULT_HEALTH_THRESHOLDS,
  judgeDeadTasks,
  judgeHttpErrorRate,
  judgeModel,
  judgeQueueBacklog,
  judgeServing,
  judgeTaskErrorRate,
  judgeTrainingBacklog,
  type HealthThresholds,
} from "../../core/health/checks.js";
import { feedFreshness } from "../../core/market/freshness.js";
import { DEFAULT_ACCOUNT_ID } from "../../core/schemas/account.js";
import {
  CheckResultSchema,
  worstStatus,
  type CheckOutcome,
  type CheckResult,
  type HealthReport,
  type HealthStatus,
} from "../../core/schemas/health.js";
import type { ServingState } from "../../core/schemas/serving.js";
import { TASK_TYPE_DEFAULTS } from "../../core/tasks/task-types.js";
import { TASK_TYPES, type TaskType } from "../../core/schemas/tasks.js";
import { FEATURE_TIMEFRAME } from "../../durable-objects/signal-pipeline.js";
import { db } from "../db/client.js";
import { healthChecks } from "../db/schema.js";
import { instrumentStub } from "../instruments.js";
import { platformOf } from "../platform.js";
import { accountStub } from "../trading-rpc.js";

/** A feed whose newest tick is older than this during trading hours is stale. */
export const FEED_MAX_AGE_MS = 5 * 60_000;

const TYPES_BY_RUNNER = (runner: "queue" | "trainer"): TaskType[] => TASK_TYPES.filter((type) => TASK_TYPE_DEFAULTS[type].runner === runner);
const QUEUE_TYPES = TYPES_BY_RUNNER("queue");
const TRAINER_TYPES = TYPES_BY_RUNNER("trainer");

/** Runs one check and times it; a check that throws is critical (CHECK_FAILED) with the error as its detail. */
async function timed(name: string, run: () => Promise<CheckOutcome>, symbol: string | null = null): Promise<CheckResult> {
  const startedMs = Date.now();
  try {
    const outcome = await run();
    return { name, ...outcome, latencyMs: Date.now() - startedMs };
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : String(error);
    return { name, status: "critical", detail, latencyMs: Date.now() - startedMs, code: "CHECK_FAILED", symbol };
  }
}

const ok = (detail: string, symbol: string | null = null): CheckOutcome => ({ status: "ok", detail, code: null, symbol });

/** Queued tasks of `types` whose run-after has passed: how many, how many for longer than `lateMs`, the oldest. */
async function waitingTasks(env: Env, types: readonly TaskType[], nowMs: number, lateMs: number): Promise<{ runnable: number; late: number; oldestWaitMs: number | null }> {
  const row = await env.DB.prepare(
    `SELECT COUNT(*) AS runnable, COALESCE(SUM(run_after_ms < ?), 0) AS late, MIN(run_after_ms) AS oldest
     FROM tasks WHERE status = 'queued' AND run_after_ms <= ? AND type IN (${types.map(() => "?").join(", ")})`,
  )
    .bind(nowMs - lateMs, nowMs, ...types)
    .first<{ runnable: number; late: number; oldest: number | null }>();
  const oldest = row?.oldest ?? null;
  return { runnable: row?.runnable ?? 0, late: row?.late ?? 0, oldestWaitMs: oldest === null ? null : nowMs - oldest };
}

/** The task-system and error-rate checks. */
function taskChecks(env: Env, nowMs: number, t: HealthThresholds): Promise<CheckResult>[] {
  return [
    timed("queue.backlog", async () => judgeQueueBacklog(await waitingTasks(env, QUEUE_TYPES, nowMs, t.backlogDegradedMs), t)),
    timed("queue.training", async () => {
      const waiting = await waitingTasks(env, TRAINER_TYPES, nowMs, t.trainingWaitDegradedMs);
      return judgeTrainingBacklog(waiting.runnable, waiting.oldestWaitMs, t);
    }),
    timed("queue.dead", async () => {
      const { results } = await env.DB.prepare("SELECT type, COUNT(*) AS n FROM tasks WHERE status = 'dead' AND finished_at_ms BETWEEN ? AND ? GROUP BY type")
        .bind(nowMs - t.deadWindowMs, nowMs)
        .all<{ type: string; n: number }>();
      const byType = Object.fromEntries(results.map((row) => [row.type, row.n]));
      return judgeDeadTasks(results.reduce((sum, row) => sum + row.n, 0), byType, t);
    }),
    timed("errors.tasks", async () => {
      const row = await env.DB.prepare(
        `SELECT COUNT(*) AS finished, COALESCE(SUM(status IN ('failed', 'dead')), 0) AS failed
         FROM tasks WHERE status IN ('succeeded', 'failed', 'dead') AND finished_at_ms BETWEEN ? AND ?`,
      )
        .bind(nowMs - t.errorWindowMs, nowMs)
        .first<{ finished: number; failed: number }>();
      return judgeTaskErrorRate(row?.failed ?? 0, row?.finished ?? 0, t);
    }),
    timed("errors.http", async () => {
      const row = await env.DB.prepare("SELECT COUNT(*) AS requests, COALESCE(SUM(status >= 500), 0) AS failed FROM audit_log WHERE at_ms BETWEEN ? AND ?")
        .bind(nowMs - t.errorWindowMs, nowMs)
        .first<{ requests: number; failed: number }>();
      return judgeHttpErrorRate(row?.failed ?? 0, row?.requests ?? 0, t);
    }),
  ];
}

/** The champions D1 records for the timeframe the instruments serve, by symbol. */
async function recordedChampions(env: Env): Promise<Map<string, { version: string; trainedAtMs: number }>> {
  const { results } = await env.DB.prepare("SELECT symbol, version, created_at_ms FROM models WHERE status = 'champion' AND timeframe = ?")
    .bind(FEATURE_TIMEFRAME)
    .all<{ symbol: string; version: string; created_at_ms: number }>();
  return new Map(results.map((row) => [row.symbol, { version: row.version, trainedAtMs: row.created_at_ms }]));
}

/** The feed, model and serving checks of every instrument. */
function instrumentChecks(env: Env, nowMs: number, t: HealthThresholds): Promise<CheckResult>[] {
  const platform = platformOf(env);
  const champions = recordedChampions(env);
  // A rejected promise nobody awaits yet would be reported as unhandled: the checks await it, this only marks it seen.
  champions.catch(() => undefined);
  return platform.instruments.list().flatMap((instrument) => {
    const { symbol } = instrument;
    const stub = instrumentStub(env, symbol);
    const serving: Promise<ServingState | null> = stub.servingState();
    serving.catch(() => undefined);
    return [
      timed(`feed.${symbol}`, async () => {
        const status = await stub.status();
        const freshness = feedFreshness(instrument, status.lastTick?.tsMs ?? null, nowMs, FEED_MAX_AGE_MS);
        const age = freshness.ageMs === null ? "no ticks yet" : `last tick ${Math.round(freshness.ageMs / 1000)} s ago`;
        const detail = `${freshness.status}, ${age}`;
        if (freshness.status === "stale") return { status: "degraded", detail, code: "FEED_STALE", symbol };
        if (freshness.status === "no-data") return { status: "degraded", detail, code: "FEED_NO_DATA", symbol };
        return ok(detail, symbol);
      }, symbol),
      timed(`model.${symbol}`, async () => {
        const [recorded, served] = await Promise.all([champions, serving]);
        const servedChampion = served?.champion ?? null;
        let live: { degraded: boolean; reason: string } | null = null;
        if (servedChampion !== null) {
          const scores = (await stub.modelPerformance(symbol)).find((model) => model.role === "champion");
          if (scores !== undefined) live = { degraded: scores.degraded, reason: scores.reason };
        }
        const strategy = platform.trading.get(symbol)?.strategy.kind ?? null;
        return judgeModel({ symbol, strategy, champion: recorded.get(symbol) ?? null, live, nowMs }, t);
      }, symbol),
      timed(`serving.${symbol}`, async () => {
        const [recorded, served] = await Promise.all([champions, serving]);
        return judgeServing(symbol, recorded.get(symbol)?.version ?? null, served?.champion?.version ?? null);
      }, symbol),
    ];
  });
}

/**
 * Runs every check (independently: one failing never hides another) and stores the report in D1.
 * `nowMs` is the time freshness, ages and windows are judged at (the cron's scheduled time).
 */
export async function runHealthCheck(env: Env, nowMs: number, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): Promise<HealthReport> {
  const startedMs = Date.now();
  const checks: Promise<CheckResult>[] = [
    timed("d1", async () => {
      await env.DB.prepare("SELECT 1").first();
      return ok("query answered");
    }),
    timed("r2.models", async () => {
      await env.MODELS.list({ limit: 1 });
      return ok("bucket listed");
    }),
    timed("r2.backups", async () => {
      await env.BACKUPS.list({ limit: 1 });
      return ok("bucket listed");
    }),
    timed("account", async () => {
      const state = await accountStub(env).state(DEFAULT_ACCOUNT_ID);
      const detail = `trading ${state.tradingState}: ${state.reason}`;
      return state.tradingState === "ACTIVE" ? ok(detail) : { status: "degraded", detail, code: "ACCOUNT_NOT_ACTIVE", symbol: null };
    }),
    ...taskChecks(env, nowMs, thresholds),
    ...instrumentChecks(env, nowMs, thresholds),
  ];
  const results = await Promise.all(checks);
  const report = { status: worstStatus(results.map((r) => r.status)), checkedAtMs: nowMs, durationMs: Date.now() - startedMs, results };
  const { id } = await db(env).insert(healthChecks).values(report).returning({ id: healthChecks.id }).get();
  return { id, ...report };
}

/** The latest stored report's status and time, or null before the first check. */
export async function latestHealthCheck(env: Env): Promise<{ status: HealthStatus; checkedAtMs: number } | null> {
  const row = await db(env)
    .select({ status: healthChecks.status, checkedAtMs: healthChecks.checkedAtMs })
    .from(healthChecks)
    .orderBy(desc(healthChecks.checkedAtMs))
    .limit(1)
    .get();
  return row ?? null;
}

/** A page of stored reports, newest first (by check time, then id), starting strictly below `before`. */
export async function listHealthReports(
  env: Env,
  filter: { sinceMs?: number; status?: HealthStatus },
  page: { before?: { checkedAtMs: number; id: number }; limit: number },
): Promise<HealthReport[]> {
  const conditions: (SQL | undefined)[] = [];
  if (filter.sinceMs !== undefined) conditions.push(gte(healthChecks.checkedAtMs, filter.sinceMs));
  if (filter.status !== undefined) conditions.push(eq(healthChecks.status, filter.status));
  if (page.before !== undefined) {
    const { checkedAtMs, id } = page.before;
    conditions.push(or(lt(healthChecks.checkedAtMs, checkedAtMs), and(eq(healthChecks.checkedAtMs, checkedAtMs), lt(healthChecks.id, id))));
  }
  const rows = await db(env)
    .select()
    .from(healthChecks)
    .where(and(...conditions))
    .orderBy(desc(healthChecks.checkedAtMs), desc(healthChecks.id))
    .limit(page.limit)
    .all();
  return rows.map((row) => ({
    id: row.id,
    checkedAtMs: row.checkedAtMs,
    status: row.status,
    durationMs: row.durationMs,
    results: CheckResultSchema.array().parse(row.results),
  }));
}
