/** D1 tables (drizzle). Migrations are generated from this file with `npm run db:generate`. */
import { sql } from "drizzle-orm";
import { integer, primaryKey, real, sqliteTable, text, index, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { LabelDefinition } from "../../core/ml/labels.js";
import type { FeatureSpecRef } from "../../core/ml/manifest.js";
import type { PromotionDecision } from "../../core/ml/promotion.js";
import type { HeldOutSummary } from "../../core/schemas/registry.js";
import { BACKUP_KINDS, NOTIFICATION_SEVERITIES, TASK_EVENT_KINDS, TASK_STATUSES, TASK_TYPES, type TaskError } from "../../core/schemas/tasks.js";
import { EXIT_REASONS, REGIMES, RISK_EVENT_KINDS } from "../../core/schemas/trading.js";

/** One run of the platform health check and its per-check results. */
export const healthChecks = sqliteTable(
  "health_checks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    checkedAtMs: integer("checked_at_ms").notNull(),
    status: text("status", { enum: ["ok", "degraded", "critical"] }).notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** JSON array of { name, status, detail, latencyMs }. */
    results: text("results", { mode: "json" }).notNull(),
  },
  (table) => [index("health_checks_by_time").on(table.checkedAtMs)],
);

/** People who log in. Usernames are stored lower-case; passwords only as PBKDF2 hashes. */
export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  username: text("username").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role", { enum: ["viewer", "trader", "admin"] }).notNull(),
  createdAtMs: integer("created_at_ms").notNull(),
  updatedAtMs: integer("updated_at_ms").notNull(),
  disabledAtMs: integer("disabled_at_ms"),
});

/**
 * Refresh tokens, stored hashed. Each login starts a family; each refresh rotates the token within its family. A
 * rotated token presented again means it was stolen: the whole family is revoked.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id),
    familyId: text("family_id").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAtMs: integer("created_at_ms").notNull(),
    expiresAtMs: integer("expires_at_ms").notNull(),
    rotatedAtMs: integer("rotated_at_ms"),
    revokedAtMs: integer("revoked_at_ms"),
    revokedReason: text("revoked_reason"),
  },
  (table) => [index("refresh_tokens_by_family").on(table.familyId), index("refresh_tokens_by_user").on(table.userId)],
);

/** Access-token ids (jti) revoked before they expire (logout); rows past their expiry can be deleted. */
export const revokedAccessTokens = sqliteTable("revoked_access_tokens", {
  jti: text("jti").primaryKey(),
  expiresAtMs: integer("expires_at_ms").notNull(),
});

/** API keys for bridges and bots, stored hashed; the prefix is shown so people can tell keys apart. */
export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  prefix: text("prefix").notNull().unique(),
  keyHash: text("key_hash").notNull(),
  name: text("name").notNull(),
  role: text("role", { enum: ["viewer", "trader", "admin"] }).notNull(),
  /** JSON array of scopes: read, ingest, trade, models. */
  scopes: text("scopes", { mode: "json" }).notNull().$type<string[]>(),
  createdBy: text("created_by").notNull(),
  createdAtMs: integer("created_at_ms").notNull(),
  lastUsedAtMs: integer("last_used_at_ms"),
  revokedAtMs: integer("revoked_at_ms"),
});

/** Failed logins per user and per IP, for lock-outs that grow with each failure. */
export const loginThrottle = sqliteTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  lastFailureAtMs: integer("last_failure_at_ms").notNull(),
  lockedUntilMs: integer("locked_until_ms").notNull(),
});

/** Every state-changing call: who, what, when, from where, and how it ended. Append-only. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    atMs: integer("at_ms").notNull(),
    actorKind: text("actor_kind", { enum: ["user", "api-key", "anonymous", "system"] }).notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name"),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome", { enum: ["success", "denied", "failed"] }).notNull(),
    status: integer("status").notNull(),
    ip: text("ip"),
    requestId: text("request_id").notNull(),
    details: text("details", { mode: "json" }),
  },
  (table) => [index("audit_log_by_time").on(table.atMs), index("audit_log_by_actor").on(table.actorId, table.atMs)],
);

/**
 * The model registry's catalogue: one row per uploaded model (its files are in the MODELS bucket under
 * `models/<symbol>/<version>/`). A version is unique per symbol because the R2 key has no timeframe. At most one
 * champion and one shadow per symbol and timeframe, enforced by partial unique indexes.
 */
