/** The backup registry in D1 (`backups`): one row per backup, from running to completed, failed or deleted. */
import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { manifestTotals, type BackupManifest } from "../../core/backups/manifest.js";
import type { BackupKind } from "../../core/schemas/tasks.js";
import type { BackupRecord, BackupStatus, VerifyStatus } from "../../core/schemas/backups.js";
import type { Db } from "../db/client.js";
import { backups } from "../db/schema.js";

export type BackupRow = typeof backups.$inferSelect;

/** The registry row as the API shows it. */
export function toBackupRecord(row: BackupRow): BackupRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    schemaVersion: row.schemaVersion,
    tables: row.tables,
    rows: row.rows,
    bytes: row.bytes,
    modelFiles: row.modelFiles,
    manifestSha256: row.manifestSha256,
    taskId: row.taskId,
    reason: row.reason,
    createdAtMs: row.createdAtMs,
    completedAtMs: row.completedAtMs,
    verifiedAtMs: row.verifiedAtMs,
    verifyStatus: row.verifyStatus,
    verifyDetail: row.verifyDetail ?? null,
    restoredAtMs: row.restoredAtMs,
    error: row.error,
  };
}

export async function insertRunningBackup(
  database: Db,
  backup: { id: string; kind: BackupKind; taskId: string | null; reason: string | null; createdAtMs: number },
): Promise<void> {
  await database.insert(backups).values({ ...backup, status: "running" });
}

/** What a completed backup wrote. */
export interface CompletedBackup {
  readonly schemaVersion: string;
  readonly tables: number;
  readonly rows: number;
  readonly bytes: number;
  readonly modelFiles: number;
  readonly manifestSha256: string;
  readonly completedAtMs: number;
}

export async function markBackupCompleted(database: Db, id: string, done: CompletedBackup): Promise<void> {
  await database.update(backups).set({ ...done, status: "completed", error: null }).where(eq(backups.id, id));
}

export async function markBackupFailed(database: Db, id: string, error: string): Promise<void> {
  await database.update(backups).set({ status: "failed", error: error.slice(0, 2_000) }).where(eq(backups.id, id));
}

export async function markBackupDeleted(database: Db, id: string): Promise<void> {
  await database.update(backups).set({ status: "deleted" }).where(eq(backups.id, id));
}

export async function findBackup(database: Db, id: string): Promise<BackupRow | undefined> {
  return await database.select().from(backups).where(eq(backups.id, id)).get();
}

/** Backups newest first (creation time, then id), optionally of one status, after the keyset cursor `beforeId`. */
export async function listBackups(database: Db, filter: { status?: BackupStatus; beforeId?: string; limit: number }): Promise<BackupRow[]> {
  const conditions: SQL[] = [];
  if (filter.status !== undefined) conditions.push(eq(backups.status, filter.status));
  if (filter.beforeId !== undefined) {
    conditions.push(sql`(${backups.createdAtMs}, ${backups.id}) < (SELECT b.created_at_ms, b.id FROM backups b WHERE b.id = ${filter.beforeId})`);
  }
  return await database
    .select()
    .from(backups)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(backups.createdAtMs), desc(backups.id))
    .limit(filter.limit);
}

/** Which of `ids` the registry knows. */
export async function registeredIds(database: Db, ids: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let start = 0; start < ids.length; start += 90) {
    const rows = await database.select({ id: backups.id }).from(backups).where(inArray(backups.id, ids.slice(start, start + 90)));
    for (const row of rows) known.add(row.id);
  }
  return known;
}

/** Completed backups beyond the newest `keep`, newest first: the ones retention deletes. */
export async function completedBeyondNewest(database: Db, keep: number): Promise<string[]> {
  // LIMIT -1: SQLite's "no limit", which an OFFSET needs.
  const rows = await database.all<{ id: string }>(
    sql`SELECT ${backups.id} AS id FROM ${backups} WHERE ${backups.status} = 'completed' ORDER BY ${backups.createdAtMs} DESC, ${backups.id} DESC LIMIT -1 OFFSET ${keep}`,
  );
  return rows.map((r) => r.id);
}

export async function recordVerification(database: Db, id: string, outcome: { atMs: number; status: VerifyStatus; detail: Record<string, unknown> }): Promise<void> {
  await database.update(backups).set({ verifiedAtMs: outcome.atMs, verifyStatus: outcome.status, verifyDetail: outcome.detail }).where(eq(backups.id, id));
}

/**
 * After a restore: the restored backup's row says completed (the restored copy of the registry was exported while
 * that very backup was running, or lacks it) with its totals from the manifest, and when it was restored.
 */
export async function recordRestored(
  database: Db,
  restored: { manifest: BackupManifest; manifestSha256: string; completedAtMs: number; restoredAtMs: number },
): Promise<void> {
  const { manifest, manifestSha256, restoredAtMs } = restored;
  const totals = manifestTotals(manifest);
  const done = { status: "completed" as const, schemaVersion: manifest.schemaVersion, ...totals, manifestSha256, restoredAtMs, error: null };
  await database
    .insert(backups)
    .values({ id: manifest.id, kind: manifest.kind, createdAtMs: manifest.createdAtMs, completedAtMs: restored.completedAtMs, ...done })
    .onConflictDoUpdate({ target: backups.id, set: { ...done, completedAtMs: sql`coalesce(${backups.completedAtMs}, ${restored.completedAtMs})` } });
}

/** Rows whose bucket objects may have changed while the registry was away (a restored registry): running and completed ones. */
export async function liveBackups(database: Db): Promise<BackupRow[]> {
  return await database.select().from(backups).where(inArray(backups.status, ["running", "completed"]));
}
