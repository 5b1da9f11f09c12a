/**
 * Backups and recovery on real D1 and R2: a backup of realistic rows across every table, wiped and restored row for
 * row; corrupted files and edited manifests refused by verify and restore with nothing written; a database that is
 * not empty refused; retention; model files copied and put back; multipart files; and who may call the API.
 */
import { env } from "cloudflare:workers";
import { applyD1Migrations } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { manifestKey, tableFileKey, type BackupManifest } from "../../core/backups/manifest.js";
import { decodeRows, encodeRows } from "../../core/backups/ndjson.js";
import { isBackedUpTable } from "../../core/backups/restore-plan.js";
import type { BackupProblem } from "../../core/backups/verification.js";
import type { ModelManifest } from "../../core/ml/manifest.js";
import type { BackupDetailSchema, BackupPageSchema, BackupRecord, BackupVerification, RestoreResult } from "../../core/schemas/backups.js";
import type { ErrorEnvelope } from "../../core/schemas/common.js";
import type { Fill, OutboxRecord, RiskEvent, SignalRecord, Trade } from "../../core/schemas/trading.js";
import type { TaskRecord } from "../../core/schemas/tasks.js";
import type { z } from "zod";
import { createBackup } from "../../workers/backups/create-backup.js";
import { HashingR2Writer } from "../../workers/backups/r2-files.js";
import { restoreBackup } from "../../workers/backups/restore-backup.js";
import { db } from "../../workers/db/client.js";
import { healthChecks, modelDeployments, notificationDeliveries, taskDependencies, taskEvents, tasks } from "../../workers/db/schema.js";
import { insertOutboxRecords } from "../../workers/db/trading-records.js";
import { createLogger } from "../../workers/log.js";
import { platformOf } from "../../workers/platform.js";
import { runDataBackup } from "../../workers/tasks/processors/data-backup.js";
import { REGISTRY_MODEL_BASE64 } from "../fixtures/models/registry-bytes.js";
import registryManifestJson from "../fixtures/models/registry-manifest.json";
import { createApiKey, freshState } from "./fresh-state.js";
import { bearer, call, loginAs, postJson, type As } from "./http.js";
import { processorRun, waitForStatus } from "./task-support.js";

beforeEach(freshState);

const log = createLogger("warn", { test: "backups" });
const T0 = Date.UTC(2026, 2, 2, 8, 0);
const MINUTE = 60_000;
const TRADER_PASSWORD = "trader password 0123";

// --- helpers ----------------------------------------------------------------------------------------------------

type Rows = Record<string, unknown>[];
type Snapshot = Record<string, Rows>;

/** Every table a backup covers, with its rows in rowid order. */
async function snapshot(): Promise<Snapshot> {
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
  const out: Snapshot = {};
  for (const { name } of results.filter((t) => isBackedUpTable(t.name))) {
    out[name] = (await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all<Record<string, unknown>>()).results;
  }
  return out;
}

const counts = (s: Snapshot): Record<string, number> => Object.fromEntries(Object.entries(s).map(([name, rows]) => [name, rows.length]));

/** A new deployment's database: every table dropped (migration ledger included) and the migrations applied again. */
async function wipeDatabase(): Promise<void> {
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").all<{ name: string }>();
  await env.DB.batch([env.DB.prepare("PRAGMA defer_foreign_keys = ON"), ...results.map(({ name }) => env.DB.prepare(`DROP TABLE "${name}"`))]);
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
}

