/** Task analytics: counts, success rates, attempts and run durations per type (GET /api/v1/tasks/analytics). */
import {
  FAILURE_CLASSES,
  TASK_STATUSES,
  TASK_TYPES,
  type FailureClass,
  type TaskAnalytics,
  type TaskStatus,
  type TaskType,
} from "../schemas/tasks.js";

/** One task as the analytics read it. */
export interface TaskFacts {
  readonly type: TaskType;
  readonly status: TaskStatus;
  readonly attempts: number;
  readonly createdAtMs: number;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
}

/** One failed attempt (a retry_scheduled, failed or dead event) with its class. */
export interface FailureFacts {
  readonly type: TaskType;
  readonly failureClass: FailureClass;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** The value at quantile q (0–1) of sorted numbers, nearest rank. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

/**
 * Analytics of the tasks created since `sinceMs` (and their failed attempts), with the backlog of every task not
 * yet ended (`live`, whenever created), judged at `nowMs`. Durations are of succeeded tasks' last attempt (start to
 * finish); the success rate counts only tasks that ended by running (succeeded, failed, dead), not cancelled ones.
 */
export function taskAnalytics(
  tasks: readonly TaskFacts[],
  failures: readonly FailureFacts[],
  live: readonly TaskFacts[],
  sinceMs: number,
  nowMs: number,
): TaskAnalytics {
  const byStatus = zeroes(TASK_STATUSES);
  for (const task of tasks) byStatus[task.status] += 1;
  const byType = TASK_TYPES.map((type) => {
    const ofType = tasks.filter((t) => t.type === type);
    const counts = zeroes(TASK_STATUSES);
    for (const task of ofType) counts[task.status] += 1;
    const ended = counts.succeeded + counts.failed + counts.dead;
    const durations = ofType
      .filter((t) => t.status === "succeeded" && t.startedAtMs !== null && t.finishedAtMs !== null)
      .map((t) => (t.finishedAtMs ?? 0) - (t.startedAtMs ?? 0))
      .sort((a, b) => a - b);
    const failureCounts = zeroes(FAILURE_CLASSES);
    for (const failure of failures) if (failure.type === type) failureCounts[failure.failureClass] += 1;
    return {
      type,
      total: ofType.length,
      byStatus: counts,
      successRate: ended === 0 ? null : counts.succeeded / ended,
      attempts: { total: ofType.reduce((sum, t) => sum + t.attempts, 0), retried: ofType.filter((t) => t.attempts > 1).length },
      durationMs: {
        count: durations.length,
        mean: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length,
        p50: quantile(durations, 0.5),
        p95: quantile(durations, 0.95),
        max: durations.at(-1) ?? null,
      },
      failures: failureCounts,
    };
  }).filter((entry) => entry.total > 0);
  const queuedAges = live.filter((t) => t.status === "queued").map((t) => nowMs - t.createdAtMs);
  const liveCount = (status: TaskStatus) => live.filter((t) => t.status === status).length;
  return {
    sinceMs,
    total: tasks.length,
    byStatus,
    byType,
    backlog: {
      pending: liveCount("pending"),
      queued: liveCount("queued"),
      running: liveCount("running"),
      oldestQueuedAgeMs: queuedAges.length === 0 ? null : Math.max(...queuedAges),
    },
  };
}
