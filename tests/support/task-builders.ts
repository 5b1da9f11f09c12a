/** Task builders with defaults, shared by the unit and integration tests. */
import type { TaskRecord } from "../../core/schemas/tasks.js";

/** 2024-03-05T10:20:30.000Z, a fixed "now" for the tests. */
export const NOW_MS = Date.UTC(2024, 2, 5, 10, 20, 30);

/** A well-formed task id, tsk_ + 32 hex digits, distinct per `n`. */
export function taskId(n: number): string {
  return `tsk_${n.toString(16).padStart(32, "0")}`;
}

/** A TaskRecord that passes TaskRecordSchema: a succeeded health_check by default. */
export function makeTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: taskId(1),
    type: "health_check",
    status: "succeeded",
    priority: 8,
    payload: {},
    dependsOn: [],
    dependencyPolicy: "cancel",
    attempts: 1,
    maxAttempts: 3,
    runAfterMs: NOW_MS - 60_000,
    timeoutMs: 60_000,
    leaseOwner: null,
    leaseExpiresAtMs: null,
    result: null,
    error: null,
    parentTaskId: null,
    dedupeKey: null,
    createdBy: "user:1",
    createdAtMs: NOW_MS - 60_000,
    updatedAtMs: NOW_MS,
    startedAtMs: NOW_MS - 5_000,
    finishedAtMs: NOW_MS,
    ...overrides,
  };
}
