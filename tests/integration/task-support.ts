/** Helpers for task-system tests: dormant tasks driven by hand-made queue batches, waiting for statuses, events. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { parseTaskPayload, type TaskEvent, type TaskRecord, type TaskStatus, type TaskType } from "../../core/schemas/tasks.js";
import { TASK_TYPE_DEFAULTS } from "../../core/tasks/task-types.js";
import worker from "../../workers/index.js";
import { createLogger } from "../../workers/log.js";
import type { TaskRun } from "../../workers/tasks/processor.js";
import { createTask, requireTask, taskEvents, type TaskSpec } from "../../workers/tasks/task-store.js";
import { makeTask } from "../support/task-builders.js";

export const TASKS_QUEUE = "aurum-edge-tasks";
export const DEAD_LETTER_QUEUE = "aurum-edge-tasks-dlq";

/** Eleven hours: the real queue message of a dormant task arrives long after the test ended. */
const DORMANT_DELAY_MS = 11 * 3_600_000;

/**
 * A queued task whose real queue message is delayed for hours, made due at once in D1: the test delivers it with
 * {@link deliver} (a hand-made batch through the real consumer), so nothing else runs it meanwhile.
 */
export async function dormantTask(spec: Omit<TaskSpec, "createdBy"> & { createdBy?: string }): Promise<TaskRecord> {
  const { task } = await createTask(env, { createdBy: "test", ...spec, runAfterMs: Date.now() + DORMANT_DELAY_MS }, Date.now());
  await makeDue(task.id);
  return await requireTask(env, task.id);
}

/** Makes a queued task due now (the test's clock jump past a retry delay). */
export async function makeDue(taskId: string): Promise<void> {
  await env.DB.prepare("UPDATE tasks SET run_after_ms = 0 WHERE id = ?").bind(taskId).run();
}

/** Delivers one batch of messages (one per id, in this order) to the real consumer and answers what it settled. */
export async function deliver(taskIds: readonly string[], options: { attempts?: number; queue?: string } = {}): Promise<{ acked: string[]; retried: { id: string }[] }> {
  const batch = createMessageBatch(
    options.queue ?? TASKS_QUEUE,
    taskIds.map((taskId, i) => ({ id: `m${i}-${taskId}`, timestamp: new Date(), attempts: options.attempts ?? 1, body: { taskId } })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  const taskOf = (messageId: string) => messageId.slice(messageId.indexOf("-") + 1);
  return {
    acked: result.explicitAcks.map(taskOf),
    retried: result.retryMessages.map((m: { msgId: string }) => ({ id: taskOf(m.msgId) })),
  };
}

/** Polls D1 until the task reaches one of `statuses` (the real queue runs it), or fails after `timeoutMs`. */
export async function waitForStatus(taskId: string, statuses: readonly TaskStatus[], timeoutMs = 20_000): Promise<TaskRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await requireTask(env, taskId);
    if (statuses.includes(task.status)) return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} is ${task.status} after ${timeoutMs} ms, expected ${statuses.join(" or ")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The kinds of a task's events, oldest first. */
export async function eventKinds(taskId: string): Promise<TaskEvent["kind"][]> {
  return (await taskEvents(env, taskId)).map((e) => e.kind);
}

/** Tasks created by a parent task (follow-ups, alerts). */
export async function childrenOf(parentTaskId: string): Promise<{ id: string; type: string; status: string; dedupe_key: string | null }[]> {
  const { results } = await env.DB.prepare("SELECT id, type, status, dedupe_key FROM tasks WHERE parent_task_id = ? ORDER BY created_at_ms")
    .bind(parentTaskId)
    .all<{ id: string; type: string; status: string; dedupe_key: string | null }>();
  return results;
}

/**
 * A notification one of whose channels always fails (the stub answers 500 on /hooks/failing): a retryable failure
 * every time it runs (vitest.integration.config.ts routes test.failing to log, hook and failing).
 */
export function failingNotification(title = "failing"): Record<string, unknown> {
  return { event: "test.failing", severity: "warning", title, message: `${title} message` };
}

/** A notification that the log channel delivers (events task.* route to it in the test config). */
export function logNotification(title = "probe"): Record<string, unknown> {
  return { event: "task.probe", severity: "info", title, message: `${title} message` };
}

/**
 * Waits until no queue-run task is due or running (model_training waits for a trainer and dormant tasks are due in
 * hours, so neither counts).
 */
export async function settleQueue(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM tasks WHERE type != 'model_training' AND (status = 'running' OR (status = 'queued' AND run_after_ms < ?))",
    )
      .bind(Date.now() + 60_000)
      .first<{ n: number }>();
    if ((row?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.n} task(s) still due or running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The run the runner would hand a processor: a claimed (running, first attempt) task of `type` with `payload` at
 * `nowMs`, in `options.env` (default: the test env). For calling a processor directly.
 */
export function processorRun<T extends TaskType>(
  type: T,
  payload: Record<string, unknown>,
  nowMs = Date.now(),
  options: { env?: Env; task?: Partial<TaskRecord> } = {},
): TaskRun<T> {
  const { priority, maxAttempts, timeoutMs } = TASK_TYPE_DEFAULTS[type];
  const parsed = parseTaskPayload(type, payload);
  const task = makeTask({
    id: `tsk_${crypto.randomUUID().replaceAll("-", "")}`,
    type,
    status: "running",
    priority,
    payload: parsed as Record<string, unknown>,
    maxAttempts,
    runAfterMs: nowMs,
    timeoutMs,
    leaseOwner: "test",
    leaseExpiresAtMs: nowMs + timeoutMs,
    createdBy: "test",
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    startedAtMs: nowMs,
    finishedAtMs: null,
    ...options.task,
  });
  return { env: options.env ?? env, task, payload: parsed, nowMs, signal: new AbortController().signal, log: createLogger("warn", { test: type }) };
}

/**
 * The analytics suites' mix, run through the consumer: a notification that succeeds, one that fails twice and ends
 * dead after its retry, and a deploy of a missing model that fails permanently (4 runs, 3 tasks).
 */
export async function runAnalyticsMix(): Promise<void> {
  const ok = await dormantTask({ type: "notification", payload: logNotification("ok") });
  const flaky = await dormantTask({ type: "notification", payload: failingNotification("flaky"), maxAttempts: 2 });
  const permanent = await dormantTask({ type: "model_deploy", payload: { modelId: 99 } });
  await deliver([ok.id, flaky.id, permanent.id]);
  await makeDue(flaky.id);
  await deliver([flaky.id], { attempts: 2 });
}
