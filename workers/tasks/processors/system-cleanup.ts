/**
 * The `system_cleanup` task: retention of what grows without bound. D1: finished tasks with their events and
 * dependency edges, health-check history, the audit log, notification delivery records, expired token revocations
 * and refresh tokens. Every InstrumentDO: raw ticks and signal records (`applyRetention`). R2: model files no
 * catalogue row owns and backup files no registry row owns. `dryRun` counts without deleting.
 */
import { BACKUPS_ROOT, backupIdOfKey, MODELS_ROOT } from "../../../core/backups/manifest.js";
import { TERMINAL_TASK_STATUSES } from "../../../core/schemas/tasks.js";
import { instrumentStub } from "../../instruments.js";
import { platformOf } from "../../platform.js";
import type { TaskProcessor, TaskRun } from "../processor.js";

const DAY_MS = 86_400_000;

/** Orphaned R2 objects younger than this are kept: an upload writes R2 first and D1 right after. */
export const ORPHAN_MIN_AGE_MS = 3_600_000;

/** Rows deleted per statement (and tasks per batch): keeps each D1 statement short. */
const ROWS_PER_STATEMENT = 1_000;
const TASKS_PER_BATCH = 200;

const TERMINAL = TERMINAL_TASK_STATUSES.map((status) => `'${status}'`).join(", ");

/**
 * Finished tasks past the cutoff (bound once) that no unfinished task still waits on: deleting those would drop
 * an edge its dependent has not been released by.
 */
const FINISHED_TASKS = `status IN (${TERMINAL}) AND finished_at_ms < ? AND NOT EXISTS (
  SELECT 1 FROM task_dependencies d JOIN tasks w ON w.id = d.task_id
  WHERE d.depends_on_id = tasks.id AND w.status IN ('pending', 'queued', 'running'))`;

/** Tasks of one batch (a JSON array of ids, bound once) that still match FINISHED_TASKS (bound once more). */
const BATCH_TASKS = `SELECT id FROM tasks WHERE id IN (SELECT value FROM json_each(?)) AND ${FINISHED_TASKS}`;

export interface CleanupCounts {
  tasks: number;
  taskEvents: number;
  taskDependencies: number;
  healthChecks: number;
  auditLog: number;
  notificationDeliveries: number;
  revokedAccessTokens: number;
  refreshTokens: number;
  ticks: number;
  featureRows: number;
  signals: number;
  modelObjects: number;
  backupObjects: number;
}

/** Deletes (or with dryRun counts) finished tasks older than `beforeMs`, with their events and dependency edges. */
async function cleanTasks(run: TaskRun<"system_cleanup">, beforeMs: number, counts: CleanupCounts): Promise<void> {
  const database = run.env.DB;
  if (run.payload.dryRun) {
    const row = await database
      .prepare(
        `SELECT COUNT(*) AS tasks,
           (SELECT COUNT(*) FROM task_events WHERE task_id IN (SELECT id FROM tasks WHERE ${FINISHED_TASKS})) AS events,
           (SELECT COUNT(*) FROM task_dependencies WHERE task_id IN (SELECT id FROM tasks WHERE ${FINISHED_TASKS})
              OR depends_on_id IN (SELECT id FROM tasks WHERE ${FINISHED_TASKS})) AS edges
         FROM tasks WHERE ${FINISHED_TASKS}`,
      )
      .bind(beforeMs, beforeMs, beforeMs, beforeMs)
      .first<{ tasks: number; events: number; edges: number }>();
    counts.tasks += row?.tasks ?? 0;
    counts.taskEvents += row?.events ?? 0;
    counts.taskDependencies += row?.edges ?? 0;
    return;
  }
  for (;;) {
    run.signal.throwIfAborted();
    const { results } = await database
      .prepare(`SELECT id FROM tasks WHERE ${FINISHED_TASKS} ORDER BY finished_at_ms, id LIMIT ?`)
      .bind(beforeMs, TASKS_PER_BATCH)
      .all<{ id: string }>();
    if (results.length === 0) return;
    const ids = JSON.stringify(results.map((row) => row.id));
    // One transaction, each statement re-checking the condition: a task retried meanwhile keeps its trail.
    const [events, edges, tasks] = await database.batch([
      database.prepare(`DELETE FROM task_events WHERE task_id IN (${BATCH_TASKS})`).bind(ids, beforeMs),
      database.prepare(`DELETE FROM task_dependencies WHERE task_id IN (${BATCH_TASKS}) OR depends_on_id IN (${BATCH_TASKS})`).bind(ids, beforeMs, ids, beforeMs),
      database.prepare(`DELETE FROM tasks WHERE id IN (${BATCH_TASKS})`).bind(ids, beforeMs),
    ]);
    counts.taskEvents += events?.meta.changes ?? 0;
    counts.taskDependencies += edges?.meta.changes ?? 0;
    const deleted = tasks?.meta.changes ?? 0;
    counts.tasks += deleted;
    if (deleted === 0) return;
  }
}

