/** Backup retention: keep the newest N completed backups, delete the files of older ones and mark them deleted. */
import { db } from "../db/client.js";
import type { Logger } from "../log.js";
import { deleteBackupObjects } from "./bucket.js";
import { completedBeyondNewest, markBackupDeleted } from "./registry.js";

export interface RetentionOutcome {
  /** Backups deleted, newest first. */
  readonly deleted: string[];
  /** Objects removed from the BACKUPS bucket. */
  readonly objects: number;
}

/**
 * Deletes every completed backup older than the newest `keep` (by creation time): its objects first, then its
 * registry status becomes `deleted` (a failure in between leaves it completed, so the next run tries again).
 * Running, failed and already deleted backups are not counted.
 * @example await applyRetention(env, platformOf(env).config.tasks.backupRetentionCount, log)
 */
export async function applyRetention(env: Env, keep: number, log: Logger): Promise<RetentionOutcome> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`retention must keep at least one backup, got ${keep}`);
  const database = db(env);
  const deleted: string[] = [];
  let objects = 0;
  for (const id of await completedBeyondNewest(database, keep)) {
    objects += await deleteBackupObjects(env.BACKUPS, id);
    await markBackupDeleted(database, id);
    deleted.push(id);
  }
  if (deleted.length > 0) log.info("backup retention deleted backups", { keep, deleted, objects });
  return { deleted, objects };
}
