/** What a task processor receives and returns. Processors do the work; the runner owns status, retries and events. */
import type { TaskPayloads, TaskRecord, TaskType } from "../../core/schemas/tasks.js";
import type { Logger } from "../log.js";

export interface TaskRun<T extends TaskType> {
  readonly env: Env;
  /** The task as claimed (status running, attempts counting this run). */
  readonly task: TaskRecord;
  /** The payload, parsed by the type's schema (defaults filled in). */
  readonly payload: TaskPayloads[T];
  /** The time the run started, epoch ms. */
  readonly nowMs: number;
  /** Aborted when the run times out: long loops should check it. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * Runs one task and resolves to its JSON-serializable result (stored on the task, read by the follow-up rules).
 * Throw PermanentTaskError (core/tasks/failure.ts) for failures no retry can fix; anything else is retried.
 */
export type TaskProcessor<T extends TaskType> = (run: TaskRun<T>) => Promise<Record<string, unknown>>;