async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function gunzip(bytes: ArrayBuffer): Promise<string> {
  return await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

async function gzip(text: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}

async function storedManifest(id: string): Promise<BackupManifest> {
  return (await (await env.BACKUPS.get(manifestKey(id)))?.json()) as BackupManifest;
}

async function keysUnder(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return keys;
}

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function refusal(response: Response, status: number, code: string): Promise<ErrorEnvelope["error"]> {
  const { error } = await json<ErrorEnvelope>(response, status);
  expect(error.code).toBe(code);
  return error;
}

const apiKey = async (role: "viewer" | "trader" | "admin", scopes: ("read" | "ingest" | "trade" | "models")[]): Promise<As> =>
  ({ headers: { "x-api-key": (await createApiKey(role, scopes, `${role} backups test`)).key } });

const restoreCall = (id: string, body: unknown, as: As): Promise<Response> => postJson(`/api/v1/backups/${id}/restore`, body, as);

// --- seeding ----------------------------------------------------------------------------------------------------

const SIDES = ["buy", "sell"] as const;
const REGIMES = ["trending", "ranging", "volatile"] as const;

function trade(i: number): Trade {
  const entryTsMs = T0 + i * 7 * MINUTE;
  const exitTsMs = entryTsMs + (5 + (i % 40)) * MINUTE;
  const net = ((i * 37) % 200) - 100 + 0.25;
  return {
    id: `pos-${i}`,
    accountId: "main",
    symbol: i % 3 === 0 ? "EURUSD" : "XAUUSD",
    side: SIDES[i % 2]!,
    lots: 0.1 * (1 + (i % 5)),
    units: 10 * (1 + (i % 5)),
    entryTsMs,
    entryPrice: 2300.5 + i / 8,
    exitTsMs,
    exitPrice: 2301.75 + i / 8,
    exitReason: i % 4 === 0 ? "stop-loss" : "take-profit",
    stopPrice: i % 6 === 0 ? null : 2295 + i / 8,
    initialStopPrice: 2294.5 + i / 8,
    targetPrice: i % 5 === 0 ? null : 2310 + i / 8,
    grossPnlUsd: net + 7,
    commissionUsd: 7,
    slippageUsd: 0.5,
    netPnlUsd: net,
    maeUsd: -Math.abs(net) / 3,
    mfeUsd: Math.abs(net) * 1.5,
    rMultiple: i % 7 === 0 ? null : net / 50,
    holdingMs: exitTsMs - entryTsMs,
    strategy: i % 3 === 0 ? "ema-cross" : "model",
    signalTsMs: i % 3 === 0 ? null : entryTsMs - MINUTE,
    modelVersion: i % 3 === 0 ? null : "v1",
    confidence: i % 3 === 0 ? null : 0.5 + (i % 40) / 100,
    regime: REGIMES[i % 3]!,
  };
}

function fill(t: Trade, kind: "open" | "close"): Fill {
  return {
    id: `${t.id}:${kind}`,
    positionId: t.id,
    accountId: t.accountId,
    symbol: t.symbol,
    side: kind === "open" ? t.side : t.side === "buy" ? "sell" : "buy",
    kind,
    lots: t.lots,
    tsMs: kind === "open" ? t.entryTsMs : t.exitTsMs,
    quotePrice: kind === "open" ? t.entryPrice - 0.25 : t.exitPrice + 0.25,
    price: kind === "open" ? t.entryPrice : t.exitPrice,
    slippageUsd: 0.25,
    commissionUsd: 3.5,
    reason: kind === "open" ? "entry" : t.exitReason,
  };
}

function signal(i: number): SignalRecord {
  const tsMs = T0 + i * MINUTE;
  const buy = 0.2 + (i % 50) / 100;
  return {
    id: `XAUUSD:M1:${tsMs}:${i % 4 === 0 ? "shadow" : "champion"}:v1`,
    symbol: "XAUUSD",
    timeframe: "M1",
    tsMs,
    role: i % 4 === 0 ? "shadow" : "champion",
    modelVersion: "v1",
    action: buy > 0.55 ? "buy" : buy < 0.3 ? "sell" : "hold",
    confidence: buy,
    probabilities: { buy, sell: (1 - buy) / 2, hold: (1 - buy) / 2 },
    regime: REGIMES[i % 3]!,
    createdAtMs: tsMs + MINUTE + 15,
  };
}

function riskEvent(i: number): RiskEvent {
  return {
    id: `risk-${i}`,
    accountId: "main",
    tsMs: T0 + i * 13 * MINUTE,
    kind: "order-denied",
    severity: i % 5 === 0 ? "critical" : "warning",
    symbol: i % 2 === 0 ? "XAUUSD" : null,
    code: "MAX_DAILY_LOSS",
    message: `daily loss limit reached — "quoted" ü ${i}`,
    context: { dailyPnlUsd: -5_000 - i, limitUsd: -5_000, nested: { ok: i % 2 === 0, list: [1, 2.5, null] } },
  };
}

async function uploadModel(as: As): Promise<number> {
  const form = new FormData();
  form.append("manifest", JSON.stringify(registryManifestJson as ModelManifest));
  form.append("model", new File([Uint8Array.from(atob(REGISTRY_MODEL_BASE64.binary), (c) => c.charCodeAt(0))], "model.onnx"));
  const { model } = await json<{ model: { id: number } }>(await call("/api/v1/models", { method: "POST", body: form }, as), 201);
  return model.id;
}

/** Tasks with a dependency chain, a fan-in and their event trails, as the task system writes them. */
async function seedTasks(count: number): Promise<void> {
  const database = db(env);
  const ids = Array.from({ length: count }, (_, i) => `tsk_${i.toString(16).padStart(32, "0")}`);
  const statuses = ["succeeded", "failed", "dead", "cancelled", "queued", "pending", "running"] as const;
  await database.batch([
    database.insert(tasks).values({
      id: ids[0]!,
      type: "data_backup",
      status: "succeeded",
      priority: 6,
      payload: { kind: "scheduled", includeModels: true },
      dependencyPolicy: "cancel",
      attempts: 1,
      maxAttempts: 3,
      runAfterMs: T0,
      timeoutMs: 600_000,
      result: { backupId: "bkp_20260302T080000Z_00000000", rows: 12 },
      createdBy: "cron",
      dedupeKey: "cron:backup:2026-03-02",
      createdAtMs: T0,
      updatedAtMs: T0 + 5_000,
      startedAtMs: T0 + 1_000,
      finishedAtMs: T0 + 5_000,
    }),
    ...ids.slice(1).map((id, index) => {
      const status = statuses[index % statuses.length]!;
      return database.insert(tasks).values({
        id,
        type: index % 2 === 0 ? "health_check" : "notification",
        status,
        priority: index % 10,
        payload: index % 2 === 0 ? { trigger: "cron" } : { event: "task.dead", severity: "critical", title: `t${index}`, message: "multi\nline" },
        dependencyPolicy: index % 3 === 0 ? "fail" : "cancel",
        attempts: index % 4,
        maxAttempts: 5,
        runAfterMs: T0 + index * MINUTE,
        timeoutMs: 30_000,
        leaseToken: status === "running" ? `lease-${index}` : null,
        leaseOwner: status === "running" ? "consumer:abcd" : null,
        leaseExpiresAtMs: status === "running" ? T0 + index * MINUTE + 90_000 : null,
        error: status === "failed" || status === "dead" ? { class: "retryable", name: "UpstreamError", message: "502", attempt: 3, willRetry: false, nextDelayS: null } : null,
        parentTaskId: index % 5 === 0 ? ids[0]! : null,
        createdBy: index % 2 === 0 ? "cron" : "key:abcd2345",
        createdAtMs: T0 + index * MINUTE,
        updatedAtMs: T0 + index * MINUTE + 1,
        finishedAtMs: ["succeeded", "failed", "dead", "cancelled"].includes(status) ? T0 + index * MINUTE + 2 : null,
      });
    }),
  ]);
  const [firstEdge, ...rest] = [
    // A chain (each task after the one before) and a fan-in (the last task after several).
    ...ids.slice(1, 10).map((id, i) => database.insert(taskDependencies).values({ taskId: id, dependsOnId: ids[i]! })),
    ...ids.slice(12, 16).map((dependsOnId) => database.insert(taskDependencies).values({ taskId: ids[count - 1]!, dependsOnId })),
    ...ids.flatMap((taskId, i) =>
      ["created", "queued", "claimed"].map((kind, k) =>
        database.insert(taskEvents).values({
          taskId,
          atMs: T0 + i * MINUTE + k,
          kind: kind as "created" | "queued" | "claimed",
          fromStatus: k === 0 ? null : k === 1 ? "pending" : "queued",
          toStatus: k === 0 ? "pending" : k === 1 ? "queued" : "running",
          attempt: k === 2 ? 1 : 0,
          actor: k === 2 ? "consumer:abcd" : "cron",
          detail: k === 0 ? { dependsOn: [] } : null,
        }),
      ),
    ),
  ];
  await database.batch([firstEdge!, ...rest]);
}

interface Seeded {
  readonly modelId: number;
}

/**
 * Rows in every table the platform writes: users and their sessions through the API (a failed login, a logout), API
 * keys, a model through the registry API (its files in MODELS), closed trades with their fills, signals (more than
 * one export page), risk events, tasks with dependencies and events, health checks, a deployment, notifications.
 */
async function seed(volume: { trades: number; signals: number; riskEvents: number; tasks: number }): Promise<Seeded> {
  const admin = bearer((await loginAs()).access_token);
  await json(await postJson("/api/v1/users", { username: "trader.one", password: TRADER_PASSWORD, role: "trader" }, admin), 201);
  await json(await postJson("/api/v1/users", { username: "viewer.one", password: TRADER_PASSWORD, role: "viewer" }, admin), 201);
  expect((await postJson("/auth/login", { username: "trader.one", password: "wrong password 000" }, "anonymous")).status).toBe(401);
  const traderSession = await loginAs("trader.one", TRADER_PASSWORD);
  expect((await postJson("/auth/logout", { refresh_token: traderSession.refresh_token }, bearer(traderSession.access_token))).status).toBe(204);
  await json(await postJson("/api/v1/api-keys", { name: "MT5 bridge London", role: "trader", scopes: ["read", "ingest"] }, admin), 201);
  const modelId = await uploadModel(await apiKey("trader", ["read", "models"]));

  const closed = Array.from({ length: volume.trades }, (_, i) => trade(i));
  const records: OutboxRecord[] = [
    ...closed.map((t): OutboxRecord => ({ kind: "trade", trade: t })),
    ...closed.flatMap((t): OutboxRecord[] => [{ kind: "fill", fill: fill(t, "open") }, { kind: "fill", fill: fill(t, "close") }]),
    ...Array.from({ length: volume.signals }, (_, i): OutboxRecord => ({ kind: "signal", signal: signal(i) })),
    ...Array.from({ length: volume.riskEvents }, (_, i): OutboxRecord => ({ kind: "risk-event", event: riskEvent(i) })),
  ];
  for (let start = 0; start < records.length; start += 1_000) await insertOutboxRecords(env.DB, records.slice(start, start + 1_000));

  await seedTasks(volume.tasks);
  const database = db(env);
  await database.batch([
    database.insert(healthChecks).values({ checkedAtMs: T0, status: "ok", durationMs: 12, results: [{ name: "d1", status: "ok", detail: "select 1", latencyMs: 3 }] }),
    database.insert(healthChecks).values({ checkedAtMs: T0 + 5 * MINUTE, status: "critical", durationMs: 40, results: [{ name: "freshness", status: "critical", detail: "XAUUSD 900 s", latencyMs: 1 }] }),
    database.insert(modelDeployments).values({ symbol: "XAUUSD", timeframe: "M1", sequence: 1, event: "shadow", modelId, replacedModelId: null, previousChampionEventId: null, actor: "admin", reason: "trial", decision: null, atMs: T0 }),
    database.insert(notificationDeliveries).values({ atMs: T0, event: "health.critical", severity: "critical", channel: "ops-hook", channelKind: "webhook", outcome: "sent", httpStatus: 200, latencyMs: 35, error: null, taskId: null, title: "freshness" }),
    database.insert(notificationDeliveries).values({ atMs: T0 + 1, event: "health.critical", severity: "critical", channel: "telegram", channelKind: "telegram", outcome: "rate_limited", httpStatus: null, latencyMs: null, error: null, taskId: null, title: "freshness" }),
  ]);
  return { modelId };
}

// --- the round trip ---------------------------------------------------------------------------------------------

describe("backup → wipe → restore", () => {
  it("gives every table back row for row, and the lost model file", async () => {
    await seed({ trades: 400, signals: 2_500, riskEvents: 300, tasks: 40 });
    const backupStartedMs = Date.now();
    const result = await runDataBackup(processorRun("data_backup", { kind: "scheduled" }));
    const backupMs = Date.now() - backupStartedMs;
    const original = await snapshot();
    const modelKeys = await keysUnder(env.MODELS, "models/");
    const modelHashes = new Map(await Promise.all(modelKeys.map(async (k) => [k, await sha256Hex(await (await env.MODELS.get(k))!.arrayBuffer())] as const)));

    const id = result.backupId as string;
    const tableNames = Object.keys(original);
    const totalRows = Object.values(original).reduce((s, rows) => s + rows.length, 0);
    expect(result).toMatchObject({ tables: tableNames.length, modelFiles: modelKeys.length, deleted: [] });
    expect(result.rows).toBe(totalRows);
    for (const table of ["users", "refresh_tokens", "revoked_access_tokens", "login_throttle", "api_keys", "audit_log", "models", "model_deployments", "trades", "fills", "signals", "risk_events", "tasks", "task_dependencies", "task_events", "health_checks", "notification_deliveries", "backups"]) {
      expect(original[table]?.length ?? 0, table).toBeGreaterThan(0);
    }

    // A new deployment: empty tables, the model's ONNX lost too; the operator logs in (bootstrap rows) to restore.
    await wipeDatabase();
    const onnxKey = modelKeys.find((k) => k.endsWith("model.onnx"))!;
    await env.MODELS.delete(onnxKey);
    const operator = bearer((await loginAs()).access_token);
    const before = await json<z.infer<typeof BackupPageSchema>>(await call("/api/v1/backups", {}, operator), 200);
    expect(before).toEqual({ backups: [], nextBefore: null, unregistered: [id] });

    const restored = await json<RestoreResult>(await restoreCall(id, { confirm: id }, operator), 200);
    const after = await snapshot();

    // Every table, row for row — except the two the restore itself writes to afterwards.
    for (const table of tableNames.filter((t) => t !== "backups" && t !== "audit_log")) expect(after[table], table).toEqual(original[table]);
    // The audit log: the backup's rows, then the restore call's own entry (its id continuing the restored sequence).
    expect(after.audit_log!.slice(0, -1)).toEqual(original.audit_log);
    expect(after.audit_log!.at(-1)).toMatchObject({ id: (original.audit_log!.at(-1)!.id as number) + 1, action: "POST /api/v1/backups/:id/restore", status: 200, target: `backup:${id}` });
    // The registry: the backup's own row (exported while it ran) says completed, and when it was restored.
    const { completed_at_ms: _c, restored_at_ms: restoredAt, ...restoredRow } = after.backups!.find((b) => b.id === id)!;
    const { completed_at_ms: _o, restored_at_ms: _r, ...originalRow } = original.backups!.find((b) => b.id === id)!;
    expect(restoredRow).toEqual(originalRow);
    expect(restoredAt).toBe(restored.restoredAtMs);

    expect(restored.tables.map((t) => [t.name, t.rows])).toEqual(expect.arrayContaining(tableNames.map((t) => [t, original[t]!.length])));
    expect(restored.tables.find((t) => t.name === "users")?.replacedRows).toBe(1);
    expect(restored.tables.find((t) => t.name === "refresh_tokens")?.replacedRows).toBe(1);
    expect(restored.tables.findIndex((t) => t.name === "tasks")).toBeLessThan(restored.tables.findIndex((t) => t.name === "task_dependencies"));
    expect(restored.tables.findIndex((t) => t.name === "users")).toBeLessThan(restored.tables.findIndex((t) => t.name === "refresh_tokens"));
    expect(restored.tables.findIndex((t) => t.name === "models")).toBeLessThan(restored.tables.findIndex((t) => t.name === "model_deployments"));
    expect(restored).toMatchObject({ rows: totalRows, modelFiles: { copied: 1, present: modelKeys.length - 1 }, verification: { status: "ok", problems: [] } });
    expect(await sha256Hex(await (await env.MODELS.get(onnxKey))!.arrayBuffer())).toBe(modelHashes.get(onnxKey));

    // The restored users log in (with the backup's passwords); the restored API keys work.
    await loginAs("trader.one", TRADER_PASSWORD);
    console.log(
      `[backups] ${totalRows} rows in ${tableNames.length} tables: backup ${backupMs} ms (${result.bytes as number} bytes written), ` +
        `restore ${restored.durationMs} ms (${restored.statements} INSERTs in ${restored.batches} batches), verification ${restored.verification.durationMs} ms`,
    );
  });

  it("lists backups only the bucket knows and registers them, with the restored registry brought in line", async () => {
    const first = await createBackup(env, { kind: "manual", includeModels: false, reason: "before", taskId: null, nowMs: Date.now() - 2_000, log });
    const second = await createBackup(env, { kind: "manual", includeModels: false, reason: "after", taskId: null, nowMs: Date.now() - 1_000, log });
    await wipeDatabase();
    const operator = bearer((await loginAs()).access_token);
    const restored = await json<RestoreResult>(await restoreCall(first.backupId, { confirm: first.backupId }, operator), 200);
    // The first backup's registry knew nothing of the second (taken later): registered from the bucket.
    expect(restored.registry).toEqual({ registered: [second.backupId], completed: [], failed: [], deleted: [] });
    const page = await json<z.infer<typeof BackupPageSchema>>(await call("/api/v1/backups", {}, operator), 200);
    expect(page.unregistered).toEqual([]);
    expect(page.backups.map((b) => [b.id, b.status])).toEqual([
      [second.backupId, "completed"],
      [first.backupId, "completed"],
    ]);
    expect(page.backups[0]).toMatchObject({ rows: second.rows, manifestSha256: second.manifestSha256, tables: second.tables });
  });
});

// --- the files --------------------------------------------------------------------------------------------------

describe("a backup's files", () => {
  it("hold every table as gzip NDJSON with the manifest's sizes and hashes, and the model files byte for byte", async () => {
    await seed({ trades: 30, signals: 2_345, riskEvents: 10, tasks: 20 });
    const backup = await createBackup(env, { kind: "manual", includeModels: true, reason: "files test", taskId: null, nowMs: Date.now(), log });
    const live = await snapshot();
    const manifest = await storedManifest(backup.backupId);
    const migrations = env.TEST_MIGRATIONS.map((m) => m.name);

    expect(manifest).toMatchObject({ formatVersion: 1, id: backup.backupId, kind: "manual", schemaVersion: migrations.at(-1) });
    expect(manifest.tables.map((t) => t.name).sort()).toEqual(Object.keys(live).sort());
    expect(manifest.tables.map((t) => t.name)).not.toContain("d1_migrations");
    for (const table of manifest.tables) {
      const bytes = await (await env.BACKUPS.get(table.key))!.arrayBuffer();
      expect([bytes.byteLength, await sha256Hex(bytes)], table.name).toEqual([table.bytes, table.sha256]);
      const rows = decodeRows(await gunzip(bytes), table.columns);
      expect(rows.length, table.name).toBe(table.rows);
      // The registry row said running when it was exported; every other table is exactly what D1 holds.
      if (table.name !== "backups") expect(rows, table.name).toEqual(live[table.name]);
    }
    expect(manifest.tables.find((t) => t.name === "signals")?.rows).toBe(2_345);

    const modelKeys = await keysUnder(env.MODELS, "models/");
    expect(modelKeys.length).toBeGreaterThanOrEqual(2);
    expect(manifest.models.map((m) => m.sourceKey).sort()).toEqual(modelKeys.sort());
    for (const model of manifest.models) {
      const source = await (await env.MODELS.get(model.sourceKey))!.arrayBuffer();
      const copy = await (await env.BACKUPS.get(model.key))!.arrayBuffer();
      expect(await sha256Hex(copy)).toBe(model.sha256);
      expect(await sha256Hex(source)).toBe(model.sha256);
      expect(copy.byteLength).toBe(model.bytes);
    }

    const manifestBytes = await (await env.BACKUPS.get(manifestKey(backup.backupId)))!.arrayBuffer();
    const record = (await json<z.infer<typeof BackupDetailSchema>>(await call(`/api/v1/backups/${backup.backupId}`, {}, await apiKey("viewer", ["read"])), 200)).backup!;
    expect(record).toMatchObject({
      status: "completed",
      kind: "manual",
      reason: "files test",
      schemaVersion: migrations.at(-1),
      tables: manifest.tables.length,
      rows: manifest.tables.reduce((s, t) => s + t.rows, 0),
      modelFiles: manifest.models.length,
      bytes: manifest.tables.reduce((s, t) => s + t.bytes, 0) + manifest.models.reduce((s, m) => s + m.bytes, 0),
      manifestSha256: await sha256Hex(manifestBytes),
      error: null,
    });
  });

  it("skip the model files when asked", async () => {
    await uploadModel(await apiKey("trader", ["read", "models"]));
    const backup = await createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: Date.now(), log });
    expect(backup.manifest.models).toEqual([]);
    expect(await keysUnder(env.BACKUPS, `backups/${backup.backupId}/models/`)).toEqual([]);
  });

  it("are written in parts when large, with the hash of the whole", async () => {
    const data = new Uint8Array(17 * 1024 * 1024 + 123);
    for (let offset = 0; offset < data.length; offset += 65_536) crypto.getRandomValues(data.subarray(offset, Math.min(offset + 65_536, data.length)));
    const writer = new HashingR2Writer(env.BACKUPS, "backups/large-test/blob", { contentType: "application/octet-stream" });
    for (let offset = 0; offset < data.length; offset += 1_000_003) await writer.write(data.subarray(offset, offset + 1_000_003));
    const written = await writer.close();
    const stored = await (await env.BACKUPS.get("backups/large-test/blob"))!.arrayBuffer();
    expect(written).toEqual({ bytes: data.length, sha256: await sha256Hex(data) });
    expect(await sha256Hex(stored)).toBe(written.sha256);
  });
});

