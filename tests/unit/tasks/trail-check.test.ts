/** The fault drill's trail check: complete trails pass; gaps, overlapping runs and miscounted attempts are named. */
import { describe, expect, it } from "vitest";
import type { TaskEvent, TaskStatus } from "../../../core/schemas/tasks.js";
import { checkTrail } from "../../../core/tasks/trail-check.js";

type Step = [TaskEvent["kind"], TaskStatus | null, TaskStatus | null, number];

function trail(steps: readonly Step[]): TaskEvent[] {
  return steps.map(([kind, fromStatus, toStatus, attempt], i) => ({
    id: i + 1,
    taskId: "tsk_1",
    atMs: 1_000 + i,
    kind,
    fromStatus,
    toStatus,
    attempt,
    actor: "test",
    detail: null,
  }));
}

const RETRIED_THEN_SUCCEEDED: Step[] = [
  ["created", null, "pending", 0],
  ["queued", "pending", "queued", 0],
  ["claimed", "queued", "running", 1],
  ["retry_scheduled", "running", "queued", 1],
  ["claimed", "queued", "running", 2],
  ["succeeded", "running", "succeeded", 2],
  ["follow_up", "succeeded", "succeeded", 2],
];

describe("checkTrail", () => {
  it("accepts a complete trail with a retry and a follow-up", () => {
    expect(checkTrail({ id: "tsk_1", status: "succeeded", attempts: 2, maxAttempts: 3 }, trail(RETRIED_THEN_SUCCEEDED))).toEqual({ runs: 2, problems: [] });
  });

  it("accepts a dead letter that arrives while the task is queued, and a manual retry resetting the count", () => {
    const steps: Step[] = [
      ["created", null, "pending", 0],
      ["queued", "pending", "queued", 0],
      ["dead", "queued", "dead", 0],
      ["manual_retry", "dead", "queued", 0],
      ["claimed", "queued", "running", 1],
      ["succeeded", "running", "succeeded", 1],
    ];
    expect(checkTrail({ id: "tsk_1", status: "succeeded", attempts: 1, maxAttempts: 3 }, trail(steps)).problems).toEqual([]);
  });

  it("names a second claim while a run is open (concurrent runs)", () => {
    const steps: Step[] = [
      ["created", null, "pending", 0],
      ["queued", "pending", "queued", 0],
      ["claimed", "queued", "running", 1],
      ["claimed", "running", "running", 2],
      ["succeeded", "running", "succeeded", 2],
    ];
    const { problems } = checkTrail({ id: "tsk_1", status: "succeeded", attempts: 2, maxAttempts: 3 }, trail(steps));
    expect(problems).toEqual(["tsk_1: event 4: claimed while a run was still open (concurrent runs)"]);
  });

  it("names a missing created event, a gap in the statuses, a status mismatch and miscounted attempts", () => {
    const steps: Step[] = [
      ["queued", "pending", "queued", 0],
      ["succeeded", "running", "succeeded", 1],
    ];
    const { problems } = checkTrail({ id: "tsk_1", status: "dead", attempts: 1, maxAttempts: 1 }, trail(steps));
    expect(problems).toEqual([
      "tsk_1: first event is queued, not created",
      "tsk_1: event 2 (succeeded) starts from running but the task was queued",
      "tsk_1: event 2: succeeded without a run",
      "tsk_1: the trail ends succeeded but the task is dead",
      "tsk_1: attempts is 1 but the trail shows 0 claims",
    ]);
  });

  it("names attempts beyond the budget and a finished task with an open run", () => {
    const steps: Step[] = [
      ["created", null, "pending", 0],
      ["queued", "pending", "queued", 0],
      ["claimed", "queued", "running", 1],
    ];
    const { problems } = checkTrail({ id: "tsk_1", status: "running", attempts: 1, maxAttempts: 0 }, trail(steps));
    expect(problems).toEqual(["tsk_1: attempts 1 exceed maxAttempts 0"]);
  });
});
