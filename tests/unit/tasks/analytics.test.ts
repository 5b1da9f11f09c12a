/**
 * Task analytics: counts by status and type, success rates (cancelled excluded, null before any task ended), attempts
 * and retried tasks, nearest-rank durations of succeeded tasks, failures by class, and the backlog of live tasks.
 */
import { describe, expect, it } from "vitest";
import { taskAnalytics, type FailureFacts, type TaskFacts } from "../../../core/tasks/analytics.js";
import { TaskAnalyticsSchema, type TaskAnalytics } from "../../../core/schemas/tasks.js";
import { makeFacts, NOW_MS } from "./builders.js";

const SINCE_MS = NOW_MS - 7 * 86_400_000;

/** A succeeded task of `type` whose last attempt took `durationMs`. */
function ran(durationMs: number, overrides: Partial<TaskFacts> = {}): TaskFacts {
  return makeFacts({ startedAtMs: NOW_MS - 10 * 60_000, finishedAtMs: NOW_MS - 10 * 60_000 + durationMs, ...overrides });
}

function analyse(tasks: readonly TaskFacts[], failures: readonly FailureFacts[] = [], live: readonly TaskFacts[] = []): TaskAnalytics {
  const analytics = taskAnalytics(tasks, failures, live, SINCE_MS, NOW_MS);
  // The route answers with this schema: the analytics must always fit it.
  expect(TaskAnalyticsSchema.parse(analytics)).toEqual(analytics);
  return analytics;
}

function ofType(analytics: TaskAnalytics, type: string) {
  const entry = analytics.byType.find((e) => e.type === type);
  if (entry === undefined) throw new Error(`no analytics for ${type}`);
  return entry;
}

