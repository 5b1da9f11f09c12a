/**
 * The task system's boundary: task types and their payloads (validated per type), statuses, the TASKS queue message,
 * the API's requests and answers, and the training hand-off with the Node trainer daemon.
 */
import { z } from "zod";
import { MODEL_KINDS } from "../ml/index.js";
import { MAX_HORIZON_BARS } from "../ml/labels.js";
import { QueryTimestampSchema, SymbolSchema } from "./common.js";

// ---------------------------------------------------------------------------------------------------------------
// Types, statuses, priorities

export const TASK_TYPES = [
  "model_training",
  "model_deploy",
  "model_evaluation",
  "data_backup",
  "health_check",
  "system_cleanup",
  "database_maintenance",
  "backtest",
  "notification",
] as const;
export const TaskTypeSchema = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof TaskTypeSchema>;

/**
 * pending: waits for dependencies · queued: runnable (a queue message is on its way, or a trainer may claim it) ·
 * running: claimed under a lease · succeeded · failed: a permanent failure or a failed dependency · dead: retries
 * exhausted or dead-lettered · cancelled.
 */
export const TASK_STATUSES = ["pending", "queued", "running", "succeeded", "failed", "dead", "cancelled"] as const;
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** Statuses a task never leaves on its own (only a manual retry moves it again). */
export const TERMINAL_TASK_STATUSES = ["succeeded", "failed", "dead", "cancelled"] as const satisfies readonly TaskStatus[];
export type TerminalTaskStatus = (typeof TERMINAL_TASK_STATUSES)[number];

export function isTerminal(status: TaskStatus): status is TerminalTaskStatus {
  return (TERMINAL_TASK_STATUSES as readonly TaskStatus[]).includes(status);
}

/** Priority 0 (lowest) to 9 (highest): higher runs first. */
export const TaskPrioritySchema = z.number().int().min(0).max(9).describe("0 (lowest) to 9 (highest); higher runs first");

/** What a failed dependency does to its dependents: fail them (status failed) or cancel them. */
export const DependencyPolicySchema = z.enum(["fail", "cancel"]).describe("What a failed dependency does to this task");
export type DependencyPolicy = z.infer<typeof DependencyPolicySchema>;

/** How a failure is classified: retryable (retried with backoff), permanent (never retried), timeout (retried). */
export const FAILURE_CLASSES = ["retryable", "permanent", "timeout"] as const;
export const FailureClassSchema = z.enum(FAILURE_CLASSES);
export type FailureClass = z.infer<typeof FailureClassSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Payloads, one schema per type

const MAX_BACKTEST_RANGE_MS = 14 * 86_400_000;

export const ModelTrainingPayloadSchema = z.strictObject({
  symbol: SymbolSchema,
  timeframe: z.literal("M1").default("M1").describe("Bar timeframe the model reads (the feature spec's)"),
  horizonBars: z.number().int().min(1).max(MAX_HORIZON_BARS).default(15).describe("Label horizon, bars"),
  model: z.enum(MODEL_KINDS).default("gbdt"),
  trials: z.number().int().min(1).max(200).default(20).describe("Random-search trials per model family"),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  fromMs: z.number().int().nonnegative().optional().describe("First bar to train on, epoch ms (default: all history)"),
  toMs: z.number().int().nonnegative().optional().describe("Last bar to train on, epoch ms (default: the newest closed bar)"),
  deploy: z.boolean().default(true).describe("When the trained model passes the promotion gate, create a model_deploy task"),
  reason: z.string().min(1).max(500).default("manual").describe("Why it trains, e.g. live degradation"),
}).refine((p) => p.fromMs === undefined || p.toMs === undefined || p.toMs > p.fromMs, { message: "toMs must be after fromMs", path: ["toMs"] });
export type ModelTrainingPayload = z.infer<typeof ModelTrainingPayloadSchema>;

export const ModelDeployPayloadSchema = z.strictObject({
  modelId: z.number().int().positive(),
  reason: z.string().min(1).max(500).default("task"),
});
export type ModelDeployPayload = z.infer<typeof ModelDeployPayloadSchema>;

