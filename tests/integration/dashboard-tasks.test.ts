/**
 * The Tasks page against the real task system (D1, Queues, the consumer): the queue by status and type with counts
 * and the backlog, a task's detail with its event trail, tasks started, cancelled and retried through the page's
 * own htmx forms and checked through the API, the analytics, and a viewer who sees no control and is refused.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatDuration } from "../../core/display/format.js";
import type { TaskAnalytics, TaskRecord } from "../../core/schemas/tasks.js";
import { DECLARED_ACCESS } from "../../workers/http/access.js";
import { createTask, requireTask } from "../../workers/tasks/task-store.js";
import { getPage, htmxPost, logInAs, textOf, type Browser } from "./dashboard-support.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call } from "./http.js";
import { deliver, dormantTask, eventKinds, failingNotification, runAnalyticsMix, settleQueue, waitForStatus } from "./task-support.js";

beforeEach(freshState);
// Tasks the real queue runs (the ones started here, follow-ups, alerts) finish before the next test wipes the bindings.
afterEach(() => settleQueue(), 40_000);

async function page(browser: Browser, path: string, options: { htmx?: boolean } = {}): Promise<{ html: string; text: string }> {
  const answer = await getPage(browser, path, options);
  expect(answer.status, answer.html.slice(0, 500)).toBe(200);
  return { html: answer.html, text: textOf(answer.html) };
}

/** A training task: it waits, queued, for a trainer daemon that never comes in these tests. */
async function trainingTask(): Promise<TaskRecord> {
  return (await createTask(env, { type: "model_training", payload: { symbol: "XAUUSD" }, createdBy: "test" }, Date.now())).task;
}

/** A health check the real queue has run to success. */
async function finishedHealthCheck(): Promise<TaskRecord> {
  const { task } = await createTask(env, { type: "health_check", payload: {}, createdBy: "test" }, Date.now());
  return waitForStatus(task.id, ["succeeded"]);
}

/** The id of the task a notice links to. */
function linkedTaskId(html: string): string {
  const id = /href="\/tasks\/(tsk_[0-9a-f]{32})"/.exec(html)?.[1];
  expect(id, html).toBeDefined();
  return id!;
}

