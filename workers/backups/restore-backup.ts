/**
 * Restoring a backup into an empty D1 database.
 *
 * Order of checks, all before anything is written: the backup verifies (every file present, sizes, hashes and rows
 * as the manifest says, the manifest as the registry recorded it) — else UnprocessableError (422) listing the
 * problems; the database's tables take the backup's columns — else 422 naming the differences; the database is empty
 * — every table of the backup without rows, except the bootstrap tables (core/backups/restore-plan.ts) the operator's
 * login writes — else ConflictError (409) naming the tables that hold rows.
 *
 * Then the bootstrap rows are deleted and every table's rows inserted, parents before children, with multi-row
 * INSERTs of at most 100 bound parameters sent STATEMENTS_PER_BATCH at a time through `DB.batch`; model files the
 * MODELS bucket lacks are copied back; the registry is reconciled with the BACKUPS bucket (reconcile.ts).
 *
 * NOT ATOMIC: each batch is a transaction, the restore as a whole is not. A failure midway (a lost connection, a
 * Worker limit) leaves a partial restore; wipe the database (drop the tables and apply the migrations again) and run
 * the restore again. Durable Object storage — ticks, bars, the account book — is not in D1 and not in a backup; the
 * instruments rebuild from new ticks and the account starts from its configured balance. The login that ran the
 * restore is replaced by the backup's users: log in again afterwards.
 */
import { BOOTSTRAP_TABLES, insertStatements, nonEmptyTables, quoteIdentifier, restoreOrder, rowsPerInsert, schemaMismatches, type SqlStatement } from "../../core/backups/restore-plan.js";
import type { BackupManifest, BackupTableFile } from "../../core/backups/manifest.js";
import type { SqlRow } from "../../core/backups/ndjson.js";
import { ConflictError, UnprocessableError } from "../../core/errors/app-error.js";
import type { RestoreResult } from "../../core/schemas/backups.js";
import { db } from "../db/client.js";
import { describeError, type Logger } from "../log.js";
import { listTables, rowCounts, schemaVersion } from "./d1-catalog.js";
import { gzipNdjsonRows } from "./r2-files.js";
import { reconcileRegistry } from "./reconcile.js";
import { recordRestored } from "./registry.js";
import { verifyBackup } from "./verify-backup.js";

/** INSERT statements per `DB.batch` call: few round trips, each batch small enough to stay well within D1's limits. */
export const STATEMENTS_PER_BATCH = 50;


/**
 * Restores backup `id` into this database (see the module doc for the checks, the order and what is not covered).
 * @example const outcome = await restoreBackup(env, "bkp_20260503T020000Z_1a2b3c4d", Date.now(), log);
 */