export const ModelEvaluationPayloadSchema = z.strictObject({
  symbols: z.array(SymbolSchema).max(50).optional().describe("Instruments to evaluate (default: every instrument with a champion)"),
});
export type ModelEvaluationPayload = z.infer<typeof ModelEvaluationPayloadSchema>;

export const BACKUP_KINDS = ["scheduled", "manual", "emergency"] as const;
export const BackupKindSchema = z.enum(BACKUP_KINDS);
export type BackupKind = z.infer<typeof BackupKindSchema>;

export const DataBackupPayloadSchema = z.strictObject({
  kind: BackupKindSchema.default("manual"),
  includeModels: z.boolean().default(true).describe("Copy the model files (ONNX and manifests) too"),
  reason: z.string().min(1).max(500).optional(),
});
export type DataBackupPayload = z.infer<typeof DataBackupPayloadSchema>;

export const HealthCheckPayloadSchema = z.strictObject({
  trigger: z.enum(["cron", "api", "remediation"]).default("api"),
});
export type HealthCheckPayload = z.infer<typeof HealthCheckPayloadSchema>;

export const SystemCleanupPayloadSchema = z.strictObject({
  taskRetentionDays: z.number().int().min(1).max(3_650).default(30).describe("Finished tasks and their events older than this are deleted"),
  healthRetentionDays: z.number().int().min(1).max(3_650).default(30).describe("Health-check history kept"),
  auditRetentionDays: z.number().int().min(1).max(3_650).default(365).describe("Audit log kept"),
  notificationRetentionDays: z.number().int().min(1).max(3_650).default(30).describe("Notification delivery records kept"),
  dryRun: z.boolean().default(false).describe("Count what would be deleted without deleting"),
});
export type SystemCleanupPayload = z.infer<typeof SystemCleanupPayloadSchema>;

export const DatabaseMaintenancePayloadSchema = z.strictObject({
  integrityCheck: z.boolean().default(true).describe("Run PRAGMA quick_check"),
});
export type DatabaseMaintenancePayload = z.infer<typeof DatabaseMaintenancePayloadSchema>;

export const BacktestPayloadSchema = z
  .strictObject({
    symbol: SymbolSchema,
    fromMs: z.number().int().nonnegative(),
    toMs: z.number().int().nonnegative(),
    initialBalanceUsd: z.number().positive().max(1e12).default(100_000),
  })
  .refine((p) => p.toMs > p.fromMs, { message: "toMs must be after fromMs", path: ["toMs"] })
  .refine((p) => p.toMs - p.fromMs <= MAX_BACKTEST_RANGE_MS, {
    message: "a backtest task covers at most 14 days (run longer ones with npm run backtest)",
    path: ["toMs"],
  });
export type BacktestPayload = z.infer<typeof BacktestPayloadSchema>;

export const NOTIFICATION_SEVERITIES = ["info", "warning", "critical"] as const;
export const NotificationSeveritySchema = z.enum(NOTIFICATION_SEVERITIES);
export type NotificationSeverity = z.infer<typeof NotificationSeveritySchema>;

/** Event names notifications are routed by, e.g. task.dead, health.critical, backup.failed. */
export const NotificationEventSchema = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, "dotted lower-case event name, e.g. task.dead");

export const NotificationPayloadSchema = z.strictObject({
  event: NotificationEventSchema,
  severity: NotificationSeveritySchema.default("info"),
  title: z.string().min(1).max(200),
  message: z.string().min(1).max(4_000),
  data: z.record(z.string(), z.unknown()).optional().describe("Structured context sent to webhooks"),
});
export type NotificationPayload = z.infer<typeof NotificationPayloadSchema>;

export const TASK_PAYLOAD_SCHEMAS = {
  model_training: ModelTrainingPayloadSchema,
  model_deploy: ModelDeployPayloadSchema,
  model_evaluation: ModelEvaluationPayloadSchema,
  data_backup: DataBackupPayloadSchema,
  health_check: HealthCheckPayloadSchema,
  system_cleanup: SystemCleanupPayloadSchema,
  database_maintenance: DatabaseMaintenancePayloadSchema,
  backtest: BacktestPayloadSchema,
  notification: NotificationPayloadSchema,
} as const satisfies Record<TaskType, z.ZodType>;

