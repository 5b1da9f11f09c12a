/**
 * Taking a backup: every D1 table to `backups/<id>/tables/<table>.ndjson.gz` (gzip NDJSON, paged by rowid), the model
 * files from MODELS to `backups/<id>/models/...`, then `manifest.json` last — a backup without a manifest is never
 * restorable — and the registry row from running to completed (or failed, its partial files deleted).
 *
 * Not a point-in-time snapshot: D1 offers no read transaction spanning many queries. Each table's export stops at
 * the rowid it had when the backup started (read for all tables in one batch, one transaction), so rows inserted
 * meanwhile are left out; rows updated or deleted meanwhile appear as the export found them. Durable Object storage
 * (ticks, bars, the account book) is not in D1 and not in a backup.
 */
import {
  BACKUP_FORMAT_VERSION,
  formatBackupId,
  manifestJson,
  manifestKey,
  manifestTotals,
  MODELS_ROOT,
  modelCopyKey,
  tableFileKey,
  type BackupManifest,
  type BackupModelFile,
  type BackupTableFile,
} from "../../core/backups/manifest.js";
import { encodeRows } from "../../core/backups/ndjson.js";
import { quoteIdentifier } from "../../core/backups/restore-plan.js";
import { UnprocessableError } from "../../core/errors/app-error.js";
import type { BackupKind } from "../../core/schemas/tasks.js";
import { db } from "../db/client.js";
import { describeError, type Logger } from "../log.js";
import { deleteBackupObjects } from "./bucket.js";
import { listTables, maxRowids, schemaVersion, type CatalogTable } from "./d1-catalog.js";
import { GzipNdjsonWriter, sha256Hex } from "./r2-files.js";
import { insertRunningBackup, markBackupCompleted, markBackupFailed } from "./registry.js";

/** Rows read per query while exporting a table. */
export const EXPORT_PAGE_ROWS = 1_000;

/** The rowid column the export adds to each page to find the next one (removed before writing). */
const CURSOR_COLUMN = "__backup_rowid";

export interface CreateBackupOptions {
  readonly kind: BackupKind;
  readonly includeModels: boolean;
  readonly reason: string | null;
  /** The data_backup task taking it, if any. */
  readonly taskId: string | null;
  /** When the backup starts, epoch ms (its id and createdAtMs). */
  readonly nowMs: number;
  readonly log: Logger;
  /** Stops the backup between pages (a task's timeout); the backup is then recorded as failed. */
  readonly signal?: AbortSignal;
}

export interface CreatedBackup {
  readonly backupId: string;
  readonly manifest: BackupManifest;
  readonly manifestSha256: string;
  readonly tables: number;
  readonly rows: number;
  /** Compressed bytes of the table and model files. */
  readonly bytes: number;
  readonly modelFiles: number;
  readonly durationMs: number;
}

function randomHex8(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("the backup was aborted");
}

/**
 * Takes a backup (see the module doc) and registers it. On any failure the registry row says failed with the error,
 * the partial files are deleted, and the error is thrown again.
 * @example const backup = await createBackup(env, { kind: "manual", includeModels: true, reason: null, taskId: null, nowMs: Date.now(), log });
 */
