/**
 * Notifications against a local stub of the third-party APIs (tests/support/node/stub-http-server.ts, bound as
 * STUB_HTTP_URL): what each channel sends, webhook signatures, failures and retries, rate limits, missing secrets,
 * the notification task through the real consumer, and the deliveries API. The test NOTIFICATIONS config is in
 * vitest.integration.config.ts: the test.* events reach the stub, the platform's own events only the log channel.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors/app-error.js";
import type { NotificationDelivery } from "../../core/notifications/deliveries.js";
import { WebhookBodySchema } from "../../core/notifications/routing.js";
import { classifyFailure, PermanentTaskError } from "../../core/tasks/failure.js";
import { deliverNotification, NotificationDeliveryError, type NotificationInput } from "../../workers/notifications/deliver.js";
import { notify } from "../../workers/notifications/notify.js";
import { platformOf } from "../../workers/platform.js";
import type { RecordedRequest } from "../support/node/stub-http-server.js";
import { createApiKey, freshDatabase } from "./fresh-state.js";
import { call } from "./http.js";
import { deliver, dormantTask, makeDue, waitForStatus } from "./task-support.js";

const T0 = Date.UTC(2026, 4, 28, 12, 0, 0);
const TASK_A = `tsk_${"a".repeat(32)}`;
const TASK_B = `tsk_${"b".repeat(32)}`;
const secrets = platformOf(env).config.tasks;

beforeEach(async () => {
  await freshDatabase();
  expect((await stub("/__requests", { method: "DELETE" })).status).toBe(204);
  expect((await stub("/__responses", { method: "DELETE" })).status).toBe(204);
});

function stub(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${env.STUB_HTTP_URL}${path}`, init);
}

/** Requests the stub received under `pathPrefix`, oldest first. */
async function received(pathPrefix = "/"): Promise<RecordedRequest[]> {
  return (await stub(`/__requests?pathPrefix=${encodeURIComponent(pathPrefix)}`)).json();
}

/** How many requests each path under `pathPrefix` received (channels are sent in parallel: arrival order varies). */
async function requestsPerPath(pathPrefix: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const request of await received(pathPrefix)) counts[request.path] = (counts[request.path] ?? 0) + 1;
  return counts;
}

/** From now on the stub answers `path` with `status` (and `body`, when given). */
async function answer(path: string, status: number, body?: unknown): Promise<void> {
  const response = await stub("/__responses", { method: "PUT", body: JSON.stringify({ path, status, body }) });
  expect(response.status).toBe(204);
}

async function deliveries(): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare(
    "SELECT at_ms, event, severity, channel, channel_kind, outcome, http_status, latency_ms, error, task_id, title FROM notification_deliveries ORDER BY id",
  ).all<Record<string, unknown>>();
  return results;
}

function makeNotification(overrides: Partial<NotificationInput> = {}): NotificationInput {
  return { event: "test.fanout", severity: "warning", title: "Backup failed", message: "R2 answered 500 twice", data: { attempt: 2 }, ...overrides };
}