export const models = sqliteTable(
  "models",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    symbol: text("symbol").notNull(),
    timeframe: text("timeframe", { enum: ["M1", "M5", "M15", "H1"] }).notNull(),
    version: text("version").notNull(),
    modelKind: text("model_kind", { enum: ["gbdt", "logistic", "ensemble"] }).notNull(),
    status: text("status", { enum: ["registered", "champion", "shadow", "retired"] }).notNull(),
    /** JSON { name, version, sha256 } of the feature spec the model was trained on. */
    featureSpec: text("feature_spec", { mode: "json" }).notNull().$type<FeatureSpecRef>(),
    inputWidth: integer("input_width").notNull(),
    /** JSON label definition. */
    label: text("label", { mode: "json" }).notNull().$type<LabelDefinition>(),
    /** JSON array of class names by output column. */
    classLabels: text("class_labels", { mode: "json" }).notNull().$type<string[]>(),
    /** JSON held-out scores from the manifest. */
    heldOut: text("held_out", { mode: "json" }).notNull().$type<HeldOutSummary>(),
    parentVersion: text("parent_version"),
    onnxSha256: text("onnx_sha256").notNull(),
    onnxBytes: integer("onnx_bytes").notNull(),
    /** When training finished (the manifest's createdAtMs). */
    createdAtMs: integer("created_at_ms").notNull(),
    uploadedAtMs: integer("uploaded_at_ms").notNull(),
    uploadedBy: text("uploaded_by").notNull(),
    /** When the model last became champion; null if never (so a model leaving a slot is retired, else registered). */
    deployedAtMs: integer("deployed_at_ms"),
  },
  (table) => [
    uniqueIndex("models_symbol_version").on(table.symbol, table.version),
    index("models_by_slot").on(table.symbol, table.timeframe, table.status),
    uniqueIndex("models_one_champion").on(table.symbol, table.timeframe).where(sql`status = 'champion'`),
    uniqueIndex("models_one_shadow").on(table.symbol, table.timeframe).where(sql`status = 'shadow'`),
  ],
);

/**
 * The deployment history: every change of a symbol's serving slots. Append-only. `sequence` numbers the changes of
 * one (symbol, timeframe) from 1; its unique index makes two concurrent changes of the same slots collide, so the
 * later one fails whole instead of acting on state it did not see. Champion events (deploy, force-deploy, rollback)
 * form a stack through `previousChampionEventId`: a rollback returns to the event beneath the current one.
 */
export const modelDeployments = sqliteTable(
  "model_deployments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    symbol: text("symbol").notNull(),
    timeframe: text("timeframe", { enum: ["M1", "M5", "M15", "H1"] }).notNull(),
    sequence: integer("sequence").notNull(),
    event: text("event", { enum: ["deploy", "force-deploy", "shadow", "unshadow", "rollback"] }).notNull(),
    /** The model that became champion or shadow, or stopped shadowing. */
    modelId: integer("model_id").notNull().references(() => models.id),
    /** The champion (or shadow) it replaced; null when the slot was empty. */
    replacedModelId: integer("replaced_model_id").references(() => models.id),
    /** Champion events: the champion event beneath this one, which a rollback restores; null at the bottom. */
    previousChampionEventId: integer("previous_champion_event_id"),
    actor: text("actor").notNull(),
    reason: text("reason"),
    /** JSON promotion decision (deploy, force-deploy, shadow); null for rollback and unshadow. */
    decision: text("decision", { mode: "json" }).$type<PromotionDecision>(),
    atMs: integer("at_ms").notNull(),
  },
  (table) => [
    uniqueIndex("model_deployments_slot_sequence").on(table.symbol, table.timeframe, table.sequence),
    index("model_deployments_by_symbol").on(table.symbol, table.id),
  ],
);

// ---------------------------------------------------------------------------------------------------------------
// Trading records: written only by insertOutboxRecords (workers/db/trading-records.ts) from the Durable Objects'
// outboxes. Ids come from the records themselves and D1 keeps the first copy of an id, so redelivery never duplicates.

