/** Per-type defaults of the task system, and which runner takes each type. */
import type { TaskType } from "../schemas/tasks.js";

export interface TaskTypeDefaults {
  /** 0 (lowest) to 9 (highest). */
  readonly priority: number;
  readonly maxAttempts: number;
  /** How long one run may take before it counts as timed out. */
  readonly timeoutMs: number;
  /** queue: the Worker's queue consumer runs it · trainer: a Node trainer daemon claims it over the API. */
  readonly runner: "queue" | "trainer";
}

const MINUTE_MS = 60_000;

export const TASK_TYPE_DEFAULTS: Readonly<Record<TaskType, TaskTypeDefaults>> = Object.freeze({
  notification: { priority: 9, maxAttempts: 5, timeoutMs: 30_000, runner: "queue" },
  health_check: { priority: 8, maxAttempts: 3, timeoutMs: 60_000, runner: "queue" },
  model_deploy: { priority: 7, maxAttempts: 3, timeoutMs: 2 * MINUTE_MS, runner: "queue" },
  data_backup: { priority: 6, maxAttempts: 3, timeoutMs: 10 * MINUTE_MS, runner: "queue" },
  model_evaluation: { priority: 5, maxAttempts: 3, timeoutMs: 2 * MINUTE_MS, runner: "queue" },
  backtest: { priority: 4, maxAttempts: 2, timeoutMs: 5 * MINUTE_MS, runner: "queue" },
  model_training: { priority: 3, maxAttempts: 3, timeoutMs: 6 * 60 * MINUTE_MS, runner: "trainer" },
  system_cleanup: { priority: 2, maxAttempts: 3, timeoutMs: 10 * MINUTE_MS, runner: "queue" },
  database_maintenance: { priority: 1, maxAttempts: 2, timeoutMs: 10 * MINUTE_MS, runner: "queue" },
});
