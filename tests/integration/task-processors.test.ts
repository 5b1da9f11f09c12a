/**
 * The Worker-side processors of system_cleanup, database_maintenance, backtest, model_evaluation and model_deploy,
 * each called with a hand-built TaskRun against the real D1, R2 and Durable Objects: what they change, what they
 * keep, and which failures are permanent.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { computeMetrics } from "../../core/backtest/metrics.js";
import { runBacktest } from "../../core/backtest/run-backtest.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../core/instruments/catalog.js";
import type { ModelManifest } from "../../core/ml/manifest.js";
import { barsToTicks, type SourceBar } from "../../core/market/tick-path.js";
import type { Tick } from "../../core/market/tick.js";
import type { ModelRecord } from "../../core/schemas/registry.js";
import type { TaskStatus } from "../../core/schemas/tasks.js";
import { InstrumentTradingConfigSchema } from "../../core/schemas/trading.js";
import { toModelSignalInput } from "../../core/trading/instrument-trader.js";
import { classifyFailure, PermanentTaskError } from "../../core/tasks/failure.js";
import type { InstrumentDO } from "../../durable-objects/instrument-do.js";
import { runBacktestTask } from "../../workers/tasks/processors/backtest.js";
import { runDatabaseMaintenance } from "../../workers/tasks/processors/database-maintenance.js";
import { runModelDeploy } from "../../workers/tasks/processors/model-deploy.js";
import { runModelEvaluation } from "../../workers/tasks/processors/model-evaluation.js";
import { ORPHAN_MIN_AGE_MS, runSystemCleanup } from "../../workers/tasks/processors/system-cleanup.js";
import { REGISTRY_MODEL_BASE64 } from "../fixtures/models/registry-bytes.js";
import registryManifestJson from "../fixtures/models/registry-manifest.json";
import weekJson from "../fixtures/trading/week.json";
import { makeTickWalk } from "../support/builders.js";
import { taskId } from "../support/task-builders.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, type As } from "./http.js";
import { replaySignalBars, serveFixtureModel, SIGNAL_BARS } from "./signal-fixture-model.js";
import { processorRun } from "./task-support.js";

beforeEach(freshState);

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// --- running a processor ----------------------------------------------------------------------------------------

/** What the runner would record of a failure: its class and message. */
async function failureOf(run: Promise<unknown>): Promise<{ class: string; error: Error }> {
  try {
    await run;
  } catch (error: unknown) {
    return { class: classifyFailure(error), error: error as Error };
  }
  throw new Error("the processor succeeded");
}

const instrument = (symbol: string) => env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName(symbol));