export async function restoreBackup(env: Env, id: string, nowMs: number, log: Logger): Promise<RestoreResult> {
  const startedMs = Date.now();
  const verified = await verifyBackup(env, id, nowMs);
  const { verification, manifest, manifestSha256 } = verified;
  if (verification.status !== "ok" || manifest === null || manifestSha256 === null) {
    throw new UnprocessableError(`backup ${id} is corrupt (${verification.problems.length} problems): nothing was restored`, {
      details: { problems: verification.problems },
    });
  }

  const target = await listTables(env.DB);
  const databaseVersion = await schemaVersion(env.DB);
  const mismatches = schemaMismatches(manifest.tables, target.map((t) => ({ name: t.name, columns: t.columns })));
  if (mismatches.length > 0) {
    throw new UnprocessableError(`the database's tables do not take backup ${id}'s rows: migrate it to ${manifest.schemaVersion} first; nothing was restored`, {
      details: { backupSchemaVersion: manifest.schemaVersion, databaseSchemaVersion: databaseVersion, mismatches },
    });
  }

  const files = new Map(manifest.tables.map((t) => [t.name, t]));
  const before = await rowCounts(env.DB, [...files.keys()]);
  const occupied = nonEmptyTables(before);
  if (occupied.length > 0) {
    throw new ConflictError(`the database is not empty (${occupied.join(", ")} hold rows): restore only into an empty database; nothing was restored`, {
      details: { tables: occupied.map((name) => ({ name, rows: before.get(name) ?? 0 })) },
    });
  }

  // The target's foreign keys decide the order: they are what the inserts must satisfy.
  const order = restoreOrder(target.filter((t) => files.has(t.name)));
  const replaced = order.filter((name) => BOOTSTRAP_TABLES.includes(name) && (before.get(name) ?? 0) > 0);
  const restoreLog = log.child({ backupId: id });
  restoreLog.warn("restore started", { tables: order.length, rows: manifest.tables.reduce((s, t) => s + t.rows, 0), replacing: replaced });

  const sender = new BatchSender(env.DB);
  // Children first, so no foreign key is left pointing at a deleted row.
  if (replaced.length > 0) await env.DB.batch([...replaced].reverse().map((name) => env.DB.prepare(`DELETE FROM ${quoteIdentifier(name)}`)));
  try {
    for (const name of order) {
      const file = files.get(name) as BackupTableFile;
      await insertTable(env, file, verified.etags.get(file.key) ?? "", sender);
    }
    await sender.flush();
  } catch (error: unknown) {
    restoreLog.error("restore failed midway: the database holds a partial restore; wipe it and restore again", { ...describeError(error), statements: sender.statements, batches: sender.batches });
    throw error;
  }

  const after = await rowCounts(env.DB, order);
  const short = order.filter((name) => after.get(name) !== files.get(name)?.rows);
  if (short.length > 0) {
    throw new Error(`restore of ${id} ended with row counts that differ from the manifest in ${short.join(", ")}`, {
      cause: short.map((name) => ({ name, expected: files.get(name)?.rows, actual: after.get(name) })),
    });
  }

  const modelFiles = await restoreModelFiles(env, manifest, verified.etags);
  const restoredAtMs = Date.now();
  await recordRestored(db(env), { manifest, manifestSha256, completedAtMs: verified.completedAtMs ?? restoredAtMs, restoredAtMs });
  const registry = await reconcileRegistry(env, id).catch((error: unknown) => {
    restoreLog.error("reconciling the restored backup registry with the bucket failed", describeError(error));
    return null;
  });
  const tables = order.map((name) => ({ name, rows: after.get(name) ?? 0, replacedRows: replaced.includes(name) ? (before.get(name) ?? 0) : 0 }));
  const outcome: RestoreResult = {
    backupId: id,
    schemaVersion: { backup: manifest.schemaVersion, database: databaseVersion },
    tables,
    rows: tables.reduce((s, t) => s + t.rows, 0),
    statements: sender.statements,
    batches: sender.batches,
    modelFiles,
    restoredAtMs,
    durationMs: Date.now() - startedMs,
    verification,
    registry,
  };
  restoreLog.warn("restore completed", { rows: outcome.rows, statements: outcome.statements, batches: outcome.batches, durationMs: outcome.durationMs });
  return outcome;
}

/** Streams one table file (exactly the version verified: `etag`) into multi-row INSERTs. */
async function insertTable(env: Env, file: BackupTableFile, etag: string, sender: BatchSender): Promise<void> {
  const object = await env.BACKUPS.get(file.key, { onlyIf: { etagMatches: etag } });
  if (object === null || !("body" in object)) {
    throw new UnprocessableError(`${file.key} changed or vanished after it was verified: the restore stopped midway; wipe the database and restore again`, { details: { key: file.key } });
  }
  const perStatement = rowsPerInsert(file.columns.length);
  let pending: SqlRow[] = [];
  for await (const row of gzipNdjsonRows(object.body, file.columns)) {
    pending.push(row);
    if (pending.length === perStatement) {
      await sender.add(insertStatements(file.name, file.columns, pending));
      pending = [];
    }
  }
  if (pending.length > 0) await sender.add(insertStatements(file.name, file.columns, pending));
}

/**
 * Puts back the model files the MODELS bucket lacks (a new bucket, or files lost since), from exactly the verified
 * copies. A file MODELS still has is left alone: model files are written once and never change.
 */
async function restoreModelFiles(env: Env, manifest: BackupManifest, etags: ReadonlyMap<string, string>): Promise<{ copied: number; present: number }> {
  let copied = 0;
  let present = 0;
  for (const file of manifest.models) {
    if ((await env.MODELS.head(file.sourceKey)) !== null) {
      present++;
      continue;
    }
    const copy = await env.BACKUPS.get(file.key, { onlyIf: { etagMatches: etags.get(file.key) ?? "" } });
    if (copy === null || !("body" in copy)) throw new UnprocessableError(`${file.key} changed or vanished after it was verified`, { details: { key: file.key } });
    await env.MODELS.put(file.sourceKey, await copy.arrayBuffer(), { sha256: file.sha256, httpMetadata: copy.httpMetadata, customMetadata: copy.customMetadata });
    copied++;
  }
  return { copied, present };
}

/** Collects statements and sends them STATEMENTS_PER_BATCH per `DB.batch`, counting both. */
class BatchSender {
  private queued: D1PreparedStatement[] = [];
  statements = 0;
  batches = 0;

  constructor(private readonly database: D1Database) {}

  async add(statements: readonly SqlStatement[]): Promise<void> {
    for (const s of statements) this.queued.push(this.database.prepare(s.sql).bind(...s.binds));
    if (this.queued.length >= STATEMENTS_PER_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    await this.database.batch(batch);
    this.statements += batch.length;
    this.batches += 1;
  }
}
