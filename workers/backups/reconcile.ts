/**
 * After a restore the registry is the backup's copy: it predates the backups taken since and still shows backups that
 * retention deleted since. Reconciling brings it back in line with the BACKUPS bucket, which is the truth about what
 * exists: backups only the bucket knows are registered, completed ones whose manifest is gone become deleted, and
 * ones that were running at export time become completed (manifest present) or failed (absent).
 */
import { manifestTotals } from "../../core/backups/manifest.js";
import { db } from "../db/client.js";
import { backups } from "../db/schema.js";
import { backupIdsInBucket, readStoredManifest } from "./bucket.js";
import { liveBackups, markBackupCompleted, markBackupDeleted, markBackupFailed, registeredIds } from "./registry.js";

export interface RegistryReconciliation {
  /** Backups in the bucket the registry did not know, now registered as completed. */
  readonly registered: string[];
  /** Running at export time, completed since. */
  readonly completed: string[];
  /** Running at export time, never completed. */
  readonly failed: string[];
  /** Completed at export time, deleted by retention since. */
  readonly deleted: string[];
}

/** Reconciles the registry with the bucket (see the module doc), leaving `exceptId` (the restored backup) alone. */
export async function reconcileRegistry(env: Env, exceptId: string): Promise<RegistryReconciliation> {
  const database = db(env);
  const outcome: RegistryReconciliation = { registered: [], completed: [], failed: [], deleted: [] };
  for (const row of await liveBackups(database)) {
    if (row.id === exceptId) continue;
    const stored = await readStoredManifest(env.BACKUPS, row.id);
    if (stored.state === "valid" && row.status === "running") {
      await markBackupCompleted(database, row.id, {
        schemaVersion: stored.manifest.schemaVersion,
        ...manifestTotals(stored.manifest),
        manifestSha256: stored.sha256,
        completedAtMs: stored.uploadedAtMs,
      });
      outcome.completed.push(row.id);
    } else if (stored.state === "missing" && row.status === "running") {
      await markBackupFailed(database, row.id, "interrupted: still running in the restored registry, and it never wrote a manifest");
      outcome.failed.push(row.id);
    } else if (stored.state === "missing" && row.status === "completed") {
      await markBackupDeleted(database, row.id);
      outcome.deleted.push(row.id);
    }
  }
  const inBucket = await backupIdsInBucket(env.BACKUPS);
  const known = await registeredIds(database, inBucket);
  for (const id of inBucket.filter((i) => !known.has(i) && i !== exceptId)) {
    const stored = await readStoredManifest(env.BACKUPS, id);
    // Folders without a valid manifest are partial writes; listing them as backups would promise a restore they cannot give.
    if (stored.state !== "valid") continue;
    await database
      .insert(backups)
      .values({
        id,
        kind: stored.manifest.kind,
        status: "completed",
        schemaVersion: stored.manifest.schemaVersion,
        ...manifestTotals(stored.manifest),
        manifestSha256: stored.sha256,
        createdAtMs: stored.manifest.createdAtMs,
        completedAtMs: stored.uploadedAtMs,
      })
      .onConflictDoNothing();
    outcome.registered.push(id);
  }
  return outcome;
}