/** Closed trades with their post-mortem (core/schemas/trading.ts TradeSchema), one row per closed position. */
export const trades = sqliteTable(
  "trades",
  {
    /** The position's id. */
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    symbol: text("symbol").notNull(),
    side: text("side", { enum: ["buy", "sell"] }).notNull(),
    lots: real("lots").notNull(),
    units: real("units").notNull(),
    entryTsMs: integer("entry_ts_ms").notNull(),
    entryPrice: real("entry_price").notNull(),
    exitTsMs: integer("exit_ts_ms").notNull(),
    exitPrice: real("exit_price").notNull(),
    exitReason: text("exit_reason", { enum: EXIT_REASONS }).notNull(),
    stopPrice: real("stop_price"),
    initialStopPrice: real("initial_stop_price"),
    targetPrice: real("target_price"),
    grossPnlUsd: real("gross_pnl_usd").notNull(),
    commissionUsd: real("commission_usd").notNull(),
    slippageUsd: real("slippage_usd").notNull(),
    netPnlUsd: real("net_pnl_usd").notNull(),
    maeUsd: real("mae_usd").notNull(),
    mfeUsd: real("mfe_usd").notNull(),
    rMultiple: real("r_multiple"),
    holdingMs: integer("holding_ms").notNull(),
    strategy: text("strategy", { enum: ["ema-cross", "model", "manual"] }).notNull(),
    signalTsMs: integer("signal_ts_ms"),
    modelVersion: text("model_version"),
    confidence: real("confidence"),
    regime: text("regime", { enum: REGIMES }).notNull(),
  },
  (table) => [
    // Newest-first keyset paging walks these backwards: (exit time, id) is the cursor.
    index("trades_by_exit").on(table.exitTsMs, table.id),
    index("trades_by_symbol_exit").on(table.symbol, table.exitTsMs, table.id),
  ],
);

/** Fills (FillSchema): each position's open and close. */
export const fills = sqliteTable(
  "fills",
  {
    /** positionId + ':open' or ':close'. */
    id: text("id").primaryKey(),
    positionId: text("position_id").notNull(),
    accountId: text("account_id").notNull(),
    symbol: text("symbol").notNull(),
    side: text("side", { enum: ["buy", "sell"] }).notNull(),
    kind: text("kind", { enum: ["open", "close"] }).notNull(),
    lots: real("lots").notNull(),
    tsMs: integer("ts_ms").notNull(),
    quotePrice: real("quote_price").notNull(),
    price: real("price").notNull(),
    slippageUsd: real("slippage_usd").notNull(),
    commissionUsd: real("commission_usd").notNull(),
    reason: text("reason", { enum: ["entry", ...EXIT_REASONS] }).notNull(),
  },
  (table) => [index("fills_by_position").on(table.positionId)],
);

