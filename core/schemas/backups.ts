/** The backup API's boundary: registry records, list and detail answers, verification and restore. */
import { z } from "zod";
import { BackupIdSchema, BackupManifestSchema } from "../backups/manifest.js";
import { BackupProblemSchema } from "../backups/verification.js";
import { Sha256HexSchema } from "../ml/manifest.js";
import { BackupKindSchema, TaskRecordSchema } from "./tasks.js";

export { BackupIdSchema } from "../backups/manifest.js";

/** running: being written · completed: manifest written last, restorable · failed: abandoned (its files deleted) · deleted: removed by retention. */
export const BACKUP_STATUSES = ["running", "completed", "failed", "deleted"] as const;
export const BackupStatusSchema = z.enum(BACKUP_STATUSES);
export type BackupStatus = z.infer<typeof BackupStatusSchema>;

export const VerifyStatusSchema = z.enum(["ok", "corrupt"]);
export type VerifyStatus = z.infer<typeof VerifyStatusSchema>;

/** A backup as the registry (D1 `backups`) records it. */
export const BackupRecordSchema = z.object({
  id: BackupIdSchema,
  kind: BackupKindSchema,
  status: BackupStatusSchema,
  schemaVersion: z.string().nullable().describe("The newest D1 migration applied when the backup was taken"),
  tables: z.number().int().nullable(),
  rows: z.number().int().nullable(),
  bytes: z.number().int().nullable().describe("Compressed bytes of the table and model files"),
  modelFiles: z.number().int().nullable(),
  manifestSha256: Sha256HexSchema.nullable().describe("SHA-256 of manifest.json as written; verification compares it"),
  taskId: z.string().nullable().describe("The data_backup task that took it"),
  reason: z.string().nullable(),
  createdAtMs: z.number().int(),
  completedAtMs: z.number().int().nullable(),
  verifiedAtMs: z.number().int().nullable(),
  verifyStatus: VerifyStatusSchema.nullable(),
  verifyDetail: z.record(z.string(), z.unknown()).nullable().describe("What the last verification found"),
  restoredAtMs: z.number().int().nullable().describe("When this backup was last restored into this database"),
  error: z.string().nullable().describe("Why it failed"),
});
export type BackupRecord = z.infer<typeof BackupRecordSchema>;

export const BackupIdParamSchema = z.object({ id: BackupIdSchema });

export const BackupListQuerySchema = z.object({
  status: BackupStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: BackupIdSchema.optional().describe("Keyset cursor: the nextBefore of the previous page"),
});

export const BackupPageSchema = z.object({
  backups: z.array(BackupRecordSchema).describe("Newest first"),
  nextBefore: BackupIdSchema.nullable(),
  unregistered: z
    .array(BackupIdSchema)
    .describe("Backups in the BACKUPS bucket with no registry row (e.g. after the database was lost): they can still be verified and restored"),
});

export const BackupDetailSchema = z.object({
  backup: BackupRecordSchema.nullable().describe("Null when only the bucket knows the backup"),
  manifest: BackupManifestSchema.nullable().describe("Null while running, after a failure or retention, or when the stored manifest is unreadable"),
  manifestProblem: z.string().nullable().describe("Why a stored manifest could not be read"),
});

export const CreateBackupRequestSchema = z.strictObject({
  includeModels: z.boolean().default(true).describe("Copy the model files (ONNX and manifests) too"),
  reason: z.string().min(1).max(500).optional(),
});

export const BackupTaskCreatedSchema = z.object({ task: TaskRecordSchema.describe("The data_backup task; its result names the backup") });

/** The outcome of re-reading and re-hashing every file of a backup. */
export const BackupVerificationSchema = z.object({
  backupId: BackupIdSchema,
  status: VerifyStatusSchema,
  checkedAtMs: z.number().int(),
  durationMs: z.number().int().nonnegative(),
  manifestSha256: Sha256HexSchema.nullable().describe("Of the stored manifest.json; null when it is missing"),
  files: z.number().int().describe("Files checked (tables and models)"),
  rows: z.number().int().describe("Rows read back from the table files"),
  bytes: z.number().int().describe("Bytes read"),
  problems: z.array(BackupProblemSchema).describe("Empty when status is ok"),
});
export type BackupVerification = z.infer<typeof BackupVerificationSchema>;

export const RestoreRequestSchema = z.strictObject({
  confirm: z.string().min(1).describe("The backup id again, so that a mistaken call cannot restore"),
});

export const RestoredTableSchema = z.object({
  name: z.string(),
  rows: z.number().int().describe("Rows inserted"),
  replacedRows: z.number().int().describe("Bootstrap rows deleted before inserting (users, tokens, audit log written by the login)"),
});

export const RestoreResultSchema = z.object({
  backupId: BackupIdSchema,
  schemaVersion: z.object({ backup: z.string(), database: z.string().nullable() }),
  tables: z.array(RestoredTableSchema).describe("In restore order"),
  rows: z.number().int(),
  statements: z.number().int().describe("INSERT statements executed"),
  batches: z.number().int().describe("D1 batches sent (each is atomic on its own; the restore as a whole is not)"),
  modelFiles: z
    .object({
      copied: z.number().int().describe("Model files the MODELS bucket lacked, copied back from the backup"),
      present: z.number().int().describe("Model files the MODELS bucket still had (never overwritten)"),
    })
    .describe("The backup's model files put back where the models table expects them"),
  restoredAtMs: z.number().int(),
  durationMs: z.number().int().nonnegative(),
  verification: BackupVerificationSchema,
  registry: z
    .object({
      registered: z.array(BackupIdSchema).describe("Backups only the bucket knew, registered as completed"),
      completed: z.array(BackupIdSchema).describe("Running when the backup was taken, completed since"),
      failed: z.array(BackupIdSchema).describe("Running when the backup was taken, never completed"),
      deleted: z.array(BackupIdSchema).describe("Deleted by retention since the backup was taken"),
    })
    .nullable()
    .describe("How the restored registry was brought in line with the BACKUPS bucket; null when that failed (the data is restored)"),
});
export type RestoreResult = z.infer<typeof RestoreResultSchema>;
