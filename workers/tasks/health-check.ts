/** The platform health check: D1, both R2 buckets, the account's trading state and every instrument's feed. */
import { desc } from "drizzle-orm";
import { feedFreshness } from "../../core/market/freshness.js";
import { DEFAULT_ACCOUNT_ID } from "../../core/schemas/account.js";
import { worstStatus, type CheckResult, type HealthStatus } from "../../core/schemas/health.js";
import { db } from "../db/client.js";
import { healthChecks } from "../db/schema.js";
import { accountStub } from "../trading-rpc.js";
import { instrumentStub } from "../instruments.js";
import { platformOf } from "../platform.js";

/** A feed whose newest tick is older than this during trading hours is stale. */
export const FEED_MAX_AGE_MS = 5 * 60_000;

export interface HealthReport {
  status: HealthStatus;
  checkedAtMs: number;
  durationMs: number;
  results: CheckResult[];
}

async function timed(name: string, run: () => Promise<Omit<CheckResult, "name" | "latencyMs">>): Promise<CheckResult> {
  const startedMs = Date.now();
  try {
    const outcome = await run();
    return { name, ...outcome, latencyMs: Date.now() - startedMs };
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : String(error);
    return { name, status: "critical", detail, latencyMs: Date.now() - startedMs };
  }
}

/**
 * Runs every check (independently: one failing never hides another) and stores the report in D1.
 * `nowMs` is the time freshness is judged at (the cron's scheduled time).
 */
export async function runHealthCheck(env: Env, nowMs: number): Promise<HealthReport> {
  const startedMs = Date.now();
  const platform = platformOf(env);
  const checks: Promise<CheckResult>[] = [
    timed("d1", async () => {
      await env.DB.prepare("SELECT 1").first();
      return { status: "ok", detail: "query answered" };
    }),
    timed("r2.models", async () => {
      await env.MODELS.list({ limit: 1 });
      return { status: "ok", detail: "bucket listed" };
    }),
    timed("r2.backups", async () => {
      await env.BACKUPS.list({ limit: 1 });
      return { status: "ok", detail: "bucket listed" };
    }),
    timed("account", async () => {
      const state = await accountStub(env).state(DEFAULT_ACCOUNT_ID);
      const status: HealthStatus = state.tradingState === "ACTIVE" ? "ok" : "degraded";
      return { status, detail: `trading ${state.tradingState}: ${state.reason}` };
    }),
    ...platform.instruments.list().map((instrument) =>
      timed(`feed.${instrument.symbol}`, async () => {
        const status = await instrumentStub(env, instrument.symbol).status();
        const freshness = feedFreshness(instrument, status.lastTick?.tsMs ?? null, nowMs, FEED_MAX_AGE_MS);
        const age = freshness.ageMs === null ? "no ticks yet" : `last tick ${Math.round(freshness.ageMs / 1000)} s ago`;
        return { status: freshness.status === "stale" || freshness.status === "no-data" ? "degraded" : "ok", detail: `${freshness.status}, ${age}` };
      }),
    ),
  ];
  const results = await Promise.all(checks);
  const report: HealthReport = { status: worstStatus(results.map((r) => r.status)), checkedAtMs: nowMs, durationMs: Date.now() - startedMs, results };
  await db(env).insert(healthChecks).values(report);
  return report;
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
