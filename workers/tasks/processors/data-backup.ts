/** The `data_backup` task: take a backup of D1 (and the model files), then apply retention. */
import { createBackup } from "../../backups/create-backup.js";
import { applyRetention } from "../../backups/retention.js";
import { platformOf } from "../../platform.js";
import type { TaskProcessor } from "../processor.js";

/**
 * Takes a backup of the payload's kind (with the model files unless `includeModels` is false), then keeps the newest
 * BACKUP_RETENTION_COUNT completed backups and deletes the others. A failed attempt leaves a failed registry row and
 * no files; the retry takes a new backup. A database without a migration ledger fails permanently (an
 * UnprocessableError, which classifyFailure does not retry).
 * @example await runDataBackup(run) // { backupId: "bkp_…", tables: 20, rows: 5123, bytes: 80213, modelFiles: 2, deleted: [] }
 */
export const runDataBackup: TaskProcessor<"data_backup"> = async ({ env, task, payload, nowMs, signal, log }) => {
  const backup = await createBackup(env, {
    kind: payload.kind,
    includeModels: payload.includeModels,
    reason: payload.reason ?? null,
    taskId: task.id,
    nowMs,
    log,
    signal,
  });
  const retention = await applyRetention(env, platformOf(env).config.tasks.backupRetentionCount, log);
  return {
    backupId: backup.backupId,
    tables: backup.tables,
    rows: backup.rows,
    bytes: backup.bytes,
    modelFiles: backup.modelFiles,
    deleted: retention.deleted,
  };
};
