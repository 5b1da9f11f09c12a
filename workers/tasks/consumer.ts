/** Queue consumer for TASKS and its dead-letter queue: validates each message and runs its processor. */
import { TaskMessageSchema, type TaskMessage } from "../../core/schemas/tasks.js";
import { createLogger, describeError } from "../log.js";
import { platformOf } from "../platform.js";
import { runHealthCheck } from "./health-check.js";

/** Retry delay after the n-th failed attempt, seconds: 2, 4, 8 … capped at 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, attempts));
}

async function runTask(env: Env, task: TaskMessage): Promise<void> {
  switch (task.type) {
    case "health.check":
      await runHealthCheck(env, Date.now());
      return;
  }
}

export async function consumeTasks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger(platformOf(env).config.logLevel, { component: "tasks", queue: batch.queue });
  const deadLetters = batch.queue.endsWith("-dlq");
  for (const message of batch.messages) {
    const parsed = TaskMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      // A malformed message can never succeed: drop it loudly instead of retrying it.
      log.error("invalid task message dropped", { id: message.id, issues: parsed.error.issues });
      message.ack();
      continue;
    }
    if (deadLetters) {
      log.error("task dead-lettered", { id: message.id, type: parsed.data.type, attempts: message.attempts });
      message.ack();
      continue;
    }
    try {
      await runTask(env, parsed.data);
      message.ack();
      log.info("task done", { id: message.id, type: parsed.data.type });
    } catch (error: unknown) {
      const delaySeconds = retryDelaySeconds(message.attempts);
      log.warn("task failed, retrying", { id: message.id, type: parsed.data.type, attempts: message.attempts, delaySeconds, ...describeError(error) });
      message.retry({ delaySeconds });
    }
  }
}