/** HMAC-SHA256 in hex, computed here independently of the platform's signing code. */
async function expectedSignature(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body));
  return `sha256=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to throw");
    },
    (error: unknown) => error,
  );
}

describe("channels", () => {
  it("webhook: POSTs the JSON body with a valid HMAC-SHA256 signature of its exact bytes and the timestamp", async () => {
    const summary = await deliverNotification(env, makeNotification(), { taskId: TASK_A, nowMs: T0 });
    expect(summary).toEqual({ sent: ["hook", "telegram", "mail"], failed: [], rateLimited: [], skippedAlreadySent: [] });

    const [request, ...others] = await received("/hooks/");
    expect(others).toEqual([]);
    expect(request).toMatchObject({ method: "POST", path: "/hooks/ops", headers: expect.objectContaining({ "content-type": "application/json" }) });
    expect(JSON.parse(request!.body)).toEqual({
      event: "test.fanout",
      severity: "warning",
      title: "Backup failed",
      message: "R2 answered 500 twice",
      data: { attempt: 2 },
      taskId: TASK_A,
      atMs: T0,
    });
    expect(WebhookBodySchema.safeParse(JSON.parse(request!.body)).success).toBe(true);
    expect(secrets.webhookSecret).toBeTruthy();
    expect(request!.headers["x-aurum-signature"]).toBe(await expectedSignature(secrets.webhookSecret!, request!.body));
    expect(request!.headers["x-aurum-timestamp"]).toBe(String(T0));
    // The signature covers the bytes: another body or another key does not verify.
    expect(request!.headers["x-aurum-signature"]).not.toBe(await expectedSignature(secrets.webhookSecret!, request!.body.replace("twice", "once")));
    expect(request!.headers["x-aurum-signature"]).not.toBe(await expectedSignature("another-secret", request!.body));
  });

  it("Telegram: POSTs { chat_id, text } to {apiBaseUrl}/bot<token>/sendMessage", async () => {
    await deliverNotification(env, makeNotification(), { taskId: TASK_A, nowMs: T0 });
    const requests = await received("/telegram/");
    expect(requests.map((r) => [r.method, r.path])).toEqual([["POST", `/telegram/bot${secrets.telegramBotToken}/sendMessage`]]);
    expect(JSON.parse(requests[0]!.body)).toEqual({
      chat_id: "-1001234567890",
      text: `[WARNING] Backup failed\nR2 answered 500 twice\n\ntest.fanout · task ${TASK_A}`,
    });
  });

  it("email: POSTs { from, to, subject, text } with the API key as a bearer token", async () => {
    await deliverNotification(env, makeNotification({ severity: "critical" }), { taskId: null, nowMs: T0 });
    const requests = await received("/mail/");
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers["authorization"]).toBe(`Bearer ${secrets.emailApiKey}`);
    expect(JSON.parse(requests[0]!.body)).toEqual({
      from: "alerts@aurum.test",
      to: ["ops@aurum.test", "desk@aurum.test"],
      subject: "[Aurum Edge] CRITICAL: Backup failed",
      text: "R2 answered 500 twice\n\nEvent: test.fanout\nSeverity: critical\nTask: none\nTime: 2026-05-28T12:00:00.000Z\n\nData:\n{\n  \"attempt\": 2\n}\n",
    });
  });

  it("records every attempt with its channel, status, latency and task", async () => {
    await deliverNotification(env, makeNotification(), { taskId: TASK_A, nowMs: T0 });
    const rows = await deliveries();
    expect(rows.map((r) => [r.channel, r.channel_kind, r.outcome, r.http_status, r.error, r.task_id])).toEqual([
      ["hook", "webhook", "sent", 200, null, TASK_A],
      ["telegram", "telegram", "sent", 200, null, TASK_A],
      ["mail", "email", "sent", 200, null, TASK_A],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ at_ms: T0, event: "test.fanout", severity: "warning", title: "Backup failed" });
      expect(row.latency_ms).toEqual(expect.any(Number));
    }
  });

  it("routes by severity: below a route's minimum nothing is sent or recorded", async () => {
    const below = await deliverNotification(env, makeNotification({ event: "test.urgent.margin", severity: "warning" }), { taskId: null, nowMs: T0 });
    expect(below).toEqual({ sent: [], failed: [], rateLimited: [], skippedAlreadySent: [] });
    expect(await deliveries()).toEqual([]);
    const critical = await deliverNotification(env, makeNotification({ event: "test.urgent.margin", severity: "critical" }), { taskId: null, nowMs: T0 });
    expect(critical.sent).toEqual(["telegram"]);
    expect(await received()).toHaveLength(1);
  });
});

describe("failures and retries", () => {
  it("records a failing channel with its HTTP status and throws a retryable error after recording", async () => {
    const error = await rejection(deliverNotification(env, makeNotification({ event: "test.failing" }), { taskId: TASK_A, nowMs: T0 }));
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(classifyFailure(error)).toBe("retryable");
    expect((error as NotificationDeliveryError).summary).toEqual({ sent: ["log", "hook"], failed: ["failing"], rateLimited: [], skippedAlreadySent: [] });
    expect((error as NotificationDeliveryError).failures).toEqual([
      { channel: "failing", httpStatus: 500, error: 'HTTP 500: {"ok":false,"error_code":500,"description":"stub failure"}', permanent: false },
    ]);
    expect((await deliveries()).map((r) => [r.channel, r.outcome, r.http_status, r.error])).toEqual([
      ["log", "sent", null, null],
      ["hook", "sent", 200, null],
      ["failing", "failed", 500, 'HTTP 500: {"ok":false,"error_code":500,"description":"stub failure"}'],
    ]);
  });

  it("a retry of the same task sends only the channel that failed", async () => {
    await answer("/hooks/flaky", 503);
    const first = await rejection(deliverNotification(env, makeNotification({ event: "test.flaky" }), { taskId: TASK_A, nowMs: T0 }));
    expect((first as NotificationDeliveryError).summary).toMatchObject({ sent: ["hook"], failed: ["flaky"] });

    await answer("/hooks/flaky", 200);
    const retry = await deliverNotification(env, makeNotification({ event: "test.flaky" }), { taskId: TASK_A, nowMs: T0 + 5_000 });
    expect(retry).toEqual({ sent: ["flaky"], failed: [], rateLimited: [], skippedAlreadySent: ["hook"] });
    expect(await requestsPerPath("/hooks/")).toEqual({ "/hooks/ops": 1, "/hooks/flaky": 2 });
    expect((await deliveries()).map((r) => [r.channel, r.outcome, r.http_status, r.at_ms])).toEqual([
      ["hook", "sent", 200, T0],
      ["flaky", "failed", 503, T0],
      ["flaky", "sent", 200, T0 + 5_000],
    ]);

    // Another task with the same notification is a new notification: every channel again.
    expect((await deliverNotification(env, makeNotification({ event: "test.flaky" }), { taskId: TASK_B, nowMs: T0 + 6_000 })).sent).toEqual(["hook", "flaky"]);
  });

  it("a 4xx answer is permanent: no retry fixes it", async () => {
    await answer("/hooks/flaky", 404);
    const error = await rejection(deliverNotification(env, makeNotification({ event: "test.flaky" }), { taskId: TASK_A, nowMs: T0 }));
    expect(error).toBeInstanceOf(PermanentTaskError);
    expect(classifyFailure(error)).toBe("permanent");
    expect((error as Error).cause).toBeInstanceOf(NotificationDeliveryError);
    expect((await deliveries()).map((r) => [r.channel, r.outcome, r.http_status])).toEqual([
      ["hook", "sent", 200],
      ["flaky", "failed", 404],
    ]);
  });

  it("a missing secret is a recorded failure with a clear error, not a crash, and nothing unsigned leaves", async () => {
    const withoutSecret = { ...env, NOTIFY_WEBHOOK_SECRET: undefined } as unknown as Env;
    expect(platformOf(withoutSecret).config.tasks.webhookSecret).toBeUndefined();
    const error = await rejection(deliverNotification(withoutSecret, makeNotification(), { taskId: TASK_A, nowMs: T0 }));
    expect(error).toBeInstanceOf(PermanentTaskError);
    expect((await deliveries()).map((r) => [r.channel, r.outcome, r.http_status, r.error])).toEqual([
      ["hook", "failed", null, 'NOTIFY_WEBHOOK_SECRET is not set: webhook channel "hook" cannot sign its body'],
      ["telegram", "sent", 200, null],
      ["mail", "sent", 200, null],
    ]);
    expect((await received()).map((r) => r.path)).not.toContain("/hooks/ops");
  });

  it("keeps the bot token out of recorded errors", async () => {
    const token = secrets.telegramBotToken!;
    await answer(`/telegram/bot${token}/sendMessage`, 401, { ok: false, description: `Unauthorized: ${token}` });
    await rejection(deliverNotification(env, makeNotification({ event: "test.urgent.margin", severity: "critical" }), { taskId: null, nowMs: T0 }));
    const [row] = await deliveries();
    expect(row).toMatchObject({ channel: "telegram", outcome: "failed", http_status: 401, error: 'HTTP 401: {"ok":false,"description":"Unauthorized: <redacted>"}' });
  });

  it("a bad NOTIFICATIONS value fails loudly with a ConfigError naming the problem", async () => {
    const misconfigured = { ...env, NOTIFICATIONS: JSON.stringify({ channels: { log: { kind: "log" } }, routes: [{ events: ["*"], channels: ["pager"] }] }) } as unknown as Env;
    const error = await rejection(deliverNotification(misconfigured, makeNotification(), { taskId: null, nowMs: T0 }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('NOTIFICATIONS is invalid: routes.0.channels.0: "pager" is not a declared channel (declared: log)');
    expect(await received()).toEqual([]);
  });
});

describe("rate limits", () => {
  it("holds back deliveries past maxPerWindow per (channel, event), records them rate_limited, and lets them through as the window slides", async () => {
    const limited = makeNotification({ event: "test.limited" });
    expect((await deliverNotification(env, limited, { taskId: null, nowMs: T0 })).sent).toEqual(["limited"]);
    expect((await deliverNotification(env, limited, { taskId: null, nowMs: T0 + 1_000 })).sent).toEqual(["limited"]);
    expect(await deliverNotification(env, limited, { taskId: TASK_A, nowMs: T0 + 2_000 })).toEqual({ sent: [], failed: [], rateLimited: ["limited"], skippedAlreadySent: [] });
    expect(await received("/hooks/limited")).toHaveLength(2);

    // The same task retried is not attempted again on a channel the limit already decided.
    expect(await deliverNotification(env, limited, { taskId: TASK_A, nowMs: T0 + 3_000 })).toEqual({ sent: [], failed: [], rateLimited: ["limited"], skippedAlreadySent: [] });

    // 60 s after the first delivery, only the second is still within the window (limit 2 per 60 s).
    expect((await deliverNotification(env, limited, { taskId: null, nowMs: T0 + 60_000 })).sent).toEqual(["limited"]);
    expect((await deliverNotification(env, limited, { taskId: null, nowMs: T0 + 60_500 })).rateLimited).toEqual(["limited"]);
    expect(await received("/hooks/limited")).toHaveLength(3);

    expect((await deliveries()).map((r) => [r.at_ms, r.outcome, r.http_status, r.error])).toEqual([
      [T0, "sent", 200, null],
      [T0 + 1_000, "sent", 200, null],
      [T0 + 2_000, "rate_limited", null, "rate limited: 2 sent within 60 s (limit 2)"],
      [T0 + 60_000, "sent", 200, null],
      [T0 + 60_500, "rate_limited", null, "rate limited: 2 sent within 60 s (limit 2)"],
    ]);
  });
});

describe("the notification task", () => {
  it("runs through the consumer; after a failure the retry sends only the failed channel", async () => {
    await answer("/hooks/flaky", 500);
    const task = await dormantTask({ type: "notification", payload: makeNotification({ event: "test.flaky" }) });
    const first = await deliver([task.id]);
    expect(first.retried.map((r) => r.id)).toEqual([task.id]);
    expect((await waitForStatus(task.id, ["queued"])).error).toMatchObject({ class: "retryable", willRetry: true });

    await answer("/hooks/flaky", 200);
    await makeDue(task.id);
    expect((await deliver([task.id])).acked).toEqual([task.id]);
    const done = await waitForStatus(task.id, ["succeeded"]);
    expect(done.result).toEqual({ sent: ["flaky"], failed: [], rateLimited: [], skippedAlreadySent: ["hook"] });
    expect(await requestsPerPath("/hooks/")).toEqual({ "/hooks/ops": 1, "/hooks/flaky": 2 });
    expect((await deliveries()).map((r) => [r.channel, r.outcome, r.task_id])).toEqual([
      ["hook", "sent", task.id],
      ["flaky", "failed", task.id],
      ["flaky", "sent", task.id],
    ]);
  });

  it("notify() creates a notification task (de-duplicated by key) that the real queue delivers", async () => {
    const payload = { event: "task.probe", title: "Probe", message: "notify() end to end" };
    const { task, created } = await notify(env, payload, { createdBy: "test", nowMs: Date.now(), dedupeKey: "probe-1" });
    expect(created).toBe(true);
    expect(task).toMatchObject({ type: "notification", priority: 9, createdBy: "test", payload: { ...payload, severity: "info" } });
    expect((await notify(env, payload, { createdBy: "test", nowMs: Date.now(), dedupeKey: "probe-1" })).task.id).toBe(task.id);

    await waitForStatus(task.id, ["succeeded"]);
    expect((await deliveries()).map((r) => [r.event, r.channel, r.outcome, r.task_id])).toEqual([["task.probe", "log", "sent", task.id]]);
  });

  it("notify() refuses an invalid payload with a ValidationError", async () => {
    await expect(notify(env, { event: "Not An Event", title: "x", message: "y" }, { createdBy: "test", nowMs: Date.now() })).rejects.toMatchObject({ status: 400 });
  });
});

describe("GET /api/v1/notifications/deliveries", () => {
  async function seed(): Promise<void> {
    await deliverNotification(env, makeNotification(), { taskId: TASK_A, nowMs: T0 });
    await rejection(deliverNotification(env, makeNotification({ event: "test.failing" }), { taskId: TASK_B, nowMs: T0 + 1_000 }));
  }

  it("lists attempts newest first for admins, filtered and paged", async () => {
    await seed();
    const admin = { headers: { "x-api-key": (await createApiKey("admin", [])).key } };
    const all = await call("/api/v1/notifications/deliveries", {}, admin);
    expect(all.status).toBe(200);
    const page = (await all.json()) as { deliveries: NotificationDelivery[]; next: number | null };
    expect(page.deliveries.map((d) => [d.event, d.channel, d.outcome])).toEqual([
      ["test.failing", "failing", "failed"],
      ["test.failing", "hook", "sent"],
      ["test.failing", "log", "sent"],
      ["test.fanout", "mail", "sent"],
      ["test.fanout", "telegram", "sent"],
      ["test.fanout", "hook", "sent"],
    ]);
    expect(page.next).toBeNull();
    expect(page.deliveries[0]).toMatchObject({ channelKind: "webhook", httpStatus: 500, taskId: TASK_B, atMs: T0 + 1_000, title: "Backup failed", severity: "warning" });

    const failed = (await (await call("/api/v1/notifications/deliveries?outcome=failed", {}, admin)).json()) as { deliveries: NotificationDelivery[] };
    expect(failed.deliveries.map((d) => d.channel)).toEqual(["failing"]);
    const hook = (await (await call("/api/v1/notifications/deliveries?channel=hook&event=test.fanout", {}, admin)).json()) as { deliveries: NotificationDelivery[] };
    expect(hook.deliveries.map((d) => [d.channel, d.event])).toEqual([["hook", "test.fanout"]]);
    const ofTask = (await (await call(`/api/v1/notifications/deliveries?taskId=${TASK_A}`, {}, admin)).json()) as { deliveries: NotificationDelivery[] };
    expect(ofTask.deliveries).toHaveLength(3);

    const first = (await (await call("/api/v1/notifications/deliveries?limit=4", {}, admin)).json()) as { deliveries: NotificationDelivery[]; next: number };
    expect(first.deliveries).toHaveLength(4);
    const second = (await (await call(`/api/v1/notifications/deliveries?limit=4&before=${first.next}`, {}, admin)).json()) as { deliveries: NotificationDelivery[]; next: number | null };
    expect([...first.deliveries, ...second.deliveries].map((d) => d.id)).toEqual(page.deliveries.map((d) => d.id));
    expect(second.next).toBeNull();
  });

  it("is for admins only and validates its query", async () => {
    await seed();
    expect((await call("/api/v1/notifications/deliveries")).status).toBe(403);
    expect((await call("/api/v1/notifications/deliveries", {}, "anonymous")).status).toBe(401);
    const admin = { headers: { "x-api-key": (await createApiKey("admin", [])).key } };
    const bad = await call("/api/v1/notifications/deliveries?outcome=lost", {}, admin);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
  });
});