// --- refusals ---------------------------------------------------------------------------------------------------

/** The row counts of every table, all of which must be zero in a wiped database. */
async function expectEmpty(except: readonly string[] = []): Promise<void> {
  const all = counts(await snapshot());
  expect(Object.fromEntries(Object.entries(all).filter(([name, n]) => n > 0 && !except.includes(name)))).toEqual({});
}

describe("a corrupted backup", () => {
  it("is refused by verify and restore when a table file changed or vanished, with nothing written", async () => {
    await seed({ trades: 20, signals: 50, riskEvents: 5, tasks: 12 });
    const { backupId: id } = (await runDataBackup(processorRun("data_backup", { includeModels: true }))) as { backupId: string };
    const tradesKey = tableFileKey(id, "trades");
    // One changed price in one row: same row count, different bytes.
    const manifest = await storedManifest(id);
    const tradesFile = manifest.tables.find((t) => t.name === "trades")!;
    const rows = decodeRows(await gunzip(await (await env.BACKUPS.get(tradesKey))!.arrayBuffer()), tradesFile.columns);
    rows[3] = { ...rows[3]!, net_pnl_usd: 1_000_000 };
    await env.BACKUPS.put(tradesKey, await gzip(encodeRows(rows, tradesFile.columns)));
    await env.BACKUPS.delete(tableFileKey(id, "risk_events"));

    const admin = await apiKey("admin", ["read"]);
    const verified = await json<BackupVerification>(await postJson(`/api/v1/backups/${id}/verify`, {}, admin), 200);
    expect(verified.status).toBe("corrupt");
    // The edited file differs in hash (and most likely size); the deleted one is missing; nothing else is wrong.
    expect(new Set(verified.problems.map((p) => p.key))).toEqual(new Set([tradesKey, tableFileKey(id, "risk_events")]));
    expect(verified.problems.filter((p) => p.key === tradesKey).map((p) => p.kind)).toContain("sha256");
    expect(verified.problems.filter((p) => p.key !== tradesKey).map((p) => p.kind)).toEqual(["missing"]);
    const record = (await json<z.infer<typeof BackupDetailSchema>>(await call(`/api/v1/backups/${id}`, {}, admin), 200)).backup!;
    expect(record).toMatchObject({ verifyStatus: "corrupt", verifyDetail: { problems: verified.problems } });

    await wipeDatabase();
    const error = await restoreBackup(env, id, Date.now(), log).then(
      () => undefined,
      (e: unknown) => e as { status: number; details: { problems: BackupProblem[] } },
    );
    expect(error?.status).toBe(422);
    expect(error?.details.problems).toEqual(verified.problems);
    await expectEmpty();

    const operator = bearer((await loginAs()).access_token);
    const refused = await refusal(await restoreCall(id, { confirm: id }, operator), 422, "UNPROCESSABLE");
    expect(refused.details).toEqual({ problems: verified.problems });
    await expectEmpty(["users", "refresh_tokens", "audit_log"]);
  });

  it("is refused when its manifest was edited, with or without the registry to compare against", async () => {
    await seed({ trades: 10, signals: 10, riskEvents: 3, tasks: 10 });
    const { backupId: id } = await createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: Date.now(), log });
    const manifest = await storedManifest(id);
    const admin = await apiKey("admin", ["read"]);

    // The same content, written differently: only the registry's hash can tell.
    await env.BACKUPS.put(manifestKey(id), JSON.stringify(manifest));
    const reformatted = await json<BackupVerification>(await postJson(`/api/v1/backups/${id}/verify`, {}, admin), 200);
    expect(reformatted.problems.map((p) => [p.kind, p.key])).toEqual([["manifest", manifestKey(id)]]);

    // A row count that does not match its file.
    const edited: BackupManifest = { ...manifest, tables: manifest.tables.map((t) => (t.name === "trades" ? { ...t, rows: t.rows + 1 } : t)) };
    await env.BACKUPS.put(manifestKey(id), JSON.stringify(edited, null, 2));
    const verified = await json<BackupVerification>(await postJson(`/api/v1/backups/${id}/verify`, {}, admin), 200);
    expect(verified.problems.map((p) => p.kind)).toEqual(["manifest", "rows"]);

    // Without the registry (a new database) the row count still gives it away.
    await wipeDatabase();
    await expect(restoreBackup(env, id, Date.now(), log)).rejects.toMatchObject({ status: 422, details: { problems: [expect.objectContaining({ kind: "rows", expected: 11, actual: 10 })] } });
    await expectEmpty();

    // A manifest that is not one at all.
    await env.BACKUPS.put(manifestKey(id), "{ not json");
    const operator = bearer((await loginAs()).access_token);
    const garbled = await json<BackupVerification>(await postJson(`/api/v1/backups/${id}/verify`, {}, operator), 200);
    expect(garbled).toMatchObject({ status: "corrupt", files: 0, problems: [expect.objectContaining({ kind: "manifest", message: expect.stringContaining("not a valid manifest") })] });
    await refusal(await restoreCall(id, { confirm: id }, operator), 422, "UNPROCESSABLE");
    await expectEmpty(["users", "refresh_tokens", "audit_log"]);
  });
});