describe("reading the queue", () => {
  it("shows a viewer the queue, counts per status, a detail with its event trail, and no control", async () => {
    const training = await trainingTask();
    const health = await finishedHealthCheck();
    const viewer = await logInAs("viewer");

    const list = await page(viewer, "/tasks");
    expect(list.text).toContain("all 2 pending 0 queued 1 running 0 succeeded 1");
    expect(list.text).toContain("Waiting now: 0 pending, 1 queued, 0 running; the oldest queued task was created");
    expect(list.text).toMatch(/Model training queued 3 0 \/ 3 .+ waits for a trainer test/);
    expect(list.text).toMatch(/Health check succeeded 8 1 \/ 3 /);
    expect(list.html).toContain(`href="/tasks/${training.id}"`);
    expect(list.html).toContain('hx-trigger="every 5s, tasks-changed from:body"');
    expect(list.html).not.toContain('hx-post="/tasks');
    expect(list.text).not.toContain("Start a task");

    const detail = await page(viewer, `/tasks/${health.id}`);
    expect(detail.text).toContain("Health check task");
    expect(detail.text).toMatch(/Event trail .* created — → pending 0 test .* queued pending → queued 0 test .* claimed queued → running 1 consumer:\S+ .* succeeded running → succeeded 1 consumer:\S+ \{"durationMs":\d+\}/);
    expect(detail.text).toContain('"reportId"');
    expect(detail.text).toContain('"trigger": "api"');
    expect(detail.text).toMatch(/Claimed by consumer:\S+ If a dependency fails cancel/);
    // It ended: the detail reloads after actions only, not every 5 s.
    expect(detail.html).toContain('hx-trigger="tasks-changed from:body"');
    expect(detail.html).not.toContain('hx-post="/tasks');
    const running = await page(viewer, `/tasks/${training.id}/detail`, { htmx: true });
    expect(running.html).toContain('hx-trigger="every 5s, tasks-changed from:body"');
    expect(running.text).toContain("No result yet.");
  });

  it("filters the list by status and type, and explains an empty result", async () => {
    const training = await trainingTask();
    const health = await finishedHealthCheck();
    const viewer = await logInAs("viewer");
    const queued = await page(viewer, "/tasks/rows?status=queued", { htmx: true });
    expect(queued.html).toContain(training.id);
    expect(queued.html).not.toContain(health.id);
    const checks = await page(viewer, "/tasks?type=health_check");
    expect(checks.html).toContain(health.id);
    expect(checks.html).not.toContain(training.id);
    expect(checks.html).toContain('<option value="health_check" selected="">');
    const dead = await page(viewer, "/tasks?status=dead");
    expect(dead.text).toContain("No tasks match these filters.");
    // A bad filter value is ignored rather than failing the page.
    expect((await page(viewer, "/tasks?status=sleeping&type=x")).html).toContain(training.id);
  });

  it("refuses a viewer's task actions with a 403 fragment and changes nothing", async () => {
    const training = await trainingTask();
    const viewer = await logInAs("viewer");
    for (const [path, form] of [["/tasks", { type: "health_check" }], [`/tasks/${training.id}/cancel`, {}], [`/tasks/${training.id}/retry`, {}]] as const) {
      const answer = await htmxPost(viewer, path, form);
      expect(answer.status, path).toBe(403);
      expect(textOf(answer.html), path).toBe("This needs the admin role.");
    }
    expect((await requireTask(env, training.id)).status).toBe("queued");
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM tasks").all<{ n: number }>();
    expect(results[0]?.n).toBe(1);
    for (const key of ["GET /tasks", "GET /tasks/rows", "GET /tasks/analytics", "GET /tasks/{id}", "GET /tasks/{id}/detail"]) {
      expect(DECLARED_ACCESS.get(key), key).toEqual({ kind: "page", requirement: { role: "viewer", scope: "read" } });
    }
    for (const key of ["POST /tasks", "POST /tasks/{id}/retry", "POST /tasks/{id}/cancel"]) {
      expect(DECLARED_ACCESS.get(key), key).toEqual({ kind: "page", requirement: { role: "admin" } });
    }
    const missing = await getPage(viewer, "/tasks/tsk_0123");
    expect(missing.status).toBe(404);
    expect(textOf(missing.html)).toContain("Could not load task tsk_0123");
  });
});