export type TaskPayloads = { [T in TaskType]: z.infer<(typeof TASK_PAYLOAD_SCHEMAS)[T]> };

/** A payload checked against its type's schema (defaults filled in); throws a ZodError otherwise. */
export function parseTaskPayload<T extends TaskType>(type: T, payload: unknown): TaskPayloads[T] {
  return TASK_PAYLOAD_SCHEMAS[type].parse(payload ?? {}) as TaskPayloads[T];
}

// ---------------------------------------------------------------------------------------------------------------
// The queue message: a task id only. D1 holds the task; the message only says "look at it now".

export const TaskMessageSchema = z.strictObject({
  taskId: z.string().regex(/^tsk_[0-9a-f]{32}$/, "a task id"),
});
export type TaskMessage = z.infer<typeof TaskMessageSchema>;

export const TaskIdSchema = z.string().regex(/^tsk_[0-9a-f]{32}$/, "a task id such as tsk_0123… (32 hex digits)");

// ---------------------------------------------------------------------------------------------------------------
// Records

export const TaskErrorSchema = z.object({
  class: FailureClassSchema,
  name: z.string(),
  message: z.string(),
  attempt: z.number().int().nonnegative(),
  willRetry: z.boolean(),
  nextDelayS: z.number().int().nonnegative().nullable().describe("Delay before the retry, seconds"),
});
export type TaskError = z.infer<typeof TaskErrorSchema>;

