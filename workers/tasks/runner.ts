/**
 * Runs one claimed task: its processor under the task's timeout (and, in drills, injected faults), then records
 * the outcome under the claim's lease and runs what follows — dependents released, follow-up rules, cascades and
 * the dead-task alert.
 */
import { retryDelaySeconds } from "../../core/tasks/retry-policy.js";
import { classifyFailure, describeFailure, InjectedFaultError, TaskTimeoutError } from "../../core/tasks/failure.js";
import { deadTaskAlert, followUpsOf } from "../../core/tasks/follow-ups.js";
import { parseTaskPayload, type TaskError, type TaskRecord, type TaskStatus } from "../../core/schemas/tasks.js";
import { describeError, type Logger } from "../log.js";
import { notify } from "../notifications/notify.js";
import { platformOf } from "../platform.js";
import type { TaskProcessor, TaskRun } from "./processor.js";
import { PROCESSORS, type QueueTaskType } from "./processors/index.js";
import { completeTask, createTask, failDependents, recordDiscardedResult, recordFailure, recordFollowUp, releaseDependents, type Claim } from "./task-store.js";

/** What became of a run, for the queue message: ack it, or retry it after `delaySeconds`. */
export type RunOutcome =
  | { readonly kind: "succeeded" }
  | { readonly kind: "retry"; readonly delaySeconds: number }
  | { readonly kind: "ended"; readonly status: TaskStatus }
  | { readonly kind: "discarded" };

/** Runs `processor` and rejects with TaskTimeoutError once `timeoutMs` passed (the signal is aborted then too). */
async function withTimeout<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new TaskTimeoutError(timeoutMs));
      reject(new TaskTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function processorOf<T extends QueueTaskType>(type: T): TaskProcessor<T> {
  return PROCESSORS[type] as TaskProcessor<T>;
}

async function runProcessor(env: Env, task: TaskRecord, log: Logger, startedMs: number): Promise<Record<string, unknown>> {
  if (task.type === "model_training") throw new Error("model_training tasks are run by the trainer daemon, not the queue");
  const type: QueueTaskType = task.type;
  const faultRate = platformOf(env).config.tasks.faultInjectionRate;
  return await withTimeout(task.timeoutMs, async (signal) => {
    if (faultRate > 0 && Math.random() < faultRate) throw new InjectedFaultError();
    const run: TaskRun<typeof type> = { env, task, payload: parseTaskPayload(type, task.payload), nowMs: startedMs, signal, log };
    return await processorOf(type)(run);
  });
}

/** Runs a claimed queue task to its recorded outcome. Throws only when D1 cannot record it (the message is retried). */
export async function runClaimedTask(env: Env, claim: Claim, actor: string, log: Logger): Promise<RunOutcome> {
  const { task, leaseToken } = claim;
  const startedMs = Date.now();
  const taskLog = log.child({ taskId: task.id, type: task.type, attempt: task.attempts });
  let result: Record<string, unknown>;
  try {
    result = await runProcessor(env, task, taskLog, startedMs);
  } catch (error: unknown) {
    return await handleFailure(env, task, leaseToken, error, actor, taskLog);
  }
  const finishedMs = Date.now();
  if (!(await completeTask(env, task.id, leaseToken, result, actor, finishedMs, finishedMs - startedMs))) {
    await recordDiscardedResult(env, task.id, actor, finishedMs, { outcome: "succeeded", reason: "the lease was lost (cancelled or expired)" });
    taskLog.warn("task result discarded: lease lost");
    return { kind: "discarded" };
  }
  taskLog.info("task succeeded", { durationMs: finishedMs - startedMs });
  await afterSuccess(env, task, result, actor, finishedMs, taskLog);
  return { kind: "succeeded" };
}

async function handleFailure(env: Env, task: TaskRecord, leaseToken: string, thrown: unknown, actor: string, log: Logger): Promise<RunOutcome> {
  const { retryBaseS, retryMaxS } = platformOf(env).config.tasks;
  const failureClass = classifyFailure(thrown);
  const willRetry = failureClass !== "permanent" && task.attempts < task.maxAttempts;
  const nextDelayS = willRetry ? retryDelaySeconds(task.attempts, { baseS: retryBaseS, maxS: retryMaxS }) : null;
  const error: TaskError = { class: failureClass, ...describeFailure(thrown), attempt: task.attempts, willRetry, nextDelayS };
  const nowMs = Date.now();
  const { recorded, status } = await recordFailure(env, task.id, leaseToken, error, actor, nowMs);
  if (!recorded) {
    await recordDiscardedResult(env, task.id, actor, nowMs, { outcome: "failed", error: error.message, reason: "the lease was lost (cancelled or expired)" });
    return { kind: "discarded" };
  }
  log.warn(willRetry ? "task failed, retrying" : `task ${status}`, { class: failureClass, nextDelayS, ...describeError(thrown) });
  if (nextDelayS !== null) return { kind: "retry", delaySeconds: nextDelayS };
  await afterTerminalFailure(env, { ...task, status, error }, error.message, actor, nowMs);
  return { kind: "ended", status };
}

/** Releases the dependents of a task that succeeded and creates the follow-ups its result asks for. */
export async function afterSuccess(env: Env, task: TaskRecord, result: unknown, actor: string, nowMs: number, log: Logger): Promise<void> {
  await releaseDependents(env, task.id, actor, nowMs);
  for (const followUp of followUpsOf(task, result, nowMs)) {
    try {
      const { task: created, created: isNew } = await createTask(
        env,
        { type: followUp.type, payload: followUp.payload, dedupeKey: followUp.dedupeKey, createdBy: `task:${task.id}`, parentTaskId: task.id },
        nowMs,
      );
      await recordFollowUp(env, task, actor, nowMs, { rule: followUp.rule, taskId: created.id, type: followUp.type, created: isNew });
    } catch (error: unknown) {
      // A follow-up that cannot be created must not undo the success it follows; the log says what was missed.
      log.error("follow-up task not created", { rule: followUp.rule, type: followUp.type, ...describeError(error) });
    }
  }
}

/** Applies the dependency policy of a task that ended failed, dead or cancelled, and alerts when it died. */
export async function afterTerminalFailure(
  env: Env,
  task: Pick<TaskRecord, "id" | "type" | "attempts" | "error" | "status">,
  reason: string,
  actor: string,
  nowMs: number,
): Promise<void> {
  await failDependents(env, task.id, task.status, actor, nowMs);
  if (task.status !== "dead") return;
  const alert = deadTaskAlert(task, reason);
  if (alert !== null) await notify(env, alert, { createdBy: actor, nowMs, dedupeKey: `alert:task.dead:${task.id}:${nowMs}`, parentTaskId: task.id });
}