describe("starting tasks through the page", () => {
  it("starts a health check, which the queue runs and the list shows", async () => {
    const admin = await logInAs("admin");
    const list = await page(admin, "/tasks");
    expect(list.text).toContain("Start a task");
    expect(list.html).toContain('hx-confirm="Run a health check now?"');

    const answer = await htmxPost(admin, "/tasks", { type: "health_check" });
    expect(answer.status, answer.html).toBe(200);
    expect(answer.headers.get("hx-trigger")).toBe("tasks-changed");
    expect(textOf(answer.html)).toMatch(/^Health check started : task tsk_[0-9a-f]{8}… is queued\.$/);
    const id = linkedTaskId(answer.html);
    const task = await waitForStatus(id, ["succeeded"]);
    expect(task).toMatchObject({ type: "health_check", payload: { trigger: "api" }, createdBy: admin.username });

    const rows = await page(admin, "/tasks/rows", { htmx: true });
    expect(rows.text).toMatch(new RegExp(`Health check succeeded 8 1 / 3 .+ ${admin.username}`));
    expect(rows.text).toContain("all 1 pending 0 queued 0 running 0 succeeded 1");
  });

  it("turns each manual form into its type's payload", async () => {
    const admin = await logInAs("admin");
    const started = async (form: Record<string, string>): Promise<TaskRecord> => {
      const answer = await htmxPost(admin, "/tasks", form);
      expect(answer.status, answer.html).toBe(200);
      return requireTask(env, linkedTaskId(answer.html));
    };
    // Unticked checkboxes are absent from a form: false.
    expect((await started({ type: "data_backup", kind: "manual", reason: "before the upgrade" })).payload).toEqual({ kind: "manual", includeModels: false, reason: "before the upgrade" });
    expect((await started({ type: "model_evaluation", symbols: "XAUUSD" })).payload).toEqual({ symbols: ["XAUUSD"] });
    expect((await started({ type: "model_evaluation" })).payload).toEqual({});
    expect(
      (await started({ type: "system_cleanup", taskRetentionDays: "10", healthRetentionDays: "20", auditRetentionDays: "400", notificationRetentionDays: "15", dryRun: "on" })).payload,
    ).toEqual({ taskRetentionDays: 10, healthRetentionDays: 20, auditRetentionDays: 400, notificationRetentionDays: 15, dryRun: true });
    expect((await started({ type: "database_maintenance", integrityCheck: "on" })).payload).toEqual({ integrityCheck: true });
    const training = await started({ type: "model_training", symbol: "XAUUSD", model: "logistic", horizonBars: "30", trials: "5", reason: "fresh data" });
    expect(training).toMatchObject({ status: "queued", payload: { symbol: "XAUUSD", model: "logistic", horizonBars: 30, trials: 5, deploy: false, reason: "fresh data", timeframe: "M1", seed: 1 } });
    const backtest = await started({ type: "backtest", symbol: "XAUUSD", from: "2026-05-01T00:00", to: "2026-05-02T12:30", initialBalanceUsd: "50000" });
    expect(backtest.payload).toEqual({ symbol: "XAUUSD", fromMs: Date.UTC(2026, 4, 1), toMs: Date.UTC(2026, 4, 2, 12, 30), initialBalanceUsd: 50_000 });
  });

  it("refuses a bad form with 400, and shows the API's validation issues", async () => {
    const admin = await logInAs("admin");
    const bad = await htmxPost(admin, "/tasks", { type: "system_cleanup", taskRetentionDays: "0", healthRetentionDays: "30", auditRetentionDays: "365", notificationRetentionDays: "30" });
    expect(bad.status).toBe(400);
    expect(textOf(bad.html)).toBe("Check the form: Task retention: at least 1");
    const unknown = await htmxPost(admin, "/tasks", { type: "notification" });
    expect(unknown.status).toBe(400);
    expect(textOf(unknown.html)).toBe("Choose a task type to start.");
    const tooLong = await htmxPost(admin, "/tasks", { type: "backtest", symbol: "XAUUSD", from: "2026-05-01T00:00", to: "2026-05-30T00:00", initialBalanceUsd: "100000" });
    expect(tooLong.status).toBe(400);
    expect(textOf(tooLong.html)).toMatch(/^Could not start a backtest : invalid backtest payload \(400 VALIDATION_FAILED, request .+\) toMs: a backtest task covers at most 14 days/);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM tasks").all<{ n: number }>();
    expect(results[0]?.n).toBe(0);
  });
});

