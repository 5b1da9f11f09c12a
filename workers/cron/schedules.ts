/**
 * Cron triggers (UTC, wrangler.toml `[triggers]`): each only enqueues tasks, never does the work inline. The
 * 5-minute trigger also sweeps the task table (expired leases back to the queue, lost messages re-sent), which is
 * itself only enqueueing. Each task carries a dedupe key of its cron slot, so a trigger fired twice for the same
 * slot creates its tasks once.
 */
import type { TaskType } from "../../core/schemas/tasks.js";
import { createLogger } from "../log.js";
import { platformOf } from "../platform.js";
import { createTask, sweepTasks } from "../tasks/task-store.js";

interface CronTask {
  readonly type: TaskType;
  readonly payload: Record<string, unknown>;
}

export const HEALTH_CRON = "*/5 * * * *";

/** The tasks each cron expression enqueues (README "Scheduled tasks"). */
export const CRON_TASKS: Readonly<Record<string, readonly CronTask[]>> = {
  /** Every 5 minutes: platform health (and the task sweeper). */
  [HEALTH_CRON]: [{ type: "health_check", payload: { trigger: "cron" } }],
  /** Hourly at :07: live model performance; a degraded champion gets a model_training task. */
  "7 * * * *": [{ type: "model_evaluation", payload: {} }],
  /** Daily at 02:30: back up D1 and the model files to R2. */
  "30 2 * * *": [{ type: "data_backup", payload: { kind: "scheduled" } }],
  /** Daily at 03:00: retention of tasks, health history, logs, ticks and orphaned R2 objects. */
  "0 3 * * *": [{ type: "system_cleanup", payload: {} }],
  /** Sundays at 04:00: PRAGMA optimize, integrity check, row counts and size. */
  "0 4 * * 0": [{ type: "database_maintenance", payload: {} }],
};

export async function onSchedule(controller: ScheduledController, env: Env): Promise<void> {
  const specs = CRON_TASKS[controller.cron];
  if (!specs) throw new Error(`no tasks are defined for cron '${controller.cron}'`);
  const nowMs = Date.now();
  const slot = new Date(controller.scheduledTime).toISOString();
  for (const spec of specs) {
    await createTask(env, { type: spec.type, payload: spec.payload, dedupeKey: `cron:${spec.type}:${slot}`, createdBy: "cron" }, nowMs);
  }
  if (controller.cron === HEALTH_CRON) {
    const report = await sweepTasks(env, nowMs);
    const swept = report.requeued.length + report.dead.length + report.resent.length + report.settled.length;
    if (swept > 0) createLogger(platformOf(env).config.logLevel, { component: "cron" }).warn("task sweep", { ...report });
  }
}
