/**
 * Queue consumers. TASKS: each message names a task; the batch runs highest priority first; each task is claimed
 * in D1 before it runs (a duplicate delivery finds it claimed and is acknowledged), and a failed run is retried by
 * retrying its message with the task's backoff. The dead-letter queue: a message the consumer could not settle in
 * its deliveries (D1 unreachable, a crash mid-run) marks its task dead and alerts.
 */
import { TaskMessageSchema } from "../../core/schemas/tasks.js";
import { createLogger, describeError, type Logger } from "../log.js";
import { platformOf } from "../platform.js";
import { afterTerminalFailure, runClaimedTask } from "./runner.js";
import { claimTask, getTaskRow, markDead } from "./task-store.js";

/** Delay before redelivering a message whose handling failed for want of D1, seconds: 2, 4, 8 … capped at 5 min. */
export function infrastructureRetryDelaySeconds(deliveries: number): number {
  return Math.min(300, 2 ** Math.max(1, deliveries));
}

export async function consumeTasks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger(platformOf(env).config.logLevel, { component: "tasks", queue: batch.queue });
  if (batch.queue.endsWith("-dlq")) {
    await consumeDeadLetters(batch, env, log);
    return;
  }
  const actor = `consumer:${crypto.randomUUID().slice(0, 8)}`;
  const parsed: { message: Message<unknown>; taskId: string }[] = [];
  for (const message of batch.messages) {
    const body = TaskMessageSchema.safeParse(message.body);
    if (body.success) parsed.push({ message, taskId: body.data.taskId });
    else {
      // A malformed message can never succeed: drop it loudly instead of retrying it.
      log.error("invalid task message dropped", { id: message.id, issues: body.error.issues });
      message.ack();
    }
  }
  for (const { message, taskId } of await byPriority(env, parsed)) {
    try {
      await deliver(env, message, taskId, actor, log);
    } catch (error: unknown) {
      const delaySeconds = infrastructureRetryDelaySeconds(message.attempts);
      log.error("task message not settled, redelivering", { taskId, attempts: message.attempts, delaySeconds, ...describeError(error) });
      message.retry({ delaySeconds });
    }
  }
}

/** The batch's messages, highest task priority first, then oldest task first (unknown tasks last). */
async function byPriority<T extends { taskId: string }>(env: Env, items: readonly T[]): Promise<T[]> {
  if (items.length <= 1) return [...items];
  const ids = [...new Set(items.map((i) => i.taskId))];
  const { results } = await env.DB.prepare(`SELECT id, priority, created_at_ms FROM tasks WHERE id IN (${ids.map(() => "?").join(",")})`)
    .bind(...ids)
    .all<{ id: string; priority: number; created_at_ms: number }>();
  const rank = new Map(results.map((r) => [r.id, r]));
  return [...items].sort((a, b) => {
    const ra = rank.get(a.taskId);
    const rb = rank.get(b.taskId);
    return (rb?.priority ?? -1) - (ra?.priority ?? -1) || (ra?.created_at_ms ?? Infinity) - (rb?.created_at_ms ?? Infinity);
  });
}

async function deliver(env: Env, message: Message<unknown>, taskId: string, actor: string, log: Logger): Promise<void> {
  const nowMs = Date.now();
  const claim = await claimTask(env, taskId, actor, null, nowMs);
  if (claim === null) {
    const row = await getTaskRow(env.DB, taskId);
    if (row?.status === "queued" && row.run_after_ms > nowMs) {
      // Early (a retry delay rounds to whole seconds): come back when it is due.
      message.retry({ delaySeconds: Math.ceil((row.run_after_ms - nowMs) / 1000) });
      return;
    }
    // Unknown, already running (a duplicate delivery), ended, cancelled or pending: nothing to run.
    log.debug("task message acknowledged without a run", { taskId, status: row?.status ?? "unknown" });
    message.ack();
    return;
  }
  const outcome = await runClaimedTask(env, claim, actor, log);
  if (outcome.kind === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
  else message.ack();
}

async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env, log: Logger): Promise<void> {
  for (const message of batch.messages) {
    const body = TaskMessageSchema.safeParse(message.body);
    if (!body.success) {
      log.error("invalid dead letter dropped", { id: message.id });
      message.ack();
      continue;
    }
    const { taskId } = body.data;
    try {
      const nowMs = Date.now();
      const reason = `dead-lettered after ${message.attempts} deliveries`;
      if (await markDead(env, taskId, reason, "dead-letter-queue", nowMs)) {
        const row = await getTaskRow(env.DB, taskId);
        if (row) await afterTerminalFailure(env, { id: row.id, type: row.type, attempts: row.attempts, error: null, status: "dead" }, reason, "dead-letter-queue", nowMs);
        log.error("task dead-lettered", { taskId, deliveries: message.attempts });
      }
      message.ack();
    } catch (error: unknown) {
      log.error("dead letter not settled, redelivering", { taskId, ...describeError(error) });
      message.retry({ delaySeconds: infrastructureRetryDelaySeconds(message.attempts) });
    }
  }
}