describe("taskAnalytics", () => {
  it("answers zeroes and nulls for no tasks", () => {
    expect(analyse([])).toEqual({
      sinceMs: SINCE_MS,
      total: 0,
      byStatus: { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, dead: 0, cancelled: 0 },
      byType: [],
      backlog: { pending: 0, queued: 0, running: 0, oldestQueuedAgeMs: null },
    });
  });

  it("counts tasks by status and by type, listing only types that have tasks, in the type order", () => {
    const analytics = analyse([
      makeFacts({ type: "backtest", status: "succeeded" }),
      makeFacts({ type: "backtest", status: "failed" }),
      makeFacts({ type: "notification", status: "queued" }),
      makeFacts({ type: "model_training", status: "running" }),
      makeFacts({ type: "model_training", status: "cancelled" }),
      makeFacts({ type: "model_training", status: "dead" }),
      makeFacts({ type: "model_training", status: "pending" }),
    ]);
    expect(analytics.total).toBe(7);
    expect(analytics.byStatus).toEqual({ pending: 1, queued: 1, running: 1, succeeded: 1, failed: 1, dead: 1, cancelled: 1 });
    expect(analytics.byType.map((e) => [e.type, e.total])).toEqual([
      ["model_training", 4],
      ["backtest", 2],
      ["notification", 1],
    ]);
    expect(ofType(analytics, "model_training").byStatus).toEqual({ pending: 1, queued: 0, running: 1, succeeded: 0, failed: 0, dead: 1, cancelled: 1 });
  });

  it("rates success over the tasks that ended by running, leaving cancelled ones out", () => {
    const tasks = [
      ...Array.from({ length: 3 }, () => makeFacts({ type: "data_backup", status: "succeeded" })),
      makeFacts({ type: "data_backup", status: "failed" }),
      ...Array.from({ length: 5 }, () => makeFacts({ type: "data_backup", status: "cancelled" })),
      makeFacts({ type: "data_backup", status: "running" }),
      makeFacts({ type: "health_check", status: "succeeded" }),
      makeFacts({ type: "health_check", status: "dead" }),
    ];
    const analytics = analyse(tasks);
    expect(ofType(analytics, "data_backup").successRate).toBe(0.75);
    expect(ofType(analytics, "health_check").successRate).toBe(0.5);
  });

  it("has no success rate for a type none of whose tasks ended by running", () => {
    const analytics = analyse([
      makeFacts({ type: "backtest", status: "cancelled" }),
      makeFacts({ type: "backtest", status: "queued" }),
      makeFacts({ type: "backtest", status: "running" }),
    ]);
    expect(ofType(analytics, "backtest").successRate).toBeNull();
  });

  it("sums attempts and counts the tasks that needed more than one", () => {
    const analytics = analyse([
      makeFacts({ attempts: 1 }),
      makeFacts({ attempts: 3 }),
      makeFacts({ status: "dead", attempts: 3 }),
      makeFacts({ status: "queued", attempts: 0 }),
      makeFacts({ status: "running", attempts: 2 }),
    ]);
    expect(ofType(analytics, "health_check").attempts).toEqual({ total: 9, retried: 3 });
  });

  it("gives mean, nearest-rank p50 and p95 and max of the succeeded tasks' durations", () => {
    // 20 durations 100, 200, …, 2000 ms given out of order: p50 is the 10th (1000), p95 the 19th (1900).
    const durations = Array.from({ length: 20 }, (_, i) => (i + 1) * 100).reverse();
    const analytics = analyse(durations.map((ms) => ran(ms)));
    expect(ofType(analytics, "health_check").durationMs).toEqual({ count: 20, mean: 1050, p50: 1000, p95: 1900, max: 2000 });
  });

  it("uses the nearest rank for small samples", () => {
    expect(ofType(analyse([ran(30), ran(10), ran(20)]), "health_check").durationMs).toEqual({ count: 3, mean: 20, p50: 20, p95: 30, max: 30 });
    expect(ofType(analyse([ran(10), ran(40)]), "health_check").durationMs).toEqual({ count: 2, mean: 25, p50: 10, p95: 40, max: 40 });
    expect(ofType(analyse([ran(1_234)]), "health_check").durationMs).toEqual({ count: 1, mean: 1_234, p50: 1_234, p95: 1_234, max: 1_234 });
  });

  it("takes durations from succeeded tasks with both times only", () => {
    const analytics = analyse([
      ran(500),
      ran(9_000, { status: "failed" }),
      ran(9_000, { status: "dead" }),
      ran(9_000, { status: "running", finishedAtMs: null }),
      makeFacts({ status: "succeeded", startedAtMs: null, finishedAtMs: NOW_MS }),
      makeFacts({ status: "succeeded", startedAtMs: NOW_MS, finishedAtMs: null }),
    ]);
    expect(ofType(analytics, "health_check").durationMs).toEqual({ count: 1, mean: 500, p50: 500, p95: 500, max: 500 });
  });

  it("has null durations for a type with no succeeded task", () => {
    expect(ofType(analyse([makeFacts({ status: "failed" })]), "health_check").durationMs).toEqual({ count: 0, mean: null, p50: null, p95: null, max: null });
  });

  it("counts failed attempts by class per type", () => {
    const failures: FailureFacts[] = [
      { type: "backtest", failureClass: "retryable" },
      { type: "backtest", failureClass: "retryable" },
      { type: "backtest", failureClass: "timeout" },
      { type: "data_backup", failureClass: "permanent" },
    ];
    const analytics = analyse([makeFacts({ type: "backtest", status: "dead", attempts: 3 }), makeFacts({ type: "data_backup", status: "failed" })], failures);
    expect(ofType(analytics, "backtest").failures).toEqual({ retryable: 2, permanent: 0, timeout: 1 });
    expect(ofType(analytics, "data_backup").failures).toEqual({ retryable: 0, permanent: 1, timeout: 0 });
  });

  it("reads the backlog from the live tasks, whenever they were created, not from the window's tasks", () => {
    const live = [
      makeFacts({ status: "queued", createdAtMs: NOW_MS - 30 * 86_400_000 }), // older than the window
      makeFacts({ status: "queued", createdAtMs: NOW_MS - 5_000 }),
      makeFacts({ status: "pending", createdAtMs: NOW_MS - 60_000 }),
      makeFacts({ status: "running", createdAtMs: NOW_MS - 90 * 86_400_000 }),
      makeFacts({ status: "running", createdAtMs: NOW_MS - 1_000 }),
    ];
    const windowTasks = [makeFacts({ status: "queued", createdAtMs: NOW_MS - 1_000 }), makeFacts({ status: "succeeded" })];
    const analytics = analyse(windowTasks, [], live);
    expect(analytics.backlog).toEqual({ pending: 1, queued: 2, running: 2, oldestQueuedAgeMs: 30 * 86_400_000 });
    expect(analytics.total).toBe(2);
  });

  it("has no oldest queued age when nothing is queued", () => {
    const analytics = analyse([], [], [makeFacts({ status: "running" }), makeFacts({ status: "pending" })]);
    expect(analytics.backlog).toEqual({ pending: 1, queued: 0, running: 1, oldestQueuedAgeMs: null });
  });
});
