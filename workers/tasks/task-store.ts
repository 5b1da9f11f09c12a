/**
 * Tasks in D1: creation, claims under a lease, outcomes, cancellation, manual retries and the lease sweeper. D1
 * decides; the TASKS queue only delivers task ids. Every state change is one D1 batch (a transaction) that appends
 * its task event and updates the row under the same condition, so the trail is complete and a change that lost a
 * race writes nothing: claims require `status = 'queued'`, outcomes the claim's random lease token.
 */
import { ZodError } from "zod";
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from "../../core/errors/app-error.js";
import type { FailureFacts, TaskFacts } from "../../core/tasks/analytics.js";
import { readiness } from "../../core/tasks/dependencies.js";
import { TASK_TYPE_DEFAULTS } from "../../core/tasks/task-types.js";
import {
  isTerminal,
  parseTaskPayload,
  type DependencyPolicy,
  FAILURE_CLASSES,
  type FailureClass,
  type TaskError,
  type TaskEvent,
  type TaskEventKind,
  type TaskRecord,
  type TaskStatus,
  type TaskType,
} from "../../core/schemas/tasks.js";
import { dependenciesOf, taskEventFromRow, taskFromRow, tasksFromRows, type TaskEventRow, type TaskRow } from "./task-rows.js";

/** What creating a task needs; unset fields take the type's defaults (core/tasks/task-types.ts). */
export interface TaskSpec {
  readonly type: TaskType;
  readonly payload: unknown;
  readonly priority?: number;
  readonly dependsOn?: readonly string[];
  readonly dependencyPolicy?: DependencyPolicy;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  readonly runAfterMs?: number;
  readonly dedupeKey?: string;
  /** Who asked: a username, key:<prefix>, cron, a task id (follow-up rules). */
  readonly createdBy: string;
  readonly parentTaskId?: string;
}

/** Extra time past its timeout before a queue-run task's lease expires (the runner needs it to record the timeout). */
export const LEASE_GRACE_MS = 60_000;

/** A queued task unclaimed this long after it became runnable gets its message sent again (lost or stuck messages). */
export const QUEUED_RESEND_AFTER_MS = 10 * 60_000;

/** The queue's longest delivery delay, seconds (Queues allow 12 hours). */
const MAX_QUEUE_DELAY_S = 43_200;

