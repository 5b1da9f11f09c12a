/** Readiness of a task from its dependencies: ready, waiting, or blocked by the one that ended without succeeding. */
import { describe, expect, it } from "vitest";
import { readiness } from "../../../core/tasks/dependencies.js";
import { isTerminal, TASK_STATUSES, type TaskStatus } from "../../../core/schemas/tasks.js";
import { taskId } from "./builders.js";

const dep = (n: number, status: TaskStatus) => ({ id: taskId(n), status });

describe("readiness", () => {
  it("is ready without dependencies", () => {
    expect(readiness([])).toEqual({ kind: "ready" });
  });

  it("is ready when every dependency succeeded", () => {
    expect(readiness([dep(1, "succeeded")])).toEqual({ kind: "ready" });
    expect(readiness([dep(1, "succeeded"), dep(2, "succeeded"), dep(3, "succeeded")])).toEqual({ kind: "ready" });
  });

  it.each(["pending", "queued", "running"] as const)("waits while a dependency is %s", (status) => {
    expect(readiness([dep(1, "succeeded"), dep(2, status)])).toEqual({ kind: "waiting" });
    expect(readiness([dep(2, status)])).toEqual({ kind: "waiting" });
  });

  it.each(["failed", "dead", "cancelled"] as const)("is blocked by a dependency that is %s, named with its status", (status) => {
    expect(readiness([dep(1, "succeeded"), dep(2, status)])).toEqual({ kind: "blocked", dependencyId: taskId(2), dependencyStatus: status });
  });

  it("is blocked rather than waiting when one dependency failed and another still runs", () => {
    expect(readiness([dep(1, "running"), dep(2, "pending"), dep(3, "dead")])).toEqual({
      kind: "blocked",
      dependencyId: taskId(3),
      dependencyStatus: "dead",
    });
  });

  it("names the first blocker in the order given", () => {
    expect(readiness([dep(1, "succeeded"), dep(2, "cancelled"), dep(3, "failed")])).toEqual({
      kind: "blocked",
      dependencyId: taskId(2),
      dependencyStatus: "cancelled",
    });
  });

  it("covers every status: one dependency in each", () => {
    const expected: Record<TaskStatus, "ready" | "waiting" | "blocked"> = {
      pending: "waiting",
      queued: "waiting",
      running: "waiting",
      succeeded: "ready",
      failed: "blocked",
      dead: "blocked",
      cancelled: "blocked",
    };
    expect(Object.keys(expected).sort()).toEqual([...TASK_STATUSES].sort());
    for (const status of TASK_STATUSES) expect(readiness([dep(1, status)]).kind, status).toBe(expected[status]);
  });
});

describe("isTerminal", () => {
  it("holds for succeeded, failed, dead and cancelled only", () => {
    expect(TASK_STATUSES.filter(isTerminal)).toEqual(["succeeded", "failed", "dead", "cancelled"]);
  });
});