/** Model signals as the InstrumentDO recorded them (SignalRecordSchema), with the regime of their bar. */
export const signals = sqliteTable(
  "signals",
  {
    /** symbol:timeframe:ts:role:modelVersion. */
    id: text("id").primaryKey(),
    symbol: text("symbol").notNull(),
    timeframe: text("timeframe").notNull(),
    tsMs: integer("ts_ms").notNull(),
    role: text("role", { enum: ["champion", "shadow"] }).notNull(),
    modelVersion: text("model_version").notNull(),
    action: text("action", { enum: ["buy", "sell", "hold"] }).notNull(),
    confidence: real("confidence").notNull(),
    /** JSON object of class name → probability. */
    probabilities: text("probabilities", { mode: "json" }).notNull().$type<Record<string, number>>(),
    regime: text("regime", { enum: REGIMES }).notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (table) => [index("signals_by_symbol_time").on(table.symbol, table.tsMs)],
);

/** Risk events (RiskEventSchema): denials, state changes, breaches, limit edits, emergency stops, resets. */
export const riskEvents = sqliteTable(
  "risk_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    tsMs: integer("ts_ms").notNull(),
    kind: text("kind", { enum: RISK_EVENT_KINDS }).notNull(),
    severity: text("severity", { enum: ["info", "warning", "critical"] }).notNull(),
    symbol: text("symbol"),
    code: text("code"),
    message: text("message").notNull(),
    /** JSON object: the values behind the event. */
    context: text("context", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
  },
  (table) => [
    index("risk_events_by_time").on(table.tsMs, table.id),
    index("risk_events_by_severity_time").on(table.severity, table.tsMs, table.id),
  ],
);

// ---------------------------------------------------------------------------------------------------------------
// The task system (workers/tasks): D1 decides, the TASKS queue only delivers task ids.

/** Tasks: one row per unit of background work, its lease while it runs and its outcome. */
export const tasks = sqliteTable(
  "tasks",
  {
    /** tsk_ + 32 hex digits. */
    id: text("id").primaryKey(),
    type: text("type", { enum: TASK_TYPES }).notNull(),
    status: text("status", { enum: TASK_STATUSES }).notNull(),
    /** 0 (lowest) to 9 (highest). */
    priority: integer("priority").notNull(),
    /** JSON payload, valid for the type's schema (defaults filled in). */
    payload: text("payload", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    dependencyPolicy: text("dependency_policy", { enum: ["fail", "cancel"] }).notNull(),
    attempts: integer("attempts").notNull(),
    maxAttempts: integer("max_attempts").notNull(),
    runAfterMs: integer("run_after_ms").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    /** Random token of the current claim: every outcome must present it, so a stale runner can never write. */
    leaseToken: text("lease_token"),
    leaseOwner: text("lease_owner"),
    leaseExpiresAtMs: integer("lease_expires_at_ms"),
    /** JSON result of the successful run. */
    result: text("result", { mode: "json" }),
    /** JSON TaskError of the latest failure. */
    error: text("error", { mode: "json" }).$type<TaskError>(),
    parentTaskId: text("parent_task_id"),
    /** Creating a task with a key that exists answers the existing task (cron slots, follow-up rules). */
    dedupeKey: text("dedupe_key").unique(),
    createdBy: text("created_by").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
    startedAtMs: integer("started_at_ms"),
    finishedAtMs: integer("finished_at_ms"),
  },
  (table) => [
    index("tasks_by_created").on(table.createdAtMs, table.id),
    index("tasks_by_status_type").on(table.status, table.type, table.priority, table.createdAtMs),
    index("tasks_by_lease").on(table.status, table.leaseExpiresAtMs),
  ],
);

/** Edges of the dependency graph: `taskId` runs only after `dependsOnId` succeeded. */
export const taskDependencies = sqliteTable(
  "task_dependencies",
  {
    taskId: text("task_id").notNull().references(() => tasks.id, { onDelete: "cascade" }),
    dependsOnId: text("depends_on_id").notNull().references(() => tasks.id, { onDelete: "cascade" }),
  },
  (table) => [primaryKey({ columns: [table.taskId, table.dependsOnId] }), index("task_dependencies_by_dependency").on(table.dependsOnId)],
);

/** The audit trail of every task: append-only, one row per state change (and trainer heartbeat). */
export const taskEvents = sqliteTable(
  "task_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: text("task_id").notNull(),
    atMs: integer("at_ms").notNull(),
    kind: text("kind", { enum: TASK_EVENT_KINDS }).notNull(),
    fromStatus: text("from_status", { enum: TASK_STATUSES }),
    toStatus: text("to_status", { enum: TASK_STATUSES }),
    attempt: integer("attempt").notNull(),
    actor: text("actor").notNull(),
    /** JSON detail: the error analysis, the lease, the result summary. */
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [index("task_events_by_task").on(table.taskId, table.id), index("task_events_by_time").on(table.atMs)],
);

/** The backup registry: one row per backup in the BACKUPS bucket under `backups/<id>/`. */
export const backups = sqliteTable(
  "backups",
  {
    /** bkp_<UTC yyyymmddThhmmss>_<8 hex>. */
    id: text("id").primaryKey(),
    kind: text("kind", { enum: BACKUP_KINDS }).notNull(),
    status: text("status", { enum: ["running", "completed", "failed", "deleted"] }).notNull(),
    /** The latest migration applied when the backup was taken. */
    schemaVersion: text("schema_version"),
    tables: integer("tables"),
    rows: integer("rows"),
    /** Compressed bytes written (tables and model files). */
    bytes: integer("bytes"),
    modelFiles: integer("model_files"),
    manifestSha256: text("manifest_sha256"),
    taskId: text("task_id"),
    reason: text("reason"),
    createdAtMs: integer("created_at_ms").notNull(),
    completedAtMs: integer("completed_at_ms"),
    verifiedAtMs: integer("verified_at_ms"),
    verifyStatus: text("verify_status", { enum: ["ok", "corrupt"] }),
    /** JSON: what the last verification found (mismatching files). */
    verifyDetail: text("verify_detail", { mode: "json" }).$type<Record<string, unknown>>(),
    restoredAtMs: integer("restored_at_ms"),
    error: text("error"),
  },
  (table) => [index("backups_by_created").on(table.createdAtMs)],
);

/** Every attempt to deliver a notification on a channel, including the ones rate limiting skipped. */
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    atMs: integer("at_ms").notNull(),
    event: text("event").notNull(),
    severity: text("severity", { enum: NOTIFICATION_SEVERITIES }).notNull(),
    channel: text("channel").notNull(),
    channelKind: text("channel_kind", { enum: ["log", "webhook", "telegram", "email"] }).notNull(),
    outcome: text("outcome", { enum: ["sent", "failed", "rate_limited"] }).notNull(),
    httpStatus: integer("http_status"),
    latencyMs: integer("latency_ms"),
    error: text("error"),
    taskId: text("task_id"),
    title: text("title").notNull(),
  },
  (table) => [index("notification_deliveries_by_channel_event").on(table.channel, table.event, table.atMs), index("notification_deliveries_by_time").on(table.atMs)],
);
