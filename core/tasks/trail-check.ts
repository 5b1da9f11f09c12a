/**
 * Checks a task's event trail for completeness and for the one thing the task system must never do: run a task
 * twice at once. Used by the fault drill (scripts/fault-drill.ts) over every task it created.
 */
import { isTerminal, type TaskEvent, type TaskRecord } from "../schemas/tasks.js";

/** Events that end a run (the claim's outcome). */
const RUN_OUTCOMES: ReadonlySet<TaskEvent["kind"]> = new Set(["succeeded", "retry_scheduled", "failed", "dead", "lease_expired", "cancelled"]);

export interface TrailCheck {
  /** Runs (claims) the trail shows. */
  readonly runs: number;
  /** Everything wrong with it; empty when the trail is complete and consistent. */
  readonly problems: string[];
}

/**
 * Checks that the trail starts with `created`, that every claim is followed by its outcome before any other claim
 * (no concurrent runs), that each event's from-status is the previous event's to-status, that the task's attempts
 * equal its claims since the last manual retry, and that a finished task's last event matches its status.
 * @example checkTrail(task, events).problems // [] for a healthy task
 */
export function checkTrail(task: Pick<TaskRecord, "id" | "status" | "attempts" | "maxAttempts">, events: readonly TaskEvent[]): TrailCheck {
  const problems: string[] = [];
  if (events[0]?.kind !== "created") problems.push(`first event is ${events[0]?.kind ?? "missing"}, not created`);
  let runOpen = false;
  let runs = 0;
  let claimsSinceRetry = 0;
  let status: string | null = events[0]?.toStatus ?? null;
  for (const [index, event] of events.entries()) {
    if (index > 0 && event.kind !== "follow_up" && event.kind !== "result_discarded" && event.fromStatus !== status) {
      problems.push(`event ${event.id} (${event.kind}) starts from ${String(event.fromStatus)} but the task was ${String(status)}`);
    }
    if (event.kind === "claimed") {
      if (runOpen) problems.push(`event ${event.id}: claimed while a run was still open (concurrent runs)`);
      runOpen = true;
      runs += 1;
      claimsSinceRetry += 1;
      if (event.attempt !== claimsSinceRetry) problems.push(`event ${event.id}: claim numbered attempt ${event.attempt}, expected ${claimsSinceRetry}`);
    } else if (RUN_OUTCOMES.has(event.kind)) {
      if (event.kind !== "cancelled" && event.kind !== "dead" && !runOpen) problems.push(`event ${event.id}: ${event.kind} without a run`);
      runOpen = false;
    } else if (event.kind === "manual_retry") {
      claimsSinceRetry = 0;
    }
    if (event.kind !== "follow_up" && event.kind !== "result_discarded" && event.toStatus !== null) status = event.toStatus;
  }
  if (status !== task.status) problems.push(`the trail ends ${String(status)} but the task is ${task.status}`);
  if (isTerminal(task.status) && runOpen) problems.push("the task ended with a run still open");
  if (claimsSinceRetry !== task.attempts) problems.push(`attempts is ${task.attempts} but the trail shows ${claimsSinceRetry} claims`);
  if (task.attempts > task.maxAttempts) problems.push(`attempts ${task.attempts} exceed maxAttempts ${task.maxAttempts}`);
  return { runs, problems: problems.map((p) => `${task.id}: ${p}`) };
}