export function newTaskId(): string {
  return `tsk_${crypto.randomUUID().replaceAll("-", "")}`;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/i.test(`${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Events

interface EventSpec {
  readonly kind: TaskEventKind;
  readonly toStatus: TaskStatus | null;
  readonly actor: string;
  readonly atMs: number;
  readonly detail?: Record<string, unknown> | null;
  /** SQL for the event's attempt number, read from the row before the change (default: its attempts). */
  readonly attemptSql?: string;
}

/**
 * A guarded state change: the event row (copied from the task row as it is before the change) and the update,
 * both under the same condition, in one batch. Resolves true when the update took (exactly one row changed).
 */
async function transition(
  database: D1Database,
  taskId: string,
  guard: { sql: string; binds: readonly unknown[] },
  update: { sql: string; binds: readonly unknown[] },
  event: EventSpec,
): Promise<boolean> {
  const [, updated] = await database.batch([
    database
      .prepare(
        `INSERT INTO task_events (task_id, at_ms, kind, from_status, to_status, attempt, actor, detail)
         SELECT id, ?, ?, status, ?, ${event.attemptSql ?? "attempts"}, ?, ? FROM tasks WHERE id = ? AND (${guard.sql})`,
      )
      .bind(event.atMs, event.kind, event.toStatus, event.actor, event.detail ? JSON.stringify(event.detail) : null, taskId, ...guard.binds),
    database
      .prepare(`UPDATE tasks SET ${update.sql}, updated_at_ms = ? WHERE id = ? AND (${guard.sql})`)
      .bind(...update.binds, event.atMs, taskId, ...guard.binds),
  ]);
  return (updated?.meta.changes ?? 0) === 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

export async function getTaskRow(database: D1Database, id: string): Promise<TaskRow | null> {
  return await database.prepare("SELECT * FROM tasks WHERE id = ?").bind(id).first<TaskRow>();
}

/** A task as stored (with its lease token) and as the API shows it, or null. */
export async function readTask(env: Env, id: string): Promise<{ row: TaskRow; task: TaskRecord } | null> {
  const row = await getTaskRow(env.DB, id);
  if (row === null) return null;
  return { row, task: taskFromRow(row, (await dependenciesOf(env.DB, [id])).get(id) ?? []) };
}

export async function getTask(env: Env, id: string): Promise<TaskRecord | null> {
  return (await readTask(env, id))?.task ?? null;
}

export async function requireTask(env: Env, id: string): Promise<TaskRecord> {
  const task = await getTask(env, id);
  if (task === null) throw new NotFoundError(`no task ${id}`);
  return task;
}

/** A task's events, oldest first. */
export async function taskEvents(env: Env, id: string): Promise<TaskEvent[]> {
  const { results } = await env.DB.prepare("SELECT * FROM task_events WHERE task_id = ? ORDER BY id").bind(id).all<TaskEventRow>();
  return results.map(taskEventFromRow);
}

export interface TaskFilter {
  readonly status?: TaskStatus;
  readonly type?: TaskType;
  readonly sinceMs?: number;
  /** Keyset: tasks created before this (createdAtMs, id). */
  readonly before?: { readonly createdAtMs: number; readonly id: string };
  readonly limit: number;
}

/** Tasks newest first. */
export async function listTasks(env: Env, filter: TaskFilter): Promise<TaskRecord[]> {
  const where: string[] = [];
  const binds: unknown[] = [];
  const add = (condition: string, ...values: unknown[]) => {
    where.push(condition);
    binds.push(...values);
  };
  if (filter.status) add("status = ?", filter.status);
  if (filter.type) add("type = ?", filter.type);
  if (filter.sinceMs !== undefined) add("created_at_ms >= ?", filter.sinceMs);
  if (filter.before) add("(created_at_ms < ? OR (created_at_ms = ? AND id < ?))", filter.before.createdAtMs, filter.before.createdAtMs, filter.before.id);
  const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at_ms DESC, id DESC LIMIT ?`;
  const { results } = await env.DB.prepare(sql).bind(...binds, filter.limit).all<TaskRow>();
  return await tasksFromRows(env.DB, results);
}

interface FactsRow {
  type: TaskType;
  status: TaskStatus;
  attempts: number;
  created_at_ms: number;
  started_at_ms: number | null;
  finished_at_ms: number | null;
}

const factsOf = (rows: readonly FactsRow[]): TaskFacts[] =>
  rows.map((r) => ({ type: r.type, status: r.status, attempts: r.attempts, createdAtMs: r.created_at_ms, startedAtMs: r.started_at_ms, finishedAtMs: r.finished_at_ms }));

/**
 * What the task analytics read: the tasks created since `sinceMs`, their failed attempts (by class, from the event
 * trail), and every task not yet ended whenever it was created (the backlog).
 */
export async function analyticsFacts(env: Env, sinceMs: number): Promise<{ tasks: TaskFacts[]; failures: FailureFacts[]; live: TaskFacts[] }> {
  const columns = "type, status, attempts, created_at_ms, started_at_ms, finished_at_ms";
  const [tasks, failures, live] = await env.DB.batch<FactsRow | { type: TaskType; failure_class: string | null }>([
    env.DB.prepare(`SELECT ${columns} FROM tasks WHERE created_at_ms >= ?`).bind(sinceMs),
    env.DB.prepare(
      `SELECT t.type AS type, json_extract(e.detail, '$.class') AS failure_class FROM task_events e JOIN tasks t ON t.id = e.task_id
       WHERE t.created_at_ms >= ? AND e.kind IN ('retry_scheduled', 'failed', 'dead', 'lease_expired')`,
    ).bind(sinceMs),
    env.DB.prepare(`SELECT ${columns} FROM tasks WHERE status IN ('pending', 'queued', 'running')`),
  ]);
  const failureRows = (failures?.results ?? []) as { type: TaskType; failure_class: string | null }[];
  return {
    tasks: factsOf((tasks?.results ?? []) as FactsRow[]),
    failures: failureRows
      .filter((r): r is { type: TaskType; failure_class: FailureClass } => (FAILURE_CLASSES as readonly (string | null)[]).includes(r.failure_class))
      .map((r) => ({ type: r.type, failureClass: r.failure_class })),
    live: factsOf((live?.results ?? []) as FactsRow[]),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Enqueueing

/** Sends the queue messages of queue-run tasks (delayed to their runAfter). A failed send is left to the sweeper. */
export async function enqueueTasks(env: Env, tasks: readonly Pick<TaskRecord, "id" | "type" | "runAfterMs">[], nowMs: number): Promise<void> {
  const messages = tasks
    .filter((t) => TASK_TYPE_DEFAULTS[t.type].runner === "queue")
    .map((t) => ({
      body: { taskId: t.id },
      delaySeconds: Math.min(MAX_QUEUE_DELAY_S, Math.max(0, Math.ceil((t.runAfterMs - nowMs) / 1000))),
    }));
  for (let start = 0; start < messages.length; start += 100) await env.TASKS.sendBatch(messages.slice(start, start + 100));
}

// ---------------------------------------------------------------------------------------------------------------
// Creating

/**
 * Creates a task (payload validated by its type's schema: ValidationError otherwise) and enqueues it when its
 * dependencies are met. A dependency that already ended without succeeding applies the task's dependency policy at
 * once. With a `dedupeKey` that exists, answers the existing task and `created: false`.
 */
export async function createTask(env: Env, spec: TaskSpec, nowMs: number): Promise<{ task: TaskRecord; created: boolean }> {
  let payload: unknown;
  try {
    payload = parseTaskPayload(spec.type, spec.payload);
  } catch (error: unknown) {
    if (error instanceof ZodError) throw new ValidationError(`invalid ${spec.type} payload`, { details: error.issues, cause: error });
    throw error;
  }
  if (spec.dedupeKey !== undefined) {
    const existing = await env.DB.prepare("SELECT id FROM tasks WHERE dedupe_key = ?").bind(spec.dedupeKey).first<{ id: string }>();
    if (existing) return { task: await requireTask(env, existing.id), created: false };
  }
  const defaults = TASK_TYPE_DEFAULTS[spec.type];
  const dependsOn = [...new Set(spec.dependsOn ?? [])];
  const policy = spec.dependencyPolicy ?? "cancel";
  const dependencies = dependsOn.length === 0 ? [] : await dependencyStatuses(env.DB, dependsOn);
  const missing = dependsOn.filter((id) => !dependencies.some((d) => d.id === id));
  if (missing.length > 0) throw new UnprocessableError(`dependencies do not exist: ${missing.join(", ")}`, { details: { missing } });

  const ready = readiness(dependencies);
  const status: TaskStatus = ready.kind === "ready" ? "queued" : ready.kind === "waiting" ? "pending" : policy === "fail" ? "failed" : "cancelled";
  const id = newTaskId();
  const runAfterMs = Math.max(spec.runAfterMs ?? nowMs, 0);
  const error: TaskError | null =
    ready.kind === "blocked" && status === "failed"
      ? { class: "permanent", name: "DependencyFailed", message: `dependency ${ready.dependencyId} ended ${ready.dependencyStatus}`, attempt: 0, willRetry: false, nextDelayS: null }
      : null;
  const statements: D1PreparedStatement[] = [
    env.DB.prepare(
      `INSERT INTO tasks (id, type, status, priority, payload, dependency_policy, attempts, max_attempts, run_after_ms, timeout_ms,
         error, parent_task_id, dedupe_key, created_by, created_at_ms, updated_at_ms, finished_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).bind(
      id,
      spec.type,
      status,
      spec.priority ?? defaults.priority,
      JSON.stringify(payload),
      policy,
      spec.maxAttempts ?? defaults.maxAttempts,
      runAfterMs,
      spec.timeoutMs ?? defaults.timeoutMs,
      error === null ? null : JSON.stringify(error),
      spec.parentTaskId ?? null,
      spec.dedupeKey ?? null,
      spec.createdBy,
      nowMs,
      nowMs,
      isTerminal(status) ? nowMs : null,
    ),
    ...dependsOn.map((dep) => env.DB.prepare("INSERT INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?)").bind(id, dep)),
    insertEvent(env.DB, id, { kind: "created", toStatus: "pending", actor: spec.createdBy, atMs: nowMs, detail: { dependsOn, parentTaskId: spec.parentTaskId ?? null } }, null),
  ];
  if (status === "queued") statements.push(insertEvent(env.DB, id, { kind: "queued", toStatus: "queued", actor: spec.createdBy, atMs: nowMs }, "pending"));
  if (ready.kind === "blocked") {
    statements.push(insertEvent(env.DB, id, { kind: "dependency_failed", toStatus: status, actor: spec.createdBy, atMs: nowMs, detail: { dependencyId: ready.dependencyId, dependencyStatus: ready.dependencyStatus } }, "pending"));
  }
  try {
    await env.DB.batch(statements);
  } catch (error: unknown) {
    if (spec.dedupeKey !== undefined && isUniqueViolation(error)) {
      const existing = await env.DB.prepare("SELECT id FROM tasks WHERE dedupe_key = ?").bind(spec.dedupeKey).first<{ id: string }>();
      if (existing) return { task: await requireTask(env, existing.id), created: false };
    }
    throw error;
  }
  if (status === "queued") await enqueueTasks(env, [{ id, type: spec.type, runAfterMs }], nowMs);
  // A dependency may have finished between reading it and inserting this task: look again.
  if (status === "pending") await promoteIfReady(env, id, spec.createdBy, Date.now());
  return { task: await requireTask(env, id), created: true };
}

function insertEvent(database: D1Database, taskId: string, event: EventSpec, fromStatus: TaskStatus | null): D1PreparedStatement {
  return database
    .prepare("INSERT INTO task_events (task_id, at_ms, kind, from_status, to_status, attempt, actor, detail) VALUES (?, ?, ?, ?, ?, 0, ?, ?)")
    .bind(taskId, event.atMs, event.kind, fromStatus, event.toStatus, event.actor, event.detail ? JSON.stringify(event.detail) : null);
}

async function dependencyStatuses(database: D1Database, ids: readonly string[]): Promise<{ id: string; status: TaskStatus }[]> {
  if (ids.length === 0) return [];
  const { results } = await database
    .prepare(`SELECT id, status FROM tasks WHERE id IN (${ids.map(() => "?").join(",")})`)
    .bind(...ids)
    .all<{ id: string; status: TaskStatus }>();
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Dependencies: promotion and cascades

/** Queues a pending task whose dependencies all succeeded, or applies its policy when one ended otherwise. */
async function promoteIfReady(env: Env, taskId: string, actor: string, nowMs: number): Promise<void> {
  const row = await getTaskRow(env.DB, taskId);
  if (row?.status !== "pending") return;
  const deps = (await dependenciesOf(env.DB, [taskId])).get(taskId) ?? [];
  const state = readiness(await dependencyStatuses(env.DB, deps));
  if (state.kind === "waiting") return;
  if (state.kind === "ready") {
    const queued = await transition(
      env.DB,
      taskId,
      { sql: "status = 'pending'", binds: [] },
      { sql: "status = 'queued', run_after_ms = MAX(run_after_ms, ?)", binds: [nowMs] },
      { kind: "queued", toStatus: "queued", actor, atMs: nowMs, detail: { dependencies: deps } },
    );
    if (queued) await enqueueTasks(env, [{ id: taskId, type: row.type, runAfterMs: Math.max(row.run_after_ms, nowMs) }], nowMs);
    return;
  }
  await blockDependents(env, [{ id: taskId, dependencyId: state.dependencyId, dependencyStatus: state.dependencyStatus }], actor, nowMs);
}

/** After `taskId` succeeded: queues each pending dependent whose dependencies are now all met. */
export async function releaseDependents(env: Env, taskId: string, actor: string, nowMs: number): Promise<void> {
  for (const dependent of await pendingDependents(env.DB, taskId)) await promoteIfReady(env, dependent, actor, nowMs);
}

async function pendingDependents(database: D1Database, taskId: string): Promise<string[]> {
  const { results } = await database
    .prepare("SELECT t.id FROM task_dependencies d JOIN tasks t ON t.id = d.task_id WHERE d.depends_on_id = ? AND t.status = 'pending'")
    .bind(taskId)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * After `taskId` ended without succeeding: every pending dependent, and theirs in turn, fails or is cancelled
 * (each by its own dependency policy).
 */
export async function failDependents(env: Env, taskId: string, status: TaskStatus, actor: string, nowMs: number): Promise<void> {
  const dependents = await pendingDependents(env.DB, taskId);
  await blockDependents(env, dependents.map((id) => ({ id, dependencyId: taskId, dependencyStatus: status })), actor, nowMs);
}

async function blockDependents(
  env: Env,
  blocked: readonly { id: string; dependencyId: string; dependencyStatus: TaskStatus }[],
  actor: string,
  nowMs: number,
): Promise<void> {
  const work = [...blocked];
  while (work.length > 0) {
    const next = work.shift();
    if (next === undefined) break;
    const row = await getTaskRow(env.DB, next.id);
    if (row?.status !== "pending") continue;
    const toStatus: TaskStatus = row.dependency_policy === "fail" ? "failed" : "cancelled";
    const message = `dependency ${next.dependencyId} ended ${next.dependencyStatus}`;
    const error: TaskError = { class: "permanent", name: "DependencyFailed", message, attempt: row.attempts, willRetry: false, nextDelayS: null };
    const changed = await transition(
      env.DB,
      next.id,
      { sql: "status = 'pending'", binds: [] },
      { sql: "status = ?, error = ?, finished_at_ms = ?", binds: [toStatus, toStatus === "failed" ? JSON.stringify(error) : row.error, nowMs] },
      { kind: "dependency_failed", toStatus, actor, atMs: nowMs, detail: { dependencyId: next.dependencyId, dependencyStatus: next.dependencyStatus } },
    );
    if (!changed) continue;
    for (const id of await pendingDependents(env.DB, next.id)) work.push({ id, dependencyId: next.id, dependencyStatus: toStatus });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Claims and leases

export interface Claim {
  readonly task: TaskRecord;
  readonly leaseToken: string;
  readonly leaseExpiresAtMs: number;
}

/**
 * Claims a queued, due task for one run: attempts + 1, status running, a fresh lease token and expiry. Null when it
 * is not claimable (already running — a duplicate delivery —, not due, finished, or cancelled).
 */
export async function claimTask(env: Env, taskId: string, owner: string, leaseMs: number | null, nowMs: number): Promise<Claim | null> {
  const leaseToken = crypto.randomUUID();
  const claimed = await transition(
    env.DB,
    taskId,
    { sql: "status = 'queued' AND run_after_ms <= ?", binds: [nowMs] },
    {
      sql: "status = 'running', attempts = attempts + 1, lease_token = ?, lease_owner = ?, lease_expires_at_ms = ? + COALESCE(?, timeout_ms + ?), started_at_ms = ?, finished_at_ms = NULL",
      binds: [leaseToken, owner, nowMs, leaseMs, LEASE_GRACE_MS, nowMs],
    },
    { kind: "claimed", toStatus: "running", actor: owner, atMs: nowMs, attemptSql: "attempts + 1", detail: { leaseOwner: owner } },
  );
  if (!claimed) return null;
  const task = await requireTask(env, taskId);
  return { task, leaseToken, leaseExpiresAtMs: task.leaseExpiresAtMs ?? nowMs };
}

/** Claims the highest-priority due task of `type` (the trainer daemon's claim); null when none waits. */
export async function claimNextTask(env: Env, type: TaskType, owner: string, leaseMs: number, nowMs: number): Promise<Claim | null> {
  // Two trainers may pick the same candidate; the guarded claim lets exactly one win, the other tries the next.
  for (let round = 0; round < 5; round++) {
    const candidate = await env.DB.prepare(
      "SELECT id FROM tasks WHERE status = 'queued' AND type = ? AND run_after_ms <= ? ORDER BY priority DESC, created_at_ms, id LIMIT 1",
    )
      .bind(type, nowMs)
      .first<{ id: string }>();
    if (!candidate) return null;
    const claim = await claimTask(env, candidate.id, owner, leaseMs, nowMs);
    if (claim) return claim;
  }
  return null;
}

/** Extends a running task's lease; false when the lease is no longer this token's. */
export async function extendLease(env: Env, taskId: string, leaseToken: string, leaseMs: number, nowMs: number, progress: string | undefined): Promise<boolean> {
  return await transition(
    env.DB,
    taskId,
    { sql: "status = 'running' AND lease_token = ?", binds: [leaseToken] },
    { sql: "lease_expires_at_ms = ?", binds: [nowMs + leaseMs] },
    { kind: "heartbeat", toStatus: "running", actor: "trainer", atMs: nowMs, detail: { leaseExpiresAtMs: nowMs + leaseMs, ...(progress ? { progress } : {}) } },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Outcomes

const LEASE_GUARD = "status = 'running' AND lease_token = ?";

/** Records a run's success; false when the lease was lost (the result is discarded). */
export async function completeTask(
  env: Env,
  taskId: string,
  leaseToken: string,
  result: unknown,
  actor: string,
  nowMs: number,
  durationMs: number | null,
): Promise<boolean> {
  return await transition(
    env.DB,
    taskId,
    { sql: LEASE_GUARD, binds: [leaseToken] },
    { sql: "status = 'succeeded', result = ?, error = NULL, finished_at_ms = ?, lease_expires_at_ms = NULL", binds: [JSON.stringify(result ?? null), nowMs] },
    { kind: "succeeded", toStatus: "succeeded", actor, atMs: nowMs, detail: { durationMs } },
  );
}

/**
 * Records a failed run: retried (status queued, runAfter = now + delay) when `error.willRetry`, else failed
 * (permanent) or dead (retries exhausted). False when the lease was lost.
 */
export async function recordFailure(
  env: Env,
  taskId: string,
  leaseToken: string,
  error: TaskError,
  actor: string,
  nowMs: number,
): Promise<{ recorded: boolean; status: TaskStatus }> {
  const status: TaskStatus = error.willRetry ? "queued" : error.class === "permanent" ? "failed" : "dead";
  const kind: TaskEventKind = error.willRetry ? "retry_scheduled" : status === "failed" ? "failed" : "dead";
  const runAfterMs = nowMs + (error.nextDelayS ?? 0) * 1000;
  const recorded = await transition(
    env.DB,
    taskId,
    { sql: LEASE_GUARD, binds: [leaseToken] },
    {
      sql: "status = ?, error = ?, run_after_ms = ?, lease_expires_at_ms = NULL, finished_at_ms = ?",
      binds: [status, JSON.stringify(error), error.willRetry ? runAfterMs : nowMs, error.willRetry ? null : nowMs],
    },
    { kind, toStatus: status, actor, atMs: nowMs, detail: { ...error } },
  );
  return { recorded, status };
}

/** Marks a task dead whatever it is doing unless it already ended (the dead-letter consumer); false if it had ended. */
export async function markDead(env: Env, taskId: string, reason: string, actor: string, nowMs: number): Promise<boolean> {
  const row = await getTaskRow(env.DB, taskId);
  if (row === null) return false;
  const error: TaskError = { class: "retryable", name: "DeadLettered", message: reason, attempt: row.attempts, willRetry: false, nextDelayS: null };
  return await transition(
    env.DB,
    taskId,
    { sql: "status IN ('pending', 'queued', 'running')", binds: [] },
    { sql: "status = 'dead', error = ?, finished_at_ms = ?, lease_expires_at_ms = NULL", binds: [JSON.stringify(error), nowMs] },
    { kind: "dead", toStatus: "dead", actor, atMs: nowMs, detail: { reason } },
  );
}

/** Notes on a succeeded task which follow-up task its result asked for (the rule, the task, whether it was new). */
export async function recordFollowUp(
  env: Env,
  task: Pick<TaskRecord, "id" | "attempts">,
  actor: string,
  nowMs: number,
  detail: { rule: string; taskId: string; type: TaskType; created: boolean },
): Promise<void> {
  await env.DB.prepare(
    "INSERT INTO task_events (task_id, at_ms, kind, from_status, to_status, attempt, actor, detail) VALUES (?, ?, 'follow_up', 'succeeded', 'succeeded', ?, ?, ?)",
  )
    .bind(task.id, nowMs, task.attempts, actor, JSON.stringify(detail))
    .run();
}

/** Notes that a runner's outcome arrived after its lease was lost and was thrown away. */
export async function recordDiscardedResult(env: Env, taskId: string, actor: string, nowMs: number, detail: Record<string, unknown>): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO task_events (task_id, at_ms, kind, from_status, to_status, attempt, actor, detail)
     SELECT id, ?, 'result_discarded', status, status, attempts, ?, ? FROM tasks WHERE id = ?`,
  )
    .bind(nowMs, actor, JSON.stringify(detail), taskId)
    .run();
}

// ---------------------------------------------------------------------------------------------------------------
// Operator actions

/**
 * Cancels a task that has not ended (a running one's result will be discarded when it arrives); its pending
 * dependents follow their policy. 409 when it already ended.
 */
export async function cancelTask(env: Env, taskId: string, actor: string, reason: string | undefined, nowMs: number): Promise<TaskRecord> {
  const task = await requireTask(env, taskId);
  if (isTerminal(task.status)) throw new ConflictError(`task ${taskId} already ended ${task.status}`, { details: { status: task.status } });
  const cancelled = await transition(
    env.DB,
    taskId,
    { sql: "status IN ('pending', 'queued', 'running')", binds: [] },
    { sql: "status = 'cancelled', finished_at_ms = ?, lease_expires_at_ms = NULL", binds: [nowMs] },
    { kind: "cancelled", toStatus: "cancelled", actor, atMs: nowMs, detail: { reason: reason ?? null, wasRunning: task.status === "running" } },
  );
  if (!cancelled) throw new ConflictError(`task ${taskId} ended while it was being cancelled`);
  await failDependents(env, taskId, "cancelled", actor, nowMs);
  return await requireTask(env, taskId);
}

/**
 * Runs a failed, dead or cancelled task again with a fresh attempt budget: queued when its dependencies succeeded,
 * pending while they run; 409 when it has not ended, succeeded, or a dependency failed (retry that one first).
 */
export async function retryTask(env: Env, taskId: string, actor: string, nowMs: number): Promise<TaskRecord> {
  const task = await requireTask(env, taskId);
  if (!isTerminal(task.status) || task.status === "succeeded") {
    throw new ConflictError(`only failed, dead or cancelled tasks can be retried; ${taskId} is ${task.status}`, { details: { status: task.status } });
  }
  const state = readiness(await dependencyStatuses(env.DB, task.dependsOn));
  if (state.kind === "blocked") {
    throw new ConflictError(`dependency ${state.dependencyId} ended ${state.dependencyStatus}: retry it first`, { details: state });
  }
  const toStatus: TaskStatus = state.kind === "ready" ? "queued" : "pending";
  const retried = await transition(
    env.DB,
    taskId,
    { sql: "status = ?", binds: [task.status] },
    { sql: "status = ?, attempts = 0, run_after_ms = ?, finished_at_ms = NULL, lease_expires_at_ms = NULL", binds: [toStatus, nowMs] },
    { kind: "manual_retry", toStatus, actor, atMs: nowMs, detail: { previousStatus: task.status, previousAttempts: task.attempts } },
  );
  if (!retried) throw new ConflictError(`task ${taskId} changed while it was being retried`);
  if (toStatus === "queued") await enqueueTasks(env, [{ id: taskId, type: task.type, runAfterMs: nowMs }], nowMs);
  return await requireTask(env, taskId);
}

// ---------------------------------------------------------------------------------------------------------------
// The sweeper

export interface SweepReport {
  /** Running tasks whose lease expired, handed back to the queue. */
  readonly requeued: string[];
  /** Running tasks whose lease expired on their last attempt. */
  readonly dead: string[];
  /** Queued tasks whose message was sent again. */
  readonly resent: string[];
  /** Pending tasks whose dependencies had all ended (queued or blocked now). */
  readonly settled: string[];
}

/**
 * Hands expired leases back (or marks the task dead on its last attempt), re-sends the messages of queued tasks
 * nobody claimed for QUEUED_RESEND_AFTER_MS, and settles pending tasks whose dependencies all ended.
 */
export async function sweepTasks(env: Env, nowMs: number, limit = 200): Promise<SweepReport> {
  const report: SweepReport = { requeued: [], dead: [], resent: [], settled: [] };
  const { results: expired } = await env.DB.prepare(
    "SELECT * FROM tasks WHERE status = 'running' AND lease_expires_at_ms < ? ORDER BY lease_expires_at_ms LIMIT ?",
  )
    .bind(nowMs, limit)
    .all<TaskRow>();
  const toEnqueue: Pick<TaskRecord, "id" | "type" | "runAfterMs">[] = [];
  for (const row of expired) {
    const lastAttempt = row.attempts >= row.max_attempts;
    const error: TaskError = {
      class: "timeout",
      name: "LeaseExpired",
      message: `the lease of ${row.lease_owner ?? "its runner"} expired at ${new Date(row.lease_expires_at_ms ?? nowMs).toISOString()}`,
      attempt: row.attempts,
      willRetry: !lastAttempt,
      nextDelayS: lastAttempt ? null : 0,
    };
    const changed = await transition(
      env.DB,
      row.id,
      { sql: "status = 'running' AND lease_token = ?", binds: [row.lease_token] },
      {
        sql: "status = ?, error = ?, run_after_ms = ?, lease_expires_at_ms = NULL, finished_at_ms = ?",
        binds: [lastAttempt ? "dead" : "queued", JSON.stringify(error), nowMs, lastAttempt ? nowMs : null],
      },
      { kind: lastAttempt ? "dead" : "lease_expired", toStatus: lastAttempt ? "dead" : "queued", actor: "sweeper", atMs: nowMs, detail: { ...error } },
    );
    if (!changed) continue;
    if (lastAttempt) {
      report.dead.push(row.id);
      await failDependents(env, row.id, "dead", "sweeper", nowMs);
    } else {
      report.requeued.push(row.id);
      toEnqueue.push({ id: row.id, type: row.type, runAfterMs: nowMs });
    }
  }
  const { results: stale } = await env.DB.prepare(
    "SELECT id, type, run_after_ms FROM tasks WHERE status = 'queued' AND run_after_ms < ? AND updated_at_ms < ? ORDER BY priority DESC, created_at_ms LIMIT ?",
  )
    .bind(nowMs - QUEUED_RESEND_AFTER_MS, nowMs - QUEUED_RESEND_AFTER_MS, limit)
    .all<{ id: string; type: TaskType; run_after_ms: number }>();
  for (const row of stale) {
    if (TASK_TYPE_DEFAULTS[row.type].runner !== "queue") continue;
    const touched = await transition(
      env.DB,
      row.id,
      { sql: "status = 'queued'", binds: [] },
      // Changes nothing but updated_at_ms (set by every transition): the message is re-sent at most once per period.
      { sql: "run_after_ms = run_after_ms", binds: [] },
      { kind: "requeued", toStatus: "queued", actor: "sweeper", atMs: nowMs, detail: { waitingMs: nowMs - row.run_after_ms } },
    );
    if (touched) {
      report.resent.push(row.id);
      toEnqueue.push({ id: row.id, type: row.type, runAfterMs: nowMs });
    }
  }
  await enqueueTasks(env, toEnqueue, nowMs);
  const { results: pending } = await env.DB.prepare(
    `SELECT t.id FROM tasks t WHERE t.status = 'pending' AND NOT EXISTS (
       SELECT 1 FROM task_dependencies d JOIN tasks p ON p.id = d.depends_on_id
       WHERE d.task_id = t.id AND p.status IN ('pending', 'queued', 'running')) LIMIT ?`,
  )
    .bind(limit)
    .all<{ id: string }>();
  for (const row of pending) {
    await promoteIfReady(env, row.id, "sweeper", nowMs);
    report.settled.push(row.id);
  }
  return report;
}