export const TaskRecordSchema = z.object({
  id: TaskIdSchema,
  type: TaskTypeSchema,
  status: TaskStatusSchema,
  priority: TaskPrioritySchema,
  payload: z.record(z.string(), z.unknown()),
  dependsOn: z.array(TaskIdSchema),
  dependencyPolicy: DependencyPolicySchema,
  attempts: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
  runAfterMs: z.number().int(),
  timeoutMs: z.number().int().positive(),
  leaseOwner: z.string().nullable(),
  leaseExpiresAtMs: z.number().int().nullable(),
  result: z.unknown().nullable(),
  error: TaskErrorSchema.nullable(),
  parentTaskId: TaskIdSchema.nullable().describe("The task whose completion created this one (follow-up rules)"),
  dedupeKey: z.string().nullable(),
  createdBy: z.string(),
  createdAtMs: z.number().int(),
  updatedAtMs: z.number().int(),
  startedAtMs: z.number().int().nullable().describe("Start of the latest attempt"),
  finishedAtMs: z.number().int().nullable(),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

export const TASK_EVENT_KINDS = [
  "created",
  "queued",
  "claimed",
  "heartbeat",
  "succeeded",
  "retry_scheduled",
  "failed",
  "dead",
  "cancelled",
  "lease_expired",
  "requeued",
  "dependency_failed",
  "result_discarded",
  "manual_retry",
  "follow_up",
] as const;
export const TaskEventKindSchema = z.enum(TASK_EVENT_KINDS);
export type TaskEventKind = z.infer<typeof TaskEventKindSchema>;

export const TaskEventSchema = z.object({
  id: z.number().int(),
  taskId: TaskIdSchema,
  atMs: z.number().int(),
  kind: TaskEventKindSchema,
  fromStatus: TaskStatusSchema.nullable(),
  toStatus: TaskStatusSchema.nullable(),
  attempt: z.number().int().nonnegative(),
  actor: z.string().describe("Who acted: consumer:<invocation>, trainer:<name>, user or key, cron, sweeper"),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;

// ---------------------------------------------------------------------------------------------------------------
// API

export const CreateTaskRequestSchema = z
  .strictObject({
    type: TaskTypeSchema,
    payload: z.record(z.string(), z.unknown()).default({}).describe("Validated against the type's schema"),
    priority: TaskPrioritySchema.optional().describe("Default: the type's"),
    dependsOn: z.array(TaskIdSchema).max(50).default([]),
    dependencyPolicy: DependencyPolicySchema.default("cancel"),
    maxAttempts: z.number().int().min(1).max(10).optional().describe("Default: the type's; at most 10 (the queue dead-letters a message after 10 retries)"),
    timeoutMs: z.number().int().min(1_000).max(6 * 3_600_000).optional().describe("Default: the type's"),
    runAfter: z.number().int().nonnegative().optional().describe("Earliest start, epoch ms"),
    dedupeKey: z.string().min(1).max(200).optional().describe("A second task with the same key answers the first"),
  })
  .refine((r) => new Set(r.dependsOn).size === r.dependsOn.length, { message: "dependsOn names a task twice", path: ["dependsOn"] });
export type CreateTaskRequest = z.infer<typeof CreateTaskRequestSchema>;

export const TaskListQuerySchema = z.object({
  status: TaskStatusSchema.optional(),
  type: TaskTypeSchema.optional(),
  since: QueryTimestampSchema.optional().describe("Created at or after"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^\d{1,15}:tsk_[0-9a-f]{32}$/, "the nextBefore of the previous page").optional().describe("Keyset cursor: the nextBefore of the previous page"),
});

export const TaskPageSchema = z.object({
  tasks: z.array(TaskRecordSchema).describe("Newest first"),
  nextBefore: z.string().nullable(),
});

export const TaskDetailSchema = z.object({ task: TaskRecordSchema, events: z.array(TaskEventSchema).describe("Oldest first") });

export const TaskAnalyticsQuerySchema = z.object({
  since: QueryTimestampSchema.optional().describe("Tasks created at or after (default: 7 days ago)"),
});

export const TaskTypeAnalyticsSchema = z.object({
  type: TaskTypeSchema,
  total: z.number().int(),
  byStatus: z.record(TaskStatusSchema, z.number().int()),
  successRate: z.number().nullable().describe("succeeded / (succeeded + failed + dead); null before any finished"),
  attempts: z.object({ total: z.number().int(), retried: z.number().int().describe("Tasks that needed more than one attempt") }),
  durationMs: z
    .object({ count: z.number().int(), mean: z.number().nullable(), p50: z.number().nullable(), p95: z.number().nullable(), max: z.number().nullable() })
    .describe("Of the succeeded tasks' last attempt"),
  failures: z.record(FailureClassSchema, z.number().int()).describe("Failed attempts by class"),
});

export const TaskAnalyticsSchema = z.object({
  sinceMs: z.number().int(),
  total: z.number().int(),
  byStatus: z.record(TaskStatusSchema, z.number().int()),
  byType: z.array(TaskTypeAnalyticsSchema),
  backlog: z.object({ pending: z.number().int(), queued: z.number().int(), running: z.number().int(), oldestQueuedAgeMs: z.number().nullable() }),
});
export type TaskAnalytics = z.infer<typeof TaskAnalyticsSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Training hand-off (the trainer daemon)

export const TrainingClaimRequestSchema = z.strictObject({
  worker: z.string().regex(/^[A-Za-z0-9._:@-]{1,80}$/).describe("The daemon's name, e.g. host:pid"),
  leaseMs: z.number().int().min(30_000).max(3_600_000).default(300_000).describe("How long the claim holds without a heartbeat"),
});

export const TrainingClaimSchema = z.object({
  task: TaskRecordSchema.nullable().describe("The claimed task, or null when none is waiting"),
  leaseToken: z.string().nullable().describe("Send with heartbeats and the outcome"),
  leaseExpiresAtMs: z.number().int().nullable(),
});
export type TrainingClaim = z.infer<typeof TrainingClaimSchema>;

export const TrainingHeartbeatRequestSchema = z.strictObject({
  leaseToken: z.string().min(1).max(100),
  leaseMs: z.number().int().min(30_000).max(3_600_000).default(300_000),
  progress: z.string().max(500).optional().describe("What the trainer is doing, for the event trail"),
});

export const TrainingCompleteRequestSchema = z.strictObject({
  leaseToken: z.string().min(1).max(100),
  modelId: z.number().int().positive().describe("The registry id of the uploaded model"),
  version: z.string().min(1).max(100),
  summary: z.record(z.string(), z.unknown()).default({}).describe("Training figures for the task result"),
});

export const TrainingFailRequestSchema = z.strictObject({
  leaseToken: z.string().min(1).max(100),
  error: z.string().min(1).max(4_000),
  retryable: z.boolean().default(true),
});

export const TaskLeaseAnswerSchema = z.object({ task: TaskRecordSchema });
