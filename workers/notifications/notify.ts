/** What the platform calls to notify someone: creates a `notification` task, whose run delivers it (deliver.ts). */
import type { TaskRecord } from "../../core/schemas/tasks.js";
import { createTask } from "../tasks/task-store.js";
import type { NotificationInput } from "./deliver.js";

export interface NotifyOptions {
  /** Who asks, for the task's createdBy, e.g. `system:health`, `task:<id>`. */
  readonly createdBy: string;
  /** Time of the request, epoch ms. */
  readonly nowMs: number;
  /** A second notification with the same key answers the first task instead of creating another. */
  readonly dedupeKey?: string;
  /** The task whose outcome this notification reports. */
  readonly parentTaskId?: string;
}

/**
 * Sends a notification the durable way: creates a `notification` task (priority 9, retried with backoff), whose run
 * delivers it. Throws ValidationError (400) for an invalid payload.
 * @example await notify(env, { event: "backup.failed", severity: "critical", title: "Backup failed", message: "…" }, { createdBy: "task:tsk_…", nowMs })
 */
export async function notify(env: Env, payload: NotificationInput, options: NotifyOptions): Promise<{ task: TaskRecord; created: boolean }> {
  const { createdBy, dedupeKey, parentTaskId, nowMs } = options;
  return createTask(env, { type: "notification", payload, createdBy, dedupeKey, parentTaskId }, nowMs);
}