describe("restoring into a database that is not empty", () => {
  it("is refused (409) naming the tables that hold rows, with nothing written", async () => {
    await seed({ trades: 5, signals: 5, riskEvents: 2, tasks: 10 });
    const { backupId: id } = await createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: Date.now(), log });
    const admin = await apiKey("admin", ["read"]);
    const before = counts(await snapshot());
    const refused = await refusal(await restoreCall(id, { confirm: id }, admin), 409, "CONFLICT");
    const named = (refused.details as { tables: { name: string; rows: number }[] }).tables;
    expect(named.map((t) => t.name)).toEqual(expect.arrayContaining(["fills", "models", "signals", "trades"]));
    // What a fresh deployment writes by itself (logins, keys, cron tasks, the registry) does not count.
    for (const bootstrap of ["users", "api_keys", "tasks", "backups"]) expect(named.map((t) => t.name)).not.toContain(bootstrap);
    expect(named.find((t) => t.name === "trades")?.rows).toBe(5);
    // Only the refused call's audit entry is new.
    expect(counts(await snapshot())).toEqual({ ...before, audit_log: before.audit_log! + 1 });
  });

  it("is refused even when only one row of one table remains", async () => {
    const { backupId: id } = await createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: Date.now(), log });
    await wipeDatabase();
    await insertOutboxRecords(env.DB, [{ kind: "risk-event", event: riskEvent(1) }]);
    await expect(restoreBackup(env, id, Date.now(), log)).rejects.toMatchObject({ status: 409, details: { tables: [{ name: "risk_events", rows: 1 }] } });
  });
});

