/** Builders with defaults for the task unit tests: task ids and TaskRecord (shared), the analytics' TaskFacts. */
import type { TaskFacts } from "../../../core/tasks/analytics.js";
import { NOW_MS } from "../../support/task-builders.js";

export { makeTask, NOW_MS, taskId } from "../../support/task-builders.js";

/** One task as the analytics read it: a succeeded health_check that ran 1 s, created a minute before NOW_MS. */
export function makeFacts(overrides: Partial<TaskFacts> = {}): TaskFacts {
  return {
    type: "health_check",
    status: "succeeded",
    attempts: 1,
    createdAtMs: NOW_MS - 60_000,
    startedAtMs: NOW_MS - 2_000,
    finishedAtMs: NOW_MS - 1_000,
    ...overrides,
  };
}