async function count(table: string): Promise<number> {
  return (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
}

async function ids(sql: string): Promise<string[]> {
  return (await env.DB.prepare(sql).all<{ id: string | number }>()).results.map((row) => String(row.id));
}

// --- system_cleanup ---------------------------------------------------------------------------------------------

/** Stores a task row as the task store would leave it. */
async function seedTask(n: number, status: TaskStatus, finishedAtMs: number | null, createdAtMs: number): Promise<string> {
  const id = taskId(n);
  await env.DB.prepare(
    `INSERT INTO tasks (id, type, status, priority, payload, dependency_policy, attempts, max_attempts, run_after_ms, timeout_ms,
       created_by, created_at_ms, updated_at_ms, finished_at_ms)
     VALUES (?, 'backtest', ?, 4, '{}', 'cancel', 1, 2, ?, 300000, 'test', ?, ?, ?)`,
  )
    .bind(id, status, createdAtMs, createdAtMs, finishedAtMs ?? createdAtMs, finishedAtMs)
    .run();
  await env.DB.prepare("INSERT INTO task_events (task_id, at_ms, kind, to_status, attempt, actor) VALUES (?, ?, 'created', 'pending', 0, 'test')").bind(id, createdAtMs).run();
  return id;
}

async function seedDependency(taskIdValue: string, dependsOnId: string): Promise<void> {
  await env.DB.prepare("INSERT INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?)").bind(taskIdValue, dependsOnId).run();
}

describe("system_cleanup", () => {
  /** Wednesday 2026-06-10 03:00 UTC, the cleanup's clock. */
  const NOW_MS = Date.UTC(2026, 5, 10, 3, 0);
  const OLD = NOW_MS - 31 * DAY_MS;
  const RECENT = NOW_MS - 2 * DAY_MS;

  async function seedD1(): Promise<void> {
    // Tasks: finished long ago (deleted), finished recently (kept), still alive (kept), and a finished dependency a
    // pending task still waits on (kept, edge and all).
    const doomed = [await seedTask(1, "succeeded", OLD, OLD), await seedTask(2, "failed", OLD, OLD), await seedTask(3, "dead", OLD, OLD), await seedTask(4, "cancelled", OLD, OLD)];
    await seedDependency(doomed[1]!, doomed[0]!);
    await seedTask(5, "succeeded", RECENT, OLD);
    await seedTask(6, "running", null, OLD);
    const awaited = await seedTask(7, "succeeded", OLD, OLD);
    const waiting = await seedTask(8, "pending", null, OLD);
    await seedDependency(waiting, awaited);

    const healthRow = env.DB.prepare("INSERT INTO health_checks (checked_at_ms, status, duration_ms, results) VALUES (?, 'ok', 5, '[]')");
    await env.DB.batch([healthRow.bind(NOW_MS - 31 * DAY_MS), healthRow.bind(NOW_MS - 29 * DAY_MS)]);
    const auditRow = env.DB.prepare("INSERT INTO audit_log (at_ms, actor_kind, action, outcome, status, request_id) VALUES (?, 'system', 'POST /x', 'success', 200, 'r')");
    await env.DB.batch([auditRow.bind(NOW_MS - 366 * DAY_MS), auditRow.bind(NOW_MS - 364 * DAY_MS)]);
    const delivery = env.DB.prepare("INSERT INTO notification_deliveries (at_ms, event, severity, channel, channel_kind, outcome, title) VALUES (?, 'task.dead', 'warning', 'log', 'log', 'sent', 't')");
    await env.DB.batch([delivery.bind(NOW_MS - 40 * DAY_MS), delivery.bind(NOW_MS - 10 * DAY_MS)]);
    // Tokens are honoured up to the clock tolerance (30 s) past their expiry.
    const revoked = env.DB.prepare("INSERT INTO revoked_access_tokens (jti, expires_at_ms) VALUES (?, ?)");
    await env.DB.batch([revoked.bind("expired", NOW_MS - 31_000), revoked.bind("in-tolerance", NOW_MS - 29_000), revoked.bind("valid", NOW_MS + HOUR_MS)]);
    await env.DB.prepare("INSERT INTO users (id, username, password_hash, role, created_at_ms, updated_at_ms) VALUES ('u1', 'ann', 'x', 'viewer', 0, 0)").run();
    const refresh = env.DB.prepare("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at_ms, expires_at_ms) VALUES (?, 'u1', 'f1', ?, 0, ?)");
    await env.DB.batch([refresh.bind("expired", "h1", NOW_MS - DAY_MS), refresh.bind("valid", "h2", NOW_MS + DAY_MS)]);
  }

  /**
   * Ticks the ingest's hourly prune leaves behind: the second batch, 48.5 h after the first, prunes what is 48 h
   * behind it; the third, half an hour later, does not prune again — so the first batch's last 10 ticks are now more
   * than 48 h behind the newest tick and only the cleanup removes them.
   */
  async function seedTicks(): Promise<{ old: Tick[]; recent: Tick[] }> {
    const startMs = NOW_MS - 60 * HOUR_MS;
    const old = makeTickWalk(20, { startMs, stepMs: 3 * 60_000 });
    const recent = makeTickWalk(5, { startMs: startMs + 48.5 * HOUR_MS, stepMs: 60_000 });
    const latest = makeTickWalk(5, { startMs: startMs + 49 * HOUR_MS, stepMs: 60_000 });
    for (const ticks of [old, recent, latest]) expect((await instrument("XAUUSD").ingest("XAUUSD", ticks)).accepted).toBe(ticks.length);
    return { old, recent: [...recent, ...latest] };
  }

  async function tableCounts(): Promise<Record<string, number>> {
    const tables = ["tasks", "task_events", "task_dependencies", "health_checks", "audit_log", "notification_deliveries", "revoked_access_tokens", "refresh_tokens"];
    return Object.fromEntries(await Promise.all(tables.map(async (table) => [table, await count(table)] as const)));
  }

  it("deletes exactly what is past retention and keeps the rest; a dry run counts the same and deletes nothing", async () => {
    await seedD1();
    await seedTicks();
    const before = await tableCounts();
    const expected = {
      tasks: 4, taskEvents: 4, taskDependencies: 1, healthChecks: 1, auditLog: 1, notificationDeliveries: 1, revokedAccessTokens: 1, refreshTokens: 1,
      ticks: 8, featureRows: 0, signals: 0, modelObjects: 0, backupObjects: 0,
    };

    const dry = await runSystemCleanup(processorRun("system_cleanup", { dryRun: true }, NOW_MS));
    expect(dry).toMatchObject({ dryRun: true, deleted: expected, orphans: { models: [], backups: [] } });
    expect(await tableCounts()).toEqual(before);
    expect((await instrument("XAUUSD").status()).storedTicks).toBe(18);

    const done = await runSystemCleanup(processorRun("system_cleanup", {}, NOW_MS));
    expect(done).toMatchObject({
      dryRun: false,
      deleted: expected,
      instruments: { XAUUSD: { ticks: 8, featureRows: 0, signals: 0 }, EURUSD: { ticks: 0, featureRows: 0, signals: 0 } },
      cutoffs: { tasksFinishedBeforeMs: NOW_MS - 30 * DAY_MS, auditBeforeMs: NOW_MS - 365 * DAY_MS, tokensExpiredBeforeMs: NOW_MS - 30_000 },
    });
    expect(await ids("SELECT id FROM tasks ORDER BY id")).toEqual([5, 6, 7, 8].map(taskId));
    expect(await ids("SELECT DISTINCT task_id AS id FROM task_events ORDER BY task_id")).toEqual([5, 6, 7, 8].map(taskId));
    expect(await env.DB.prepare("SELECT task_id, depends_on_id FROM task_dependencies").all()).toMatchObject({ results: [{ task_id: taskId(8), depends_on_id: taskId(7) }] });
    expect(await ids("SELECT checked_at_ms AS id FROM health_checks")).toEqual([String(NOW_MS - 29 * DAY_MS)]);
    expect(await ids("SELECT at_ms AS id FROM audit_log")).toEqual([String(NOW_MS - 364 * DAY_MS)]);
    expect(await ids("SELECT at_ms AS id FROM notification_deliveries")).toEqual([String(NOW_MS - 10 * DAY_MS)]);
    expect(await ids("SELECT jti AS id FROM revoked_access_tokens ORDER BY jti")).toEqual(["in-tolerance", "valid"]);
    expect(await ids("SELECT id FROM refresh_tokens")).toEqual(["valid"]);
    expect((await instrument("XAUUSD").status()).storedTicks).toBe(10);

    // Nothing is left to delete: a second run is a no-op.
    const again = await runSystemCleanup(processorRun("system_cleanup", {}, NOW_MS));
    expect(Object.values((again as { deleted: Record<string, number> }).deleted).every((n) => n === 0)).toBe(true);
  });

  it("honours the retention days of the payload", async () => {
    await seedD1();
    const done = await runSystemCleanup(processorRun("system_cleanup", { taskRetentionDays: 1, healthRetentionDays: 28, auditRetentionDays: 3_650, notificationRetentionDays: 5 }, NOW_MS));
    expect(done).toMatchObject({ deleted: { tasks: 5, healthChecks: 2, auditLog: 0, notificationDeliveries: 2 } });
    expect(await ids("SELECT id FROM tasks ORDER BY id")).toEqual([6, 7, 8].map(taskId));
  });

  it("applies the ingest's retention behind the newest tick, validated, and leaves an unfed instrument alone", async () => {
    const { recent } = await seedTicks();
    expect(await instrument("XAUUSD").applyRetention(true)).toEqual({ ticks: 8, featureRows: 0, signals: 0 });
    expect((await instrument("XAUUSD").status()).storedTicks).toBe(18);
    expect(await instrument("XAUUSD").applyRetention()).toEqual({ ticks: 8, featureRows: 0, signals: 0 });
    const status = await instrument("XAUUSD").status();
    expect(status.storedTicks).toBe(recent.length);
    expect(status.lastTick?.tsMs).toBe(recent.at(-1)?.tsMs);
    // Called on the instance: workerd reports an error thrown across RPC as uncaught in the object.
    await runInDurableObject(instrument("XAUUSD"), async (object: InstrumentDO) => {
      await expect(object.applyRetention("yes" as unknown as boolean)).rejects.toThrow(/boolean/);
    });
    expect(await instrument("XAGUSD").applyRetention()).toEqual({ ticks: 0, featureRows: 0, signals: 0 });
    expect((await instrument("XAGUSD").status()).symbol).toBeNull();
  });

  it("deletes orphaned model and backup files once they are an hour old, and keeps what the registries own", async () => {
    const put = (bucket: R2Bucket, key: string) => bucket.put(key, `bytes of ${key}`);
    const orphanModel = ["models/XAUUSD/lost-v1/model.onnx", "models/XAUUSD/lost-v1/manifest.json"];
    const ownedModel = ["models/XAUUSD/kept-v1/model.onnx", "models/XAUUSD/kept-v1/manifest.json"];
    for (const key of [...orphanModel, ...ownedModel]) await put(env.MODELS, key);
    await env.DB.prepare(
      `INSERT INTO models (symbol, timeframe, version, model_kind, status, feature_spec, input_width, label, class_labels, held_out,
         onnx_sha256, onnx_bytes, created_at_ms, uploaded_at_ms, uploaded_by)
       VALUES ('XAUUSD', 'M1', 'kept-v1', 'gbdt', 'registered', '{}', 29, '{}', '[]', '{}', 'x', 1, 0, 0, 'test')`,
    ).run();
    // Unfinished (no manifest, no row): an orphan. Unregistered but complete (the database was lost): kept.
    const lostBackup = "bkp_20260601T020000Z_0000000a";
    const keptBackup = "bkp_20260602T020000Z_0000000b";
    const deletedBackup = "bkp_20260603T020000Z_0000000c";
    const unregisteredBackup = "bkp_20260604T020000Z_0000000d";
    for (const id of [lostBackup, keptBackup, deletedBackup, unregisteredBackup]) {
      if (id !== lostBackup) await put(env.BACKUPS, `backups/${id}/manifest.json`);
      await put(env.BACKUPS, `backups/${id}/tables/tasks.ndjson.gz`);
    }
    const backupRow = env.DB.prepare("INSERT INTO backups (id, kind, status, created_at_ms) VALUES (?, 'scheduled', ?, 0)");
    await env.DB.batch([backupRow.bind(keptBackup, "completed"), backupRow.bind(deletedBackup, "deleted")]);
    const keys = async (bucket: R2Bucket) => (await bucket.list()).objects.map((o) => o.key).sort();
    const modelKeys = await keys(env.MODELS);
    const backupKeys = await keys(env.BACKUPS);

    // Just uploaded: an upload in progress writes R2 before D1, so nothing is touched yet.
    const fresh = await runSystemCleanup(processorRun("system_cleanup", {}, Date.now()));
    expect(fresh).toMatchObject({ deleted: { modelObjects: 0, backupObjects: 0 }, orphans: { models: [], backups: [] } });

    const laterMs = Date.now() + ORPHAN_MIN_AGE_MS + 60_000;
    const dry = await runSystemCleanup(processorRun("system_cleanup", { dryRun: true }, laterMs));
    expect(dry).toMatchObject({ deleted: { modelObjects: 2, backupObjects: 3 }, orphans: { models: ["XAUUSD/lost-v1"], backups: [lostBackup, deletedBackup] } });
    expect(await keys(env.MODELS)).toEqual(modelKeys);
    expect(await keys(env.BACKUPS)).toEqual(backupKeys);

    const done = await runSystemCleanup(processorRun("system_cleanup", {}, laterMs));
    expect(done).toMatchObject({ deleted: { modelObjects: 2, backupObjects: 3 }, orphans: { models: ["XAUUSD/lost-v1"], backups: [lostBackup, deletedBackup] } });
    expect(await keys(env.MODELS)).toEqual([...ownedModel].sort());
    expect(await keys(env.BACKUPS)).toEqual(
      [keptBackup, unregisteredBackup].flatMap((id) => [`backups/${id}/manifest.json`, `backups/${id}/tables/tasks.ndjson.gz`]),
    );
  });
});

// --- database_maintenance ---------------------------------------------------------------------------------------

describe("database_maintenance", () => {
  it("passes the integrity check, optimizes, and reports every table's rows and the database size", async () => {
    await seedTask(1, "succeeded", 1, 1);
    await seedTask(2, "queued", null, 1);
    const report = (await runDatabaseMaintenance(processorRun("database_maintenance", {}))) as {
      integrity: unknown;
      optimized: boolean;
      sizeBytes: number;
      tables: { name: string; rows: number }[];
      totalRows: number;
    };
    expect(report.integrity).toEqual({ quickCheck: "ok", foreignKeyViolations: 0 });
    expect(report.optimized).toBe(true);
    expect(report.sizeBytes).toBeGreaterThan(0);
    const rows = Object.fromEntries(report.tables.map((t) => [t.name, t.rows]));
    expect(rows).toMatchObject({ tasks: 2, task_events: 2, api_keys: await count("api_keys"), models: 0, health_checks: 0 });
    // Every application table, and none of SQLite's or D1's own.
    expect(report.tables.map((t) => t.name)).toEqual(expect.arrayContaining(["audit_log", "backups", "notification_deliveries", "task_dependencies", "trades", "users"]));
    expect(report.tables.filter((t) => /^(sqlite_|_cf_)/.test(t.name))).toEqual([]);
    expect(report.totalRows).toBe(report.tables.reduce((sum, t) => sum + t.rows, 0));

    const unchecked = await runDatabaseMaintenance(processorRun("database_maintenance", { integrityCheck: false }));
    expect(unchecked).toMatchObject({ integrity: null, optimized: true });
  });
});

// --- backtest ---------------------------------------------------------------------------------------------------

const WEEK_BARS: SourceBar[] = (weekJson as { bars: number[][] }).bars.map(([tsMs, open, high, low, close, tickVolume, spreadPoints]) => ({
  tsMs: tsMs!, open: open!, high: high!, low: low!, close: close!, tickVolume: tickVolume!, spreadPoints: spreadPoints!,
}));
const XAUUSD = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find("XAUUSD")!;

describe("backtest", () => {
  it("backtests the stored bars of a range with the platform's config and the account's limits: core's figures exactly", { timeout: 180_000 }, async () => {
    const source = WEEK_BARS.slice(0, 1_500);
    const ticks = barsToTicks(source, XAUUSD);
    for (let i = 0; i < ticks.length; i += 2_000) expect((await instrument("XAUUSD").ingest("XAUUSD", ticks.slice(i, i + 2_000))).rejected).toEqual([]);
    const account = env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default"));
    const limits = await account.setLimits("default", { sizing: { kind: "fixed-lots", lots: 0.5 } }, "test");

    // The last source bar is still forming (no later tick closed it): the task sees the closed ones.
    const closed = source.slice(0, -1);
    const from = closed[100]!.tsMs;
    const to = closed.at(-1)!.tsMs;
    const inRange = closed.filter((bar) => bar.tsMs >= from && bar.tsMs <= to);
    const trading = InstrumentTradingConfigSchema.parse(JSON.parse(env.TRADING).find((c: { symbol: string }) => c.symbol === "XAUUSD"));
    const expected = runBacktest({ bars: inRange, instrument: XAUUSD, trading, limits, initialBalanceUsd: 50_000 });
    const metrics = computeMetrics(expected.trades, expected.equity, 50_000);
    expect(metrics.trades).toBeGreaterThan(5);

    const result = await runBacktestTask(processorRun("backtest", { symbol: "xauusd", fromMs: from, toMs: to + 30_000, initialBalanceUsd: 50_000 }));
    expect(result).toEqual({
      symbol: "XAUUSD",
      fromMs: from,
      toMs: to + 30_000,
      strategy: "ema-cross",
      bars: inRange.length,
      firstBarMs: from,
      lastBarMs: to,
      initialBalanceUsd: 50_000,
      signals: null,
      metrics: {
        trades: metrics.trades,
        wins: metrics.wins,
        losses: metrics.losses,
        netPnlUsd: metrics.netPnlUsd,
        returnPct: metrics.returnPct,
        finalEquityUsd: metrics.finalEquityUsd,
        maxDrawdownUsd: metrics.maxDrawdownUsd,
        maxDrawdownPct: metrics.maxDrawdownPct,
        profitFactor: metrics.profitFactor,
        winRatePct: metrics.winRatePct,
        expectancyUsd: metrics.expectancyUsd,
        sharpe: metrics.sharpe,
      },
      deniedByCode: expected.deniedByCode,
    });
    // The account's half-lot sizing, not the default one lot: each trade's size shows it.
    expect(new Set(expected.trades.map((trade) => trade.lots))).toEqual(new Set([0.5]));
  });

  it("fails permanently when the range holds no stored bar, or the instrument is not declared", async () => {
    const empty = await failureOf(runBacktestTask(processorRun("backtest", { symbol: "XAGUSD", fromMs: Date.UTC(2026, 3, 6), toMs: Date.UTC(2026, 3, 7) })));
    expect(empty.class).toBe("permanent");
    expect(empty.error).toBeInstanceOf(PermanentTaskError);
    expect(empty.error.message).toMatch(/XAGUSD has no closed M1 bar between 2026-04-06T00:00:00.000Z and 2026-04-07T00:00:00.000Z/);
    const unknown = await failureOf(runBacktestTask(processorRun("backtest", { symbol: "ABCUSD", fromMs: 0, toMs: DAY_MS })));
    expect(unknown).toMatchObject({ class: "permanent", error: { message: expect.stringMatching(/ABCUSD/) } });
  });
});

// --- model_evaluation -------------------------------------------------------------------------------------------

describe("model_evaluation", () => {
  it("lists every instrument with its champion's live scores and names the degraded ones", { timeout: 180_000 }, async () => {
    // A champion that claimed a held-out log-loss far better than it achieves live: flagged once 200 outcomes are in.
    await serveFixtureModel("XAUUSD", "fixture-1", 0.1);
    await replaySignalBars(520);
    const result = (await runModelEvaluation(processorRun("model_evaluation", {}))) as { evaluated: Record<string, unknown>[]; degraded: string[] };
    expect(result.degraded).toEqual(["XAUUSD"]);
    expect(result.evaluated.map((e) => e["symbol"])).toEqual(InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).list().map((i) => i.symbol));
    const xauusd = result.evaluated.find((e) => e["symbol"] === "XAUUSD")!;
    expect(xauusd).toMatchObject({ champion: "fixture-1", modelId: 1, degraded: true, heldOutLogLoss: 0.1, reason: expect.stringMatching(/^degraded: /) });
    expect(xauusd["outcomes"]).toBeGreaterThanOrEqual(200);
    // The same verdict as the monitoring route shows.
    const monitoring = (await (await call("/api/v1/signals/XAUUSD/performance")).json()) as { championDegraded: boolean };
    expect(monitoring.championDegraded).toBe(true);
    expect(result.evaluated.find((e) => e["symbol"] === "EURUSD")).toEqual({
      symbol: "EURUSD", champion: null, modelId: null, degraded: false, reason: "no champion served", outcomes: 0, logLoss: null, heldOutLogLoss: null, logLossExcess: null, accuracy: null,
    });

    const chosen = (await runModelEvaluation(processorRun("model_evaluation", { symbols: ["eurusd"] }))) as { evaluated: { symbol: string }[]; degraded: string[] };
    expect(chosen).toMatchObject({ evaluated: [{ symbol: "EURUSD" }], degraded: [] });
  });

  it("does not flag a champion that holds up live, and refuses an undeclared symbol permanently", { timeout: 180_000 }, async () => {
    await serveFixtureModel("XAUUSD", "fixture-1", 0.9);
    await replaySignalBars(520);
    expect(await runModelEvaluation(processorRun("model_evaluation", { symbols: ["XAUUSD"] }))).toMatchObject({ evaluated: [{ symbol: "XAUUSD", degraded: false }], degraded: [] });
    expect(await failureOf(runModelEvaluation(processorRun("model_evaluation", { symbols: ["ABCUSD"] })))).toMatchObject({ class: "permanent" });
  });
});