// --- retention --------------------------------------------------------------------------------------------------

describe("retention", () => {
  it("keeps the newest completed backups and deletes the others' files", async () => {
    const keep = platformOf(env).config.tasks.backupRetentionCount;
    expect(keep).toBe(10);
    const startMs = Date.now() - 60_000;
    const taken: { backupId: string; deleted: string[] }[] = [];
    for (let i = 0; i < keep + 2; i++) taken.push((await runDataBackup(processorRun("data_backup", { includeModels: false }, startMs + i * 1_000))) as { backupId: string; deleted: string[] });

    expect(taken.map((t) => t.deleted)).toEqual([...Array.from({ length: keep }, () => []), [taken[0]!.backupId], [taken[1]!.backupId]]);
    const page = await json<z.infer<typeof BackupPageSchema>>(await call("/api/v1/backups?limit=50", {}, await apiKey("viewer", ["read"])), 200);
    expect(page.backups.map((b) => [b.id, b.status])).toEqual(
      [...taken].reverse().map((t, i) => [t.backupId, i < keep ? "completed" : "deleted"]),
    );
    for (const t of taken.slice(0, 2)) expect(await keysUnder(env.BACKUPS, `backups/${t.backupId}/`)).toEqual([]);
    for (const t of taken.slice(2)) expect(await env.BACKUPS.head(manifestKey(t.backupId))).not.toBeNull();
    expect(page.unregistered).toEqual([]);

    // A deleted backup is gone for verify and restore alike.
    const admin = await apiKey("admin", ["read"]);
    await refusal(await postJson(`/api/v1/backups/${taken[0]!.backupId}/verify`, {}, admin), 404, "NOT_FOUND");
  });

  it("pages the list newest first", async () => {
    const startMs = Date.now() - 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: startMs + i * 1_000, log })).backupId);
    const viewer = await apiKey("viewer", ["read"]);
    const first = await json<z.infer<typeof BackupPageSchema>>(await call("/api/v1/backups?limit=2", {}, viewer), 200);
    expect([first.backups.map((b) => b.id), first.nextBefore]).toEqual([[ids[2], ids[1]], ids[1]]);
    const second = await json<z.infer<typeof BackupPageSchema>>(await call(`/api/v1/backups?limit=2&before=${first.nextBefore}`, {}, viewer), 200);
    expect([second.backups.map((b) => b.id), second.nextBefore]).toEqual([[ids[0]], null]);
  });
});