describe("cancelling and retrying through the page", () => {
  it("cancels a waiting task with a reason, retries it, and says why a retry is refused", async () => {
    const training = await trainingTask();
    const admin = await logInAs("admin");
    const detail = await page(admin, `/tasks/${training.id}`);
    expect(detail.html).toContain(`hx-post="/tasks/${training.id}/cancel"`);
    expect(detail.html).toContain(`hx-confirm="Cancel the model training task ${training.id}? It will not run."`);
    expect(detail.html).toContain(`<label for="cancel-reason-${training.id}">Reason (optional)</label>`);
    expect(detail.html).not.toContain(`/tasks/${training.id}/retry`);

    const cancelled = await htmxPost(admin, `/tasks/${training.id}/cancel`, { reason: "wrong symbol" });
    expect(cancelled.status, cancelled.html).toBe(200);
    expect(cancelled.headers.get("hx-trigger")).toBe("tasks-changed");
    expect(textOf(cancelled.html)).toMatch(/^Model training task cancelled : tsk_[0-9a-f]{8}… is cancelled \(wrong symbol\)\.$/);
    expect((await requireTask(env, training.id)).status).toBe("cancelled");
    expect(await eventKinds(training.id)).toEqual(["created", "queued", "cancelled"]);

    const after = await page(admin, `/tasks/${training.id}/detail`, { htmx: true });
    expect(after.text).toMatch(/Status cancelled/);
    expect(after.text).toContain('cancelled queued → cancelled 0');
    expect(after.html).toContain(`hx-post="/tasks/${training.id}/retry"`);

    const retried = await htmxPost(admin, `/tasks/${training.id}/retry`);
    expect(retried.status, retried.html).toBe(200);
    expect(textOf(retried.html)).toMatch(/^Model training task retried : tsk_[0-9a-f]{8}… is queued again with a fresh budget of 3 attempts\.$/);
    expect((await requireTask(env, training.id)).status).toBe("queued");
    expect(await eventKinds(training.id)).toEqual(["created", "queued", "cancelled", "manual_retry"]);

    const refused = await htmxPost(admin, `/tasks/${training.id}/retry`);
    expect(refused.status).toBe(409);
    expect(textOf(refused.html)).toContain(`Could not retry task ${training.id} : only failed, dead or cancelled tasks can be retried; ${training.id} is queued (409 CONFLICT`);
  });

  it("offers retry on a dead task in the list, and cancel on a waiting one", async () => {
    const flaky = await dormantTask({ type: "notification", payload: failingNotification("flaky"), maxAttempts: 1 });
    await deliver([flaky.id]);
    expect((await requireTask(env, flaky.id)).status).toBe("dead");
    const training = await trainingTask();
    const admin = await logInAs("admin");
    const rows = await page(admin, "/tasks/rows", { htmx: true });
    expect(rows.html).toContain(`hx-post="/tasks/${flaky.id}/retry"`);
    expect(rows.html).not.toContain(`hx-post="/tasks/${flaky.id}/cancel"`);
    expect(rows.html).toContain(`hx-post="/tasks/${training.id}/cancel"`);
    expect(rows.html).not.toContain(`hx-post="/tasks/${training.id}/retry"`);
    expect(rows.text).toMatch(/Notification dead 9 1 \/ 1 .+ retryable: /);
  });
});

describe("analytics", () => {
  it("shows success rates, attempts, run times, failure classes and the backlog", async () => {
    await runAnalyticsMix();
    await trainingTask();
    const viewerKey = (await createApiKey("viewer", ["read"], "analytics check")).key;
    const analytics = (await (await call("/api/v1/tasks/analytics", {}, { headers: { "x-api-key": viewerKey } })).json()) as TaskAnalytics;
    const notifications = analytics.byType.find((t) => t.type === "notification")!;

    const viewer = await logInAs("viewer");
    const panel = await page(viewer, "/tasks/analytics", { htmx: true });
    expect(panel.html).toContain('hx-trigger="every 30s, tasks-changed from:body"');
    expect(panel.text).toContain("Tasks created 4 since the window's start");
    expect(panel.text).toContain("Success rate 33.3 % succeeded of those that ran to an end");
    expect(panel.text).toContain("Tasks retried 1 needed more than one attempt Failed attempts 3");
    expect(panel.text).toContain("Backlog now 1 queued 0 pending, 0 running");
    const p50 = formatDuration(notifications.durationMs.p50);
    expect(panel.text).toContain(`Notification 2 1 1 0 50.0 % 3 1 ${p50} ${p50} ${p50} 2 / 0 / 0`);
    expect(panel.text).toContain("Model deploy 1 0 1 0 0.0 % 1 0 — — — 0 / 1 / 0");
    expect(panel.text).toContain("Model training 1 0 0 0 — 0 0 — — — 0 / 0 / 0");

    const month = await page(viewer, "/tasks?days=30");
    expect(month.html).toContain('aria-current="true">Last 30 days</a>');
    expect(month.text).toContain("Counts of the tasks created in the last 30 days.");
  });
});