/** Deletes (or counts) the rows of `table` matching `where` (one bound value), a statement at a time. */
async function cleanRows(run: TaskRun<"system_cleanup">, table: string, where: string, bound: number): Promise<number> {
  const database = run.env.DB;
  if (run.payload.dryRun) {
    return (await database.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).bind(bound).first<{ n: number }>())?.n ?? 0;
  }
  let total = 0;
  for (;;) {
    run.signal.throwIfAborted();
    const result = await database
      .prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ?)`)
      .bind(bound, ROWS_PER_STATEMENT)
      .run();
    total += result.meta.changes;
    if (result.meta.changes < ROWS_PER_STATEMENT) return total;
  }
}

/** Every object under `prefix` uploaded before `beforeMs`. */
async function listOlderObjects(bucket: R2Bucket, prefix: string, beforeMs: number, signal: AbortSignal): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    signal.throwIfAborted();
    const page = await bucket.list({ prefix, cursor, limit: 1_000 });
    for (const object of page.objects) if (object.uploaded.getTime() < beforeMs) keys.push(object.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return keys;
}

/** Deletes `keys` (R2 takes up to 1,000 per call) unless it is a dry run. */
async function deleteObjects(bucket: R2Bucket, keys: readonly string[], dryRun: boolean, signal: AbortSignal): Promise<void> {
  if (dryRun) return;
  for (let start = 0; start < keys.length; start += 1_000) {
    signal.throwIfAborted();
    await bucket.delete(keys.slice(start, start + 1_000));
  }
}

/** `models/<symbol>/<version>/<file>` (core/schemas/serving.ts modelObjectKey). */
const MODEL_KEY = /^models\/([^/]+)\/([^/]+)\/[^/]+$/;

/**
 * Model files (`models/<symbol>/<version>/…`) whose symbol and version have no row in D1 `models`. D1 is read after
 * the listing: a row written meanwhile still protects its files.
 */
async function modelOrphans(run: TaskRun<"system_cleanup">, beforeMs: number): Promise<{ keys: string[]; versions: string[] }> {
  const listed = await listOlderObjects(run.env.MODELS, MODELS_ROOT, beforeMs, run.signal);
  const { results } = await run.env.DB.prepare("SELECT symbol, version FROM models").all<{ symbol: string; version: string }>();
  const catalogued = new Set(results.map((row) => `${row.symbol}/${row.version}`));
  const keys: string[] = [];
  const versions = new Set<string>();
  for (const key of listed) {
    const match = MODEL_KEY.exec(key);
    if (match === null) continue;
    const owner = `${match[1]}/${match[2]}`;
    if (catalogued.has(owner)) continue;
    keys.push(key);
    versions.add(owner);
  }
  return { keys, versions: [...versions].sort() };
}

/** Backup files (`backups/<id>/…`) whose id has no row in D1 `backups`, or a row saying the backup was deleted. */
async function backupOrphans(run: TaskRun<"system_cleanup">, beforeMs: number): Promise<{ keys: string[]; ids: string[] }> {
  const listed = await listOlderObjects(run.env.BACKUPS, BACKUPS_ROOT, beforeMs, run.signal);
  const { results } = await run.env.DB.prepare("SELECT id, status FROM backups").all<{ id: string; status: string }>();
  const registered = new Set(results.filter((row) => row.status !== "deleted").map((row) => row.id));
  const retired = new Set(results.filter((row) => row.status === "deleted").map((row) => row.id));
  const candidates = new Map<string, string[]>();
  for (const key of listed) {
    const id = backupIdOfKey(key);
    if (id === null || registered.has(id)) continue;
    candidates.set(id, [...(candidates.get(id) ?? []), key]);
  }
  const keys: string[] = [];
  const ids: string[] = [];
  for (const [id, idKeys] of candidates) {
    // A complete backup the registry does not know (the database was lost or restored from an older backup) may be
    // the only copy left: it stays. Orphans are folders retention retired and uploads that never wrote a manifest.
    if (!retired.has(id) && (await run.env.BACKUPS.head(`${BACKUPS_ROOT}${id}/manifest.json`)) !== null) continue;
    keys.push(...idKeys);
    ids.push(id);
  }
  return { keys, ids: ids.sort() };
}

/**
 * Result: `{ dryRun, cutoffs, deleted: { tasks, taskEvents, … , modelObjects, backupObjects }, instruments: { <symbol>:
 * { ticks, featureRows, signals } }, orphans: { models: ["<symbol>/<version>"], backups: [<id>] } }`; with `dryRun`
 * the counts are what would be deleted. Re-running is harmless: whatever a failed run left is found again.
 */
export const runSystemCleanup: TaskProcessor<"system_cleanup"> = async (run) => {
  const { env, payload, nowMs } = run;
  const platform = platformOf(env);
  const tokenGraceMs = platform.config.auth.clockToleranceS * 1000;
  const cutoffs = {
    tasksFinishedBeforeMs: nowMs - payload.taskRetentionDays * DAY_MS,
    healthCheckedBeforeMs: nowMs - payload.healthRetentionDays * DAY_MS,
    auditBeforeMs: nowMs - payload.auditRetentionDays * DAY_MS,
    notificationsBeforeMs: nowMs - payload.notificationRetentionDays * DAY_MS,
    // A token is honoured up to the clock tolerance past its expiry: its revocation must outlive that.
    tokensExpiredBeforeMs: nowMs - tokenGraceMs,
    orphansUploadedBeforeMs: nowMs - ORPHAN_MIN_AGE_MS,
  };
  const deleted: CleanupCounts = {
    tasks: 0, taskEvents: 0, taskDependencies: 0, healthChecks: 0, auditLog: 0, notificationDeliveries: 0, revokedAccessTokens: 0,
    refreshTokens: 0, ticks: 0, featureRows: 0, signals: 0, modelObjects: 0, backupObjects: 0,
  };

  await cleanTasks(run, cutoffs.tasksFinishedBeforeMs, deleted);
  deleted.healthChecks = await cleanRows(run, "health_checks", "checked_at_ms < ?", cutoffs.healthCheckedBeforeMs);
  deleted.auditLog = await cleanRows(run, "audit_log", "at_ms < ?", cutoffs.auditBeforeMs);
  deleted.notificationDeliveries = await cleanRows(run, "notification_deliveries", "at_ms < ?", cutoffs.notificationsBeforeMs);
  deleted.revokedAccessTokens = await cleanRows(run, "revoked_access_tokens", "expires_at_ms < ?", cutoffs.tokensExpiredBeforeMs);
  deleted.refreshTokens = await cleanRows(run, "refresh_tokens", "expires_at_ms < ?", cutoffs.tokensExpiredBeforeMs);

  const instruments: Record<string, { ticks: number; featureRows: number; signals: number }> = {};
  for (const { symbol } of platform.instruments.list()) {
    run.signal.throwIfAborted();
    const counts = await instrumentStub(env, symbol).applyRetention(payload.dryRun);
    instruments[symbol] = counts;
    deleted.ticks += counts.ticks;
    deleted.featureRows += counts.featureRows;
    deleted.signals += counts.signals;
  }

  const models = await modelOrphans(run, cutoffs.orphansUploadedBeforeMs);
  await deleteObjects(env.MODELS, models.keys, payload.dryRun, run.signal);
  deleted.modelObjects = models.keys.length;
  const backups = await backupOrphans(run, cutoffs.orphansUploadedBeforeMs);
  await deleteObjects(env.BACKUPS, backups.keys, payload.dryRun, run.signal);
  deleted.backupObjects = backups.keys.length;

  run.log.info(payload.dryRun ? "cleanup dry run" : "cleanup done", { ...deleted, orphanModels: models.versions, orphanBackups: backups.ids });
  return { dryRun: payload.dryRun, cutoffs, deleted, instruments, orphans: { models: models.versions, backups: backups.ids } };
};
