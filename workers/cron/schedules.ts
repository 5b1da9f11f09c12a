/** Cron triggers (UTC, see wrangler.toml): each only enqueues tasks, never does the work inline. */
import type { TaskMessage } from "../../core/schemas/tasks.js";

/** The tasks each cron expression enqueues. */
export const CRON_TASKS: Readonly<Record<string, (nowMs: number) => TaskMessage[]>> = {
  "*/5 * * * *": (nowMs) => [{ type: "health.check", requestedAtMs: nowMs, trigger: "cron" }],
};

export async function onSchedule(controller: ScheduledController, env: Env): Promise<void> {
  const tasksFor = CRON_TASKS[controller.cron];
  if (!tasksFor) throw new Error(`no tasks are defined for cron '${controller.cron}'`);
  const tasks = tasksFor(controller.scheduledTime);
  await env.TASKS.sendBatch(tasks.map((body) => ({ body })));
}