describe("backtest of the model strategy", () => {
  it("feeds the backtester the champion signals the instrument recorded for the bars", { timeout: 180_000 }, async () => {
    await serveFixtureModel("XAUUSD", "fixture-1", 0.6);
    await replaySignalBars(700);
    const modelTrading = [{ symbol: "XAUUSD", strategy: { kind: "model", entryConfidence: 0.55 } }];
    // The Worker's platform config with XAUUSD on the model strategy (parsed once per env object).
    const run = { ...processorRun("backtest", { symbol: "XAUUSD", fromMs: SIGNAL_BARS[0]!.tsMs, toMs: SIGNAL_BARS[698]!.tsMs }), env: { ...env, TRADING: JSON.stringify(modelTrading) } as Env };
    const result = (await runBacktestTask(run)) as { strategy: string; signals: number; bars: number; metrics: { trades: number; netPnlUsd: number } };

    const recorded = await instrument("XAUUSD").signals({ symbol: "XAUUSD", role: "champion", limit: 5_000 });
    const byBar = new Map(recorded.map((signal) => [signal.ts, toModelSignalInput(signal)]));
    const bars = SIGNAL_BARS.slice(0, 699);
    const trading = InstrumentTradingConfigSchema.parse(modelTrading[0]);
    const limits = await env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default")).limits("default");
    const expected = runBacktest({ bars, instrument: XAUUSD, trading, limits, initialBalanceUsd: 100_000, signalAt: (i) => byBar.get(bars[i]!.tsMs) ?? null });
    const metrics = computeMetrics(expected.trades, expected.equity, 100_000);
    expect(metrics.trades).toBeGreaterThan(0);
    expect(result).toMatchObject({ strategy: "model", signals: recorded.length, bars: 699, metrics: { trades: metrics.trades, netPnlUsd: metrics.netPnlUsd } });
  });
});

