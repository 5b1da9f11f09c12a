/**
 * Verification: re-read every file of a backup, re-hash it, decode every row of the table files, and compare with
 * the manifest — and the manifest itself with the SHA-256 the registry recorded when the backup completed. The
 * outcome is recorded on the registry row (when the database has one).
 */
import { manifestKey, type BackupManifest } from "../../core/backups/manifest.js";
import { fileProblems, manifestHashProblem, type BackupProblem } from "../../core/backups/verification.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../core/errors/app-error.js";
import type { BackupVerification } from "../../core/schemas/backups.js";
import { db } from "../db/client.js";
import { readStoredManifest, type StoredManifest } from "./bucket.js";
import { inspectObject } from "./r2-files.js";
import { findBackup, recordVerification, type BackupRow } from "./registry.js";

/** A backup as the registry and the bucket know it. */
export interface LocatedBackup {
  /** Undefined when only the bucket knows it (e.g. restoring into a new database). */
  readonly row: BackupRow | undefined;
  readonly stored: StoredManifest;
}

/** Finds a backup in the registry or the bucket; NotFoundError (404) when neither knows it. */
export async function locateBackup(env: Env, id: string): Promise<LocatedBackup> {
  const [row, stored] = await Promise.all([findBackup(db(env), id), readStoredManifest(env.BACKUPS, id)]);
  if (row === undefined && stored.state === "missing") throw new NotFoundError(`no backup ${id} in the registry or the BACKUPS bucket`, { details: { id } });
  return { row, stored };
}

/** A verification and, when the backup is sound, what a restore needs: the manifest and the etag of each file read. */
export interface VerifiedBackup {
  readonly verification: BackupVerification;
  readonly manifest: BackupManifest | null;
  readonly manifestSha256: string | null;
  /** When the manifest was written, i.e. when the backup completed, epoch ms; null without a manifest. */
  readonly completedAtMs: number | null;
  /** Etag of each file as verified: a restore reads exactly these versions. */
  readonly etags: ReadonlyMap<string, string>;
}

/**
 * Verifies a backup (see the module doc) and records the outcome in the registry. Answers the outcome — a corrupt
 * backup is a finding, not an error. Errors: 404 unknown or deleted by retention; 409 still running; 422 a failed
 * backup (it never wrote a manifest).
 */
export async function verifyBackup(env: Env, id: string, nowMs: number): Promise<VerifiedBackup> {
  const startedMs = Date.now();
  const { row, stored } = await locateBackup(env, id);
  if (stored.state === "missing" && row !== undefined) {
    if (row.status === "deleted") throw new NotFoundError(`backup ${id} was deleted by retention`, { details: { id, status: row.status } });
    if (row.status === "running") throw new ConflictError(`backup ${id} is still running: verify it once it completed`, { details: { id, status: row.status } });
    if (row.status === "failed") throw new UnprocessableError(`backup ${id} failed and holds nothing to verify: ${row.error ?? "no error recorded"}`, { details: { id, status: row.status } });
  }
  const key = manifestKey(id);
  const problems: BackupProblem[] = [];
  const etags = new Map<string, string>();
  let files = 0;
  let rows = 0;
  let bytes = 0;
  let manifest: BackupManifest | null = null;
  if (stored.state === "missing") {
    problems.push({ key, kind: "manifest", expected: row?.manifestSha256 ?? null, actual: null, message: `${key} is missing` });
  } else {
    problems.push(...manifestHashProblem(key, row?.manifestSha256 ?? null, stored.sha256));
    if (stored.state === "invalid") problems.push({ key, kind: "manifest", expected: null, actual: null, message: `${key} is not a valid manifest: ${stored.problem}` });
    else manifest = stored.manifest;
  }
  if (manifest !== null) {
    for (const table of manifest.tables) {
      const seen = await inspectObject(env.BACKUPS, table.key, table.columns);
      files++;
      if (seen !== null) {
        etags.set(table.key, seen.etag);
        bytes += seen.bytes;
        rows += seen.rows ?? 0;
      }
      problems.push(...fileProblems(table, seen === null ? { found: false } : { found: true, ...seen }));
    }
    for (const model of manifest.models) {
      const seen = await inspectObject(env.BACKUPS, model.key);
      files++;
      if (seen !== null) {
        etags.set(model.key, seen.etag);
        bytes += seen.bytes;
      }
      problems.push(...fileProblems(model, seen === null ? { found: false } : { found: true, ...seen }));
    }
  }
  const verification: BackupVerification = {
    backupId: id,
    status: problems.length === 0 ? "ok" : "corrupt",
    checkedAtMs: nowMs,
    durationMs: Date.now() - startedMs,
    manifestSha256: stored.state === "missing" ? null : stored.sha256,
    files,
    rows,
    bytes,
    problems,
  };
  if (row !== undefined) {
    await recordVerification(db(env), id, { atMs: nowMs, status: verification.status, detail: { files, rows, bytes, problems } });
  }
  return {
    verification,
    manifest: problems.length === 0 ? manifest : null,
    manifestSha256: verification.manifestSha256,
    completedAtMs: stored.state === "valid" ? stored.uploadedAtMs : null,
    etags,
  };
}