export async function createBackup(env: Env, options: CreateBackupOptions): Promise<CreatedBackup> {
  const startedMs = Date.now();
  const database = db(env);
  const backupId = formatBackupId(options.nowMs, randomHex8());
  const log = options.log.child({ backupId });
  await insertRunningBackup(database, { id: backupId, kind: options.kind, taskId: options.taskId, reason: options.reason, createdAtMs: options.nowMs });
  try {
    const version = await schemaVersion(env.DB);
    if (version === null) throw new UnprocessableError("the database has no d1_migrations ledger: apply the migrations before taking a backup");
    const catalog = await listTables(env.DB);
    const bounds = await maxRowids(env.DB, catalog.map((t) => t.name));
    const tables: BackupTableFile[] = [];
    for (const table of catalog) {
      throwIfAborted(options.signal);
      tables.push(await exportTable(env, backupId, table, bounds.get(table.name) ?? 0, options.signal));
    }
    const models = options.includeModels ? await copyModelFiles(env, backupId, options.signal) : [];
    const manifest: BackupManifest = { formatVersion: BACKUP_FORMAT_VERSION, id: backupId, kind: options.kind, createdAtMs: options.nowMs, schemaVersion: version, tables, models };
    const text = manifestJson(manifest);
    const manifestSha256 = await sha256Hex(new TextEncoder().encode(text));
    throwIfAborted(options.signal);
    await env.BACKUPS.put(manifestKey(backupId), text, { sha256: manifestSha256, httpMetadata: { contentType: "application/json" } });
    const totals = manifestTotals(manifest);
    await markBackupCompleted(database, backupId, { schemaVersion: version, ...totals, manifestSha256, completedAtMs: Date.now() });
    const durationMs = Date.now() - startedMs;
    log.info("backup completed", { ...totals, durationMs });
    return { backupId, manifest, manifestSha256, ...totals, durationMs };
  } catch (error: unknown) {
    log.error("backup failed", describeError(error));
    await deleteBackupObjects(env.BACKUPS, backupId).catch((cleanup: unknown) => log.error("deleting the failed backup's files failed", describeError(cleanup)));
    await markBackupFailed(database, backupId, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
}

/** One table to its gzip NDJSON file, pages of EXPORT_PAGE_ROWS by rowid up to `maxRowid`. */
async function exportTable(env: Env, backupId: string, table: CatalogTable, maxRowid: number, signal: AbortSignal | undefined): Promise<BackupTableFile> {
  const columns = table.columns.map((c) => c.name);
  if (columns.includes(CURSOR_COLUMN)) throw new Error(`table ${table.name} has a column named ${CURSOR_COLUMN}`);
  const key = tableFileKey(backupId, table.name);
  const file = new GzipNdjsonWriter(env.BACKUPS, key);
  const page = env.DB.prepare(
    `SELECT rowid AS ${CURSOR_COLUMN}, * FROM ${quoteIdentifier(table.name)} WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ${EXPORT_PAGE_ROWS}`,
  );
  let rows = 0;
  try {
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      throwIfAborted(signal);
      const { results } = await page.bind(after, maxRowid).all<Record<string, unknown>>();
      if (results.length === 0) break;
      await file.write(encodeRows(results, columns));
      rows += results.length;
      after = Number(results.at(-1)?.[CURSOR_COLUMN]);
      if (results.length < EXPORT_PAGE_ROWS) break;
    }
    const written = await file.close();
    return { name: table.name, columns, rows, bytes: written.bytes, sha256: written.sha256, key };
  } catch (error: unknown) {
    await file.abort();
    throw error;
  }
}

/** Every object under `models/` in MODELS (ONNX files and their manifests), copied byte for byte with its SHA-256. */
async function copyModelFiles(env: Env, backupId: string, signal: AbortSignal | undefined): Promise<BackupModelFile[]> {
  const copies: BackupModelFile[] = [];
  let cursor: string | undefined;
  do {
    const listing = await env.MODELS.list({ prefix: MODELS_ROOT, cursor });
    for (const listed of listing.objects) {
      throwIfAborted(signal);
      const object = await env.MODELS.get(listed.key);
      // Deleted between the listing and the read: nothing to copy.
      if (object === null) continue;
      const bytes = await object.arrayBuffer();
      const sha256 = await sha256Hex(bytes);
      const key = modelCopyKey(backupId, listed.key);
      await env.BACKUPS.put(key, bytes, { sha256, httpMetadata: object.httpMetadata, customMetadata: object.customMetadata });
      copies.push({ sourceKey: listed.key, key, bytes: bytes.byteLength, sha256 });
    }
    cursor = listing.truncated ? listing.cursor : undefined;
  } while (cursor !== undefined);
  return copies;
}