// --- model_deploy -----------------------------------------------------------------------------------------------

describe("model_deploy", () => {
  const manifestOf = (version: string, heldOutLogLoss = 0.68): ModelManifest => {
    const m = structuredClone(registryManifestJson as ModelManifest);
    m.version = version;
    m.metrics.heldOut.logLoss = heldOutLogLoss;
    return m;
  };

  async function upload(m: ModelManifest, as: As): Promise<ModelRecord> {
    const form = new FormData();
    form.append("manifest", JSON.stringify(m));
    form.append("model", new File([Uint8Array.from(atob(REGISTRY_MODEL_BASE64.binary), (c) => c.charCodeAt(0))], "model.onnx"));
    const response = await call("/api/v1/models", { method: "POST", body: form }, as);
    expect(response.status, await response.clone().text()).toBe(201);
    return ((await response.json()) as { model: ModelRecord }).model;
  }

  it("deploys through the promotion rule as the task, and a retry after the deploy changes nothing", async () => {
    const as: As = { headers: { "x-api-key": (await createApiKey("trader", ["read", "models"])).key } };
    const v1 = await upload(manifestOf("v1"), as);
    const run = processorRun("model_deploy", { modelId: v1.id, reason: "trained by task tsk_1" });
    const result = await runModelDeploy(run);
    expect(result).toEqual({
      outcome: "deployed",
      modelId: v1.id,
      symbol: "XAUUSD",
      version: "v1",
      decision: "PROMOTE",
      serving: { champion: "v1", shadow: null },
      audit: { target: `model:${v1.id}`, details: expect.objectContaining({ version: "v1", force: false, reason: "trained by task tsk_1", decision: expect.objectContaining({ code: "PROMOTE" }) }) },
    });
    expect((await instrument("XAUUSD").servingState())?.champion?.version).toBe("v1");
    const history = await env.DB.prepare("SELECT event, actor, reason FROM model_deployments").all();
    expect(history.results).toEqual([{ event: "deploy", actor: `task:${run.task.id}`, reason: "trained by task tsk_1" }]);

    expect(await runModelDeploy(processorRun("model_deploy", { modelId: v1.id }))).toMatchObject({ outcome: "already-champion", modelId: v1.id, version: "v1", decision: null });
    expect(await count("model_deployments")).toBe(1);
  });

  it("fails permanently when the promotion rule refuses the model, or the model does not exist", async () => {
    const as: As = { headers: { "x-api-key": (await createApiKey("trader", ["read", "models"])).key } };
    const weak = await upload(manifestOf("weak", 0.6931), as);
    const refused = await failureOf(runModelDeploy(processorRun("model_deploy", { modelId: weak.id })));
    expect(refused.class).toBe("permanent");
    expect(refused.error).toBeInstanceOf(PermanentTaskError);
    expect(refused.error.message).toMatch(/NOT_BETTER_THAN_PRIOR/);
    expect(await instrument("XAUUSD").servingState()).toBeNull();
    expect(await count("model_deployments")).toBe(0);

    const missing = await failureOf(runModelDeploy(processorRun("model_deploy", { modelId: 999 })));
    expect(missing).toMatchObject({ class: "permanent", error: { message: "no model 999" } });
  });
});
