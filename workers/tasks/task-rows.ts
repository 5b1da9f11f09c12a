/** Reading task rows and events from D1 (raw SQL results, snake_case) into the API's records. */
import { TaskErrorSchema, type TaskEvent, type TaskRecord } from "../../core/schemas/tasks.js";

/** A `tasks` row as D1 returns it from raw SQL. */
export interface TaskRow {
  id: string;
  type: TaskRecord["type"];
  status: TaskRecord["status"];
  priority: number;
  payload: string;
  dependency_policy: TaskRecord["dependencyPolicy"];
  attempts: number;
  max_attempts: number;
  run_after_ms: number;
  timeout_ms: number;
  lease_token: string | null;
  lease_owner: string | null;
  lease_expires_at_ms: number | null;
  result: string | null;
  error: string | null;
  parent_task_id: string | null;
  dedupe_key: string | null;
  created_by: string;
  created_at_ms: number;
  updated_at_ms: number;
  started_at_ms: number | null;
  finished_at_ms: number | null;
}

export interface TaskEventRow {
  id: number;
  task_id: string;
  at_ms: number;
  kind: TaskEvent["kind"];
  from_status: TaskEvent["fromStatus"];
  to_status: TaskEvent["toStatus"];
  attempt: number;
  actor: string;
  detail: string | null;
}

function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

export function taskFromRow(row: TaskRow, dependsOn: readonly string[]): TaskRecord {
  const error = parseJson(row.error);
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    priority: row.priority,
    payload: parseJson(row.payload) as Record<string, unknown>,
    dependsOn: [...dependsOn],
    dependencyPolicy: row.dependency_policy,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAfterMs: row.run_after_ms,
    timeoutMs: row.timeout_ms,
    leaseOwner: row.lease_owner,
    leaseExpiresAtMs: row.lease_expires_at_ms,
    result: parseJson(row.result),
    error: error === null ? null : TaskErrorSchema.parse(error),
    parentTaskId: row.parent_task_id,
    dedupeKey: row.dedupe_key,
    createdBy: row.created_by,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    startedAtMs: row.started_at_ms,
    finishedAtMs: row.finished_at_ms,
  };
}

export function taskEventFromRow(row: TaskEventRow): TaskEvent {
  return {
    id: row.id,
    taskId: row.task_id,
    atMs: row.at_ms,
    kind: row.kind,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    attempt: row.attempt,
    actor: row.actor,
    detail: parseJson(row.detail) as Record<string, unknown> | null,
  };
}

/** The dependencies of each task in `taskIds`, by task id. */
export async function dependenciesOf(database: D1Database, taskIds: readonly string[]): Promise<Map<string, string[]>> {
  const byTask = new Map<string, string[]>(taskIds.map((id) => [id, []]));
  // D1 allows 100 bound parameters per statement.
  for (let start = 0; start < taskIds.length; start += 90) {
    const chunk = taskIds.slice(start, start + 90);
    const { results } = await database
      .prepare(`SELECT task_id, depends_on_id FROM task_dependencies WHERE task_id IN (${chunk.map(() => "?").join(",")}) ORDER BY rowid`)
      .bind(...chunk)
      .all<{ task_id: string; depends_on_id: string }>();
    for (const edge of results) byTask.get(edge.task_id)?.push(edge.depends_on_id);
  }
  return byTask;
}

/** Task records of `rows`, with their dependencies. */
export async function tasksFromRows(database: D1Database, rows: readonly TaskRow[]): Promise<TaskRecord[]> {
  const deps = await dependenciesOf(database, rows.map((r) => r.id));
  return rows.map((row) => taskFromRow(row, deps.get(row.id) ?? []));
}
