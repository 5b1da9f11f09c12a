/** The `notification` task: delivers its payload on the routed channels (workers/notifications/deliver.ts). */
import { deliverNotification } from "../../notifications/deliver.js";
import type { TaskProcessor } from "../processor.js";

/**
 * Delivers the notification under the task's id, so a retry sends only the channels that failed before. Resolves to
 * the channel summary; throws (after recording every attempt) when a channel failed.
 */
export const runNotification: TaskProcessor<"notification"> = async (run) => {
  const summary = await deliverNotification(run.env, run.payload, { taskId: run.task.id, nowMs: run.nowMs, signal: run.signal });
  run.log.info("notification delivered", { event: run.payload.event, ...summary });
  return { ...summary };
};
