/**
 * The task system on real Queues and D1: priority order, dependency chains and fan-in, retries with growing delays,
 * dead-lettering, duplicate deliveries, lease expiry and the sweeper, cancel/retry, analytics and the cron triggers.
 * Most tests drive the real consumer with hand-made batches of dormant tasks (deterministic order); the ones named
 * "real queue" let Queues deliver and redeliver by themselves.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TaskAnalytics, TaskRecord } from "../../core/schemas/tasks.js";
import { CRON_TASKS } from "../../workers/cron/schedules.js";
import worker from "../../workers/index.js";
import { claimTask, completeTask, createTask, requireTask, sweepTasks, taskEvents } from "../../workers/tasks/task-store.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, postJson, type As } from "./http.js";
import { childrenOf, DEAD_LETTER_QUEUE, deliver, dormantTask, eventKinds, failingNotification, logNotification, makeDue, runAnalyticsMix, settleQueue, waitForStatus } from "./task-support.js";

beforeEach(freshState);
// Tasks the real queue runs (follow-ups, alerts, cron tasks) finish before the next test wipes the bindings.
afterEach(() => settleQueue(), 40_000);

const admin = async (): Promise<As> => ({ headers: { "x-api-key": (await createApiKey("admin", ["read"], "tasks admin")).key } });
const viewer = async (): Promise<As> => ({ headers: { "x-api-key": (await createApiKey("viewer", ["read"], "tasks viewer")).key } });

async function claimOrder(taskIds: readonly string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT task_id FROM task_events WHERE kind = 'claimed' AND task_id IN (${taskIds.map(() => "?").join(",")}) ORDER BY id`,
  )
    .bind(...taskIds)
    .all<{ task_id: string }>();
  return results.map((r) => r.task_id);
}

describe("claiming and priority", () => {
  it("runs a batch highest priority first, oldest first within a priority", async () => {
    const low = await dormantTask({ type: "notification", payload: logNotification("low"), priority: 1 });
    const highOld = await dormantTask({ type: "notification", payload: logNotification("high-old"), priority: 9 });
    const mid = await dormantTask({ type: "notification", payload: logNotification("mid"), priority: 5 });
    const highNew = await dormantTask({ type: "notification", payload: logNotification("high-new"), priority: 9 });
    const ids = [low.id, highOld.id, mid.id, highNew.id];
    const settled = await deliver(ids);
    expect(settled.acked.sort()).toEqual([...ids].sort());
    expect(await claimOrder(ids)).toEqual([highOld.id, highNew.id, mid.id, low.id]);
    for (const id of ids) expect((await requireTask(env, id)).status).toBe("succeeded");
  });

  it("never runs a task twice on duplicate delivery, in one batch or in concurrent batches", async () => {
    const task = await dormantTask({ type: "notification", payload: logNotification("duplicate") });
    const other = await dormantTask({ type: "notification", payload: logNotification("concurrent") });
    const sameBatch = await deliver([task.id, task.id]);
    expect(sameBatch.acked).toEqual([task.id, task.id]);
    const [first, second] = await Promise.all([deliver([other.id]), deliver([other.id])]);
    expect([...first.acked, ...second.acked]).toEqual([other.id, other.id]);
    for (const id of [task.id, other.id]) {
      const kinds = await eventKinds(id);
      expect(kinds.filter((k) => k === "claimed")).toHaveLength(1);
      expect(kinds).toEqual(["created", "queued", "claimed", "succeeded"]);
      expect((await requireTask(env, id)).attempts).toBe(1);
    }
    // Redelivered after it finished: acknowledged, not run.
    expect((await deliver([task.id])).acked).toEqual([task.id]);
    expect((await eventKinds(task.id)).filter((k) => k === "claimed")).toHaveLength(1);
  });

  it("acknowledges malformed messages and messages of unknown tasks without running anything", async () => {
    const settled = await deliver(["tsk_00000000000000000000000000000000"]);
    expect(settled.acked).toEqual(["tsk_00000000000000000000000000000000"]);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM tasks").all<{ n: number }>();
    expect(results[0]?.n).toBe(0);
  });

  it("sends an early delivery back until the task is due", async () => {
    const { task } = await createTask(env, { type: "notification", payload: logNotification("later"), runAfterMs: Date.now() + 11 * 3_600_000, createdBy: "test" }, Date.now());
    const settled = await deliver([task.id]);
    expect(settled.retried.map((r) => r.id)).toEqual([task.id]);
    expect(await requireTask(env, task.id)).toMatchObject({ status: "queued", attempts: 0 });
    expect(await eventKinds(task.id)).toEqual(["created", "queued"]);
  });
});

describe("failures, retries and dead tasks", () => {
  it("retries a retryable failure with growing delays, then marks the task dead and alerts", async () => {
    const task = await dormantTask({ type: "notification", payload: failingNotification("retry me"), maxAttempts: 4 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const settled = await deliver([task.id], { attempts: attempt });
      // The message is retried with the delay the task records (the test pool does not report retry delays).
      expect(settled.retried.map((r) => r.id)).toEqual([task.id]);
      const queued = await requireTask(env, task.id);
      expect(queued).toMatchObject({ status: "queued", attempts: attempt, error: { class: "retryable", willRetry: true, attempt } });
      delays.push(queued.error?.nextDelayS ?? -1);
      expect(queued.runAfterMs).toBeGreaterThan(Date.now() + (delays.at(-1) ?? 0) * 1000 - 1_500);
      await makeDue(task.id);
    }
    // TASK_RETRY_BASE_S=1, MAX 8 in the test config: steps 1, 2, 4 s with equal jitter → [1,1], [1,2], [2,4].
    expect(delays[0]).toBe(1);
    expect(delays[1]).toBeGreaterThanOrEqual(delays[0] ?? 0);
    expect(delays[2]).toBeGreaterThanOrEqual(2);
    expect(delays[2]).toBeGreaterThanOrEqual(delays[1] ?? 0);
    const last = await deliver([task.id], { attempts: 4 });
    expect(last.acked).toEqual([task.id]);
    const dead = await requireTask(env, task.id);
    expect(dead).toMatchObject({ status: "dead", attempts: 4, error: { class: "retryable", willRetry: false, nextDelayS: null } });
    expect(await eventKinds(task.id)).toEqual([
      "created", "queued",
      "claimed", "retry_scheduled",
      "claimed", "retry_scheduled",
      "claimed", "retry_scheduled",
      "claimed", "dead",
    ]);
    // A dead notification alerts nobody (no loops); a dead task of another type does — see the next test.
    expect(await childrenOf(task.id)).toEqual([]);
  });

  it("fails a permanent failure at once, cascades to dependents by their policy, and alerts on dead tasks", async () => {
    const deploy = await dormantTask({ type: "model_deploy", payload: { modelId: 424_242 } });
    const { task: failsWith } = await createTask(env, { type: "notification", payload: logNotification("a"), dependsOn: [deploy.id], dependencyPolicy: "fail", createdBy: "test" }, Date.now());
    const { task: cancelsWith } = await createTask(env, { type: "notification", payload: logNotification("b"), dependsOn: [deploy.id], createdBy: "test" }, Date.now());
    const { task: grandchild } = await createTask(env, { type: "notification", payload: logNotification("c"), dependsOn: [failsWith.id], dependencyPolicy: "fail", createdBy: "test" }, Date.now());
    expect((await deliver([deploy.id])).acked).toEqual([deploy.id]);
    expect(await requireTask(env, deploy.id)).toMatchObject({ status: "failed", attempts: 1, error: { class: "permanent", willRetry: false } });
    expect(await requireTask(env, failsWith.id)).toMatchObject({ status: "failed", error: { name: "DependencyFailed", message: `dependency ${deploy.id} ended failed` } });
    expect((await requireTask(env, cancelsWith.id)).status).toBe("cancelled");
    expect(await requireTask(env, grandchild.id)).toMatchObject({ status: "failed", error: { message: `dependency ${failsWith.id} ended failed` } });
    expect(await eventKinds(grandchild.id)).toEqual(["created", "dependency_failed"]);
    // A task created after its dependency failed applies its policy at once.
    const { task: late } = await createTask(env, { type: "notification", payload: logNotification("late"), dependsOn: [deploy.id], createdBy: "test" }, Date.now());
    expect(late.status).toBe("cancelled");
    expect(await childrenOf(deploy.id)).toEqual([]); // failed, not dead: no alert
  });

  it("marks a dead-lettered task dead, fails its dependents and creates the alert", async () => {
    const backup = await dormantTask({ type: "data_backup", payload: { kind: "manual" } });
    const { task: dependent } = await createTask(env, { type: "notification", payload: logNotification("after backup"), dependsOn: [backup.id], createdBy: "test" }, Date.now());
    const settled = await deliver([backup.id], { queue: DEAD_LETTER_QUEUE, attempts: 11 });
    expect(settled.acked).toEqual([backup.id]);
    expect(await requireTask(env, backup.id)).toMatchObject({ status: "dead", error: { name: "DeadLettered", message: "dead-lettered after 11 deliveries" } });
    const events = await taskEvents(env, backup.id);
    expect(events.at(-1)).toMatchObject({ kind: "dead", actor: "dead-letter-queue", fromStatus: "queued", toStatus: "dead" });
    expect((await requireTask(env, dependent.id)).status).toBe("cancelled");
    const alerts = await childrenOf(backup.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.type).toBe("notification");
    const alert = await requireTask(env, alerts[0]?.id ?? "");
    expect(alert.payload).toMatchObject({ event: "task.dead", severity: "critical", title: "Task data_backup is dead" });
    // A second dead letter for the same task changes nothing.
    await deliver([backup.id], { queue: DEAD_LETTER_QUEUE, attempts: 11 });
    expect(await childrenOf(backup.id)).toHaveLength(1);
  });

  it("real queue: redelivers a failing task after its backoff until it is dead", async () => {
    const { task } = await createTask(env, { type: "notification", payload: failingNotification("real retries"), maxAttempts: 3, createdBy: "test" }, Date.now());
    const dead = await waitForStatus(task.id, ["dead"], 30_000);
    expect(dead.attempts).toBe(3);
    const events = await taskEvents(env, task.id);
    expect(events.map((e) => e.kind)).toEqual(["created", "queued", "claimed", "retry_scheduled", "claimed", "retry_scheduled", "claimed", "dead"]);
    // Each retry waited at least its scheduled delay.
    for (const [i, event] of events.entries()) {
      if (event.kind !== "retry_scheduled") continue;
      const next = events[i + 1];
      expect((next?.atMs ?? 0) - event.atMs).toBeGreaterThanOrEqual(((event.detail?.["nextDelayS"] as number) ?? 0) * 1000 - 50);
    }
  });
});

describe("dependencies", () => {
  it("real queue: runs a chain in order and a fan-in only after all its dependencies", async () => {
    const create = async (title: string, dependsOn: string[] = []) =>
      (await createTask(env, { type: "notification", payload: logNotification(title), dependsOn, createdBy: "test" }, Date.now())).task;
    const a = await create("a");
    const b = await create("b", [a.id]);
    const c = await create("c", [b.id]);
    const x = await create("x");
    const fanIn = await create("fan-in", [c.id, x.id]);
    expect(fanIn.status).toBe("pending");
    await waitForStatus(fanIn.id, ["succeeded"]);
    const done = await Promise.all([a, b, c, x, fanIn].map((t) => requireTask(env, t.id)));
    expect(done.map((t) => t.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]);
    const startedOf = (t: TaskRecord) => t.startedAtMs ?? 0;
    const [ra, rb, rc, rx, rf] = done as [TaskRecord, TaskRecord, TaskRecord, TaskRecord, TaskRecord];
    expect(startedOf(rb)).toBeGreaterThanOrEqual(ra.finishedAtMs ?? Infinity);
    expect(startedOf(rc)).toBeGreaterThanOrEqual(rb.finishedAtMs ?? Infinity);
    expect(startedOf(rf)).toBeGreaterThanOrEqual(Math.max(rc.finishedAtMs ?? Infinity, rx.finishedAtMs ?? Infinity));
    expect(rf.dependsOn.sort()).toEqual([c.id, x.id].sort());
    expect(await eventKinds(fanIn.id)).toEqual(["created", "queued", "claimed", "succeeded"]);
  });

  it("refuses dependencies that do not exist", async () => {
    await expect(createTask(env, { type: "notification", payload: logNotification(), dependsOn: ["tsk_0123456789abcdef0123456789abcdef"], createdBy: "test" }, Date.now())).rejects.toThrow(/do not exist/);
  });
});

describe("leases and the sweeper", () => {
  it("hands a task whose runner died back to the queue, and a late outcome of the old lease is discarded", async () => {
    const task = await dormantTask({ type: "notification", payload: logNotification("orphan") });
    const claim = await claimTask(env, task.id, "consumer:crashed", 1_000, Date.now());
    expect(claim?.task.status).toBe("running");
    expect((await deliver([task.id])).acked).toEqual([task.id]); // running elsewhere: not run again
    const report = await sweepTasks(env, Date.now() + 2_000);
    expect(report.requeued).toEqual([task.id]);
    // The dead runner's outcome, arriving now, no longer holds the lease.
    expect(await completeTask(env, task.id, claim?.leaseToken ?? "", { late: true }, "consumer:crashed", Date.now(), 1)).toBe(false);
    // The sweeper sent a real message: the queue runs it again.
    const done = await waitForStatus(task.id, ["succeeded"]);
    expect(done.attempts).toBe(2);
    expect(done.result).not.toEqual({ late: true });
    expect(await eventKinds(task.id)).toEqual(["created", "queued", "claimed", "lease_expired", "claimed", "succeeded"]);
    const lost = (await taskEvents(env, task.id)).find((e) => e.kind === "lease_expired");
    expect(lost).toMatchObject({ actor: "sweeper", fromStatus: "running", toStatus: "queued", detail: { class: "timeout", name: "LeaseExpired" } });
  });

  it("marks a task dead when its lease expires on its last attempt", async () => {
    const task = await dormantTask({ type: "notification", payload: logNotification("last"), maxAttempts: 1 });
    await claimTask(env, task.id, "consumer:crashed", 1_000, Date.now());
    const report = await sweepTasks(env, Date.now() + 2_000);
    expect(report.dead).toEqual([task.id]);
    expect((await requireTask(env, task.id)).status).toBe("dead");
  });

  it("re-sends the message of a queued task nobody claimed for ten minutes", async () => {
    const task = await dormantTask({ type: "notification", payload: logNotification("lost message") });
    const report = await sweepTasks(env, Date.now() + 11 * 60_000);
    expect(report.resent).toEqual([task.id]);
    await waitForStatus(task.id, ["succeeded"]);
    expect(await eventKinds(task.id)).toEqual(["created", "queued", "requeued", "claimed", "succeeded"]);
  });
});

describe("the task API", () => {
  it("creates, lists, shows with events, cancels and retries tasks; only admins change them", async () => {
    const as = await admin();
    const reader = await viewer();
    const refused = await postJson("/api/v1/tasks", { type: "health_check" }, reader);
    expect(refused.status).toBe(403);
    const invalid = await postJson("/api/v1/tasks", { type: "backtest", payload: { symbol: "XAUUSD", fromMs: 10, toMs: 5 } }, as);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");

    const first = await postJson("/api/v1/tasks", { type: "model_training", payload: { symbol: "XAUUSD" }, dedupeKey: "train-once" }, as);
    expect(first.status).toBe(201);
    const training = ((await first.json()) as { task: TaskRecord }).task;
    expect(training).toMatchObject({ type: "model_training", status: "queued", priority: 3, maxAttempts: 3, createdBy: expect.stringMatching(/^key:/) });
    expect(training.payload).toMatchObject({ symbol: "XAUUSD", timeframe: "M1", horizonBars: 15, model: "gbdt", deploy: true });
    const again = await postJson("/api/v1/tasks", { type: "model_training", payload: { symbol: "XAUUSD" }, dedupeKey: "train-once" }, as);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { task: TaskRecord }).task.id).toBe(training.id);

    const dependent = ((await (await postJson("/api/v1/tasks", { type: "notification", payload: logNotification("after"), dependsOn: [training.id] }, as)).json()) as { task: TaskRecord }).task;
    expect(dependent.status).toBe("pending");

    const list = (await (await call("/api/v1/tasks?status=pending", {}, reader)).json()) as { tasks: TaskRecord[] };
    expect(list.tasks.map((t) => t.id)).toEqual([dependent.id]);

    const cancelled = await postJson(`/api/v1/tasks/${training.id}/cancel`, { reason: "not now" }, as);
    expect(cancelled.status).toBe(200);
    expect((await requireTask(env, dependent.id)).status).toBe("cancelled");
    expect((await postJson(`/api/v1/tasks/${training.id}/cancel`, {}, as)).status).toBe(409);
    // The dependent waits on a cancelled task: retrying it first is refused.
    expect((await postJson(`/api/v1/tasks/${dependent.id}/retry`, {}, as)).status).toBe(409);
    const retried = await postJson(`/api/v1/tasks/${training.id}/retry`, {}, as);
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as { task: TaskRecord }).task).toMatchObject({ status: "queued", attempts: 0 });
    const retriedDependent = await postJson(`/api/v1/tasks/${dependent.id}/retry`, {}, as);
    expect(((await retriedDependent.json()) as { task: TaskRecord }).task.status).toBe("pending");

    const detail = (await (await call(`/api/v1/tasks/${training.id}`, {}, reader)).json()) as { task: TaskRecord; events: { kind: string; actor: string }[] };
    expect(detail.events.map((e) => e.kind)).toEqual(["created", "queued", "cancelled", "manual_retry"]);
    expect((await call("/api/v1/tasks/tsk_0123456789abcdef0123456789abcdef", {}, reader)).status).toBe(404);
    expect((await call("/api/v1/tasks/not-a-task", {}, reader)).status).toBe(400);
  });

  it("pages the task list newest first", async () => {
    const as = await admin();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createTask(env, { type: "model_training", payload: { symbol: "XAUUSD" }, createdBy: "test" }, 1_000 + i)).task.id);
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const page = (await (await call(`/api/v1/tasks?limit=2${before ? `&before=${before}` : ""}`, {}, as)).json()) as { tasks: TaskRecord[]; nextBefore: string | null };
      seen.push(...page.tasks.map((t) => t.id));
      before = page.nextBefore;
    } while (before !== null);
    expect(seen).toEqual([...ids].reverse());
  });

  it("reports analytics: counts, success rates, attempts, durations, failure classes and the backlog", async () => {
    await runAnalyticsMix();
    await createTask(env, { type: "model_training", payload: { symbol: "XAUUSD" }, createdBy: "test" }, Date.now());
    const analytics = (await (await call("/api/v1/tasks/analytics", {}, await viewer())).json()) as TaskAnalytics;
    expect(analytics.total).toBe(4);
    expect(analytics.byStatus).toMatchObject({ succeeded: 1, dead: 1, failed: 1, queued: 1 });
    const notifications = analytics.byType.find((t) => t.type === "notification");
    expect(notifications).toMatchObject({ total: 2, successRate: 0.5, attempts: { total: 3, retried: 1 }, failures: { retryable: 2, permanent: 0, timeout: 0 } });
    expect(notifications?.durationMs.count).toBe(1);
    expect(analytics.byType.find((t) => t.type === "model_deploy")).toMatchObject({ successRate: 0, failures: { permanent: 1 } });
    expect(analytics.backlog).toMatchObject({ pending: 0, queued: 1, running: 0 });
    expect(analytics.backlog.oldestQueuedAgeMs).toBeGreaterThanOrEqual(0);
  });
});

describe("cron triggers", () => {
  it("each schedule enqueues its tasks once per slot, and the 5-minute one sweeps", async () => {
    const expected: Record<string, string> = {
      "*/5 * * * *": "health_check",
      "7 * * * *": "model_evaluation",
      "30 2 * * *": "data_backup",
      "0 3 * * *": "system_cleanup",
      "0 4 * * 0": "database_maintenance",
    };
    expect(Object.keys(CRON_TASKS).sort()).toEqual(Object.keys(expected).sort());
    const orphan = await dormantTask({ type: "notification", payload: logNotification("swept") });
    await claimTask(env, orphan.id, "consumer:crashed", 1_000, Date.now() - 5_000);
    const scheduledTime = Date.UTC(2026, 10, 22, 2, 30);
    for (const cron of Object.keys(expected)) {
      for (let fired = 0; fired < 2; fired++) {
        const ctx = createExecutionContext();
        await worker.scheduled(createScheduledController({ cron, scheduledTime }), env, ctx);
        await waitOnExecutionContext(ctx);
      }
    }
    const { results } = await env.DB.prepare("SELECT type, dedupe_key, created_by FROM tasks WHERE created_by = 'cron' ORDER BY type").all<{ type: string; dedupe_key: string }>();
    expect(results.map((r) => r.type).sort()).toEqual(Object.values(expected).sort());
    for (const row of results) expect(row.dedupe_key).toBe(`cron:${row.type}:2026-11-22T02:30:00.000Z`);
    expect((await eventKinds(orphan.id)).includes("lease_expired")).toBe(true);
  });

  it("refuses an unknown cron expression loudly", async () => {
    const controller = createScheduledController({ cron: "0 0 1 1 *", scheduledTime: Date.now() });
    await expect(worker.scheduled(controller, env, createExecutionContext())).rejects.toThrow(/no tasks/);
  });
});