// --- the API ----------------------------------------------------------------------------------------------------

describe("the backup API", () => {
  it("lets viewers read, and only admins take, verify and restore", async () => {
    const { backupId: id } = await createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: Date.now(), log });
    const viewer = await apiKey("viewer", ["read"]);
    const trader = await apiKey("trader", ["read", "ingest", "trade", "models"]);
    const page = await json<z.infer<typeof BackupPageSchema>>(await call("/api/v1/backups", {}, viewer), 200);
    expect(page.backups.map((b: BackupRecord) => b.id)).toEqual([id]);
    const detail = await json<z.infer<typeof BackupDetailSchema>>(await call(`/api/v1/backups/${id}`, {}, viewer), 200);
    expect(detail).toMatchObject({ backup: { id, status: "completed" }, manifest: { id, formatVersion: 1 }, manifestProblem: null });
    for (const as of [viewer, trader]) {
      await refusal(await postJson("/api/v1/backups", {}, as), 403, "FORBIDDEN");
      await refusal(await postJson(`/api/v1/backups/${id}/verify`, {}, as), 403, "FORBIDDEN");
      await refusal(await restoreCall(id, { confirm: id }, as), 403, "FORBIDDEN");
    }
    await refusal(await call("/api/v1/backups", {}, "anonymous"), 401, "UNAUTHORIZED");
  });

  it("takes a backup through a data_backup task", async () => {
    const admin = await createApiKey("admin", ["read"], "backup admin");
    const { task } = await json<{ task: TaskRecord }>(await postJson("/api/v1/backups", { includeModels: false, reason: "before the upgrade" }, { headers: { "x-api-key": admin.key } }), 202);
    expect(task).toMatchObject({ type: "data_backup", payload: { kind: "manual", includeModels: false, reason: "before the upgrade" }, createdBy: `key:${admin.prefix}` });
    const done = await waitForStatus(task.id, ["succeeded", "failed", "dead"]);
    expect(done.status).toBe("succeeded");
    const backupId = (done.result as { backupId: string }).backupId;
    const { backup } = await json<z.infer<typeof BackupDetailSchema>>(await call(`/api/v1/backups/${backupId}`, {}, { headers: { "x-api-key": admin.key } }), 200);
    expect(backup).toMatchObject({ kind: "manual", status: "completed", taskId: task.id, reason: "before the upgrade", modelFiles: 0 });
  });

  it("verifies a sound backup and records it", async () => {
    const { backupId: id, rows } = await createBackup(env, { kind: "emergency", includeModels: false, reason: "health critical", taskId: null, nowMs: Date.now(), log });
    const admin = await apiKey("admin", ["read"]);
    const verified = await json<BackupVerification>(await postJson(`/api/v1/backups/${id}/verify`, {}, admin), 200);
    expect(verified).toMatchObject({ backupId: id, status: "ok", rows, problems: [] });
    const { backup } = await json<z.infer<typeof BackupDetailSchema>>(await call(`/api/v1/backups/${id}`, {}, admin), 200);
    expect(backup).toMatchObject({ verifyStatus: "ok", verifiedAtMs: verified.checkedAtMs, verifyDetail: { problems: [] } });
  });

  it("restores only with the backup id as confirmation", async () => {
    const { backupId: id } = await createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: Date.now(), log });
    const admin = await apiKey("admin", ["read"]);
    await refusal(await call(`/api/v1/backups/${id}/restore`, { method: "POST" }, admin), 400, "VALIDATION_FAILED");
    await refusal(await restoreCall(id, {}, admin), 400, "VALIDATION_FAILED");
    await refusal(await restoreCall(id, { confirm: "bkp_20200101T000000Z_00000000" }, admin), 400, "VALIDATION_FAILED");
    await refusal(await restoreCall(id, { confirm: id, force: true }, admin), 400, "VALIDATION_FAILED");
  });

  it("answers 404 for unknown backups, 400 for malformed ids, 409 while running and 422 after a failure", async () => {
    const admin = await apiKey("admin", ["read"]);
    const unknown = "bkp_20200101T000000Z_00000000";
    await refusal(await call(`/api/v1/backups/${unknown}`, {}, admin), 404, "NOT_FOUND");
    await refusal(await postJson(`/api/v1/backups/${unknown}/verify`, {}, admin), 404, "NOT_FOUND");
    await refusal(await restoreCall(unknown, { confirm: unknown }, admin), 404, "NOT_FOUND");
    await refusal(await call("/api/v1/backups/latest", {}, admin), 400, "VALIDATION_FAILED");

    const running = "bkp_20200101T000000Z_0000000a";
    const failed = "bkp_20200101T000000Z_0000000b";
    await env.DB.batch([
      env.DB.prepare("INSERT INTO backups (id, kind, status, created_at_ms) VALUES (?, 'manual', 'running', 1)").bind(running),
      env.DB.prepare("INSERT INTO backups (id, kind, status, created_at_ms, error) VALUES (?, 'manual', 'failed', 2, 'Error: R2 down')").bind(failed),
    ]);
    await refusal(await postJson(`/api/v1/backups/${running}/verify`, {}, admin), 409, "CONFLICT");
    const failure = await refusal(await postJson(`/api/v1/backups/${failed}/verify`, {}, admin), 422, "UNPROCESSABLE");
    expect(failure.message).toContain("R2 down");
    const detail = await json<z.infer<typeof BackupDetailSchema>>(await call(`/api/v1/backups/${failed}`, {}, admin), 200);
    expect(detail).toMatchObject({ backup: { status: "failed", error: "Error: R2 down" }, manifest: null, manifestProblem: null });
  });

  it("records a failed backup and leaves no files behind", async () => {
    const controller = new AbortController();
    controller.abort(new Error("timed out"));
    await expect(createBackup(env, { kind: "manual", includeModels: false, reason: null, taskId: null, nowMs: Date.now(), log, signal: controller.signal })).rejects.toThrow("timed out");
    const { results } = await env.DB.prepare("SELECT id, status, error FROM backups").all<{ id: string; status: string; error: string }>();
    expect(results).toEqual([{ id: expect.stringMatching(/^bkp_/), status: "failed", error: "Error: timed out" }]);
    expect(await keysUnder(env.BACKUPS, "backups/")).toEqual([]);
  });
});
