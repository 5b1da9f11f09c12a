/** Routing by event pattern and severity, rate-limit decisions, and the text each channel kind is sent. */
import { describe, expect, it } from "vitest";
import { parseNotificationConfig, type NotificationConfigInput } from "../../../core/notifications/config.js";
import {
  channelsFor,
  emailMessage,
  eventMatches,
  logFields,
  logLevelFor,
  rateLimitDecision,
  rateLimitFor,
  rateLimitWindowAt,
  severityAtLeast,
  TELEGRAM_MAX_TEXT_CHARS,
  telegramText,
  webhookBody,
  WebhookBodySchema,
  type OutgoingNotification,
} from "../../../core/notifications/routing.js";
import type { NotificationPayload } from "../../../core/schemas/tasks.js";

const config = parseNotificationConfig(
  JSON.stringify({
    channels: {
      log: { kind: "log" },
      ops: { kind: "webhook", url: "https://hooks.example/aurum" },
      desk: { kind: "telegram", chatId: "-100200300" },
      mail: { kind: "email", url: "https://mail.example/send", from: "alerts@aurum.example", to: ["ops@aurum.example"] },
    },
    routes: [
      { events: ["*"], channels: ["log"] },
      { events: ["task.*"], minSeverity: "warning", channels: ["ops", "desk"] },
      { events: ["health.critical", "backup.failed"], minSeverity: "critical", channels: ["mail", "desk", "log"] },
    ],
    rateLimit: { maxPerWindow: 5, windowS: 600, channels: { desk: { maxPerWindow: 2, windowS: 300 } } },
  } satisfies NotificationConfigInput),
);

function makeNotification(overrides: Partial<NotificationPayload> = {}, taskId: string | null = "tsk_0123456789abcdef0123456789abcdef"): OutgoingNotification {
  return {
    payload: { event: "task.dead", severity: "warning", title: "Task data_backup is dead", message: "gave up after 3 attempts", ...overrides },
    taskId,
    atMs: Date.UTC(2026, 4, 28, 12, 30, 0),
  };
}

describe("event patterns", () => {
  it.each([
    ["*", "task.dead", true],
    ["task.*", "task.dead", true],
    ["task.*", "task.dead.notification", true],
    ["task.*", "task", false],
    ["task.*", "tasks.dead", false],
    ["task.dead.*", "task.dead", false],
    ["health.critical", "health.critical", true],
    ["health.critical", "health.critical.d1", false],
    ["health.critical", "health.degraded", false],
  ])("%s against %s: %s", (pattern, event, expected) => {
    expect(eventMatches(pattern, event)).toBe(expected);
  });
});

describe("severities", () => {
  it("orders info < warning < critical", () => {
    expect(severityAtLeast("critical", "warning")).toBe(true);
    expect(severityAtLeast("warning", "warning")).toBe(true);
    expect(severityAtLeast("info", "warning")).toBe(false);
    expect(severityAtLeast("info", "info")).toBe(true);
  });
});

describe("channelsFor", () => {
  it("sends every event to the catch-all route", () => {
    expect(channelsFor(config, "model.deployed", "info")).toEqual(["log"]);
  });

  it("adds a prefix route's channels once the severity reaches its minimum", () => {
    expect(channelsFor(config, "task.dead", "info")).toEqual(["log"]);
    expect(channelsFor(config, "task.dead", "warning")).toEqual(["log", "ops", "desk"]);
  });

  it("lists a channel of several matching routes once, in declaration order", () => {
    expect(channelsFor(config, "health.critical", "critical")).toEqual(["log", "mail", "desk"]);
    expect(channelsFor(config, "health.critical", "warning")).toEqual(["log"]);
  });

  it("answers no channel when no route takes the event", () => {
    const narrow = parseNotificationConfig(JSON.stringify({ channels: { log: { kind: "log" } }, routes: [{ events: ["task.*"], channels: ["log"] }] }));
    expect(channelsFor(narrow, "health.critical", "critical")).toEqual([]);
  });
});

describe("rate limits", () => {
  it("takes a channel's override, else the default", () => {
    expect(rateLimitFor(config, "desk")).toEqual({ maxPerWindow: 2, windowS: 300 });
    expect(rateLimitFor(config, "ops")).toEqual({ maxPerWindow: 5, windowS: 600 });
  });

  it("lets deliveries through until the window holds maxPerWindow sent ones", () => {
    const limit = { maxPerWindow: 2, windowS: 300 };
    expect(rateLimitDecision(limit, 0)).toEqual({ allowed: true, remaining: 1 });
    expect(rateLimitDecision(limit, 1)).toEqual({ allowed: true, remaining: 0 });
    expect(rateLimitDecision(limit, 2)).toEqual({ allowed: false, sentInWindow: 2, maxPerWindow: 2, windowS: 300 });
    expect(rateLimitDecision(limit, 7)).toMatchObject({ allowed: false, sentInWindow: 7 });
  });

  it("slides the window back from now", () => {
    expect(rateLimitWindowAt({ maxPerWindow: 2, windowS: 300 }, 1_000_000)).toEqual({ fromMs: 700_000, toMs: 1_000_000 });
  });
});

describe("messages", () => {
  it("webhook body: the payload, {} for missing data, the task and the attempt time", () => {
    const body = webhookBody(makeNotification());
    expect(body).toEqual({
      event: "task.dead",
      severity: "warning",
      title: "Task data_backup is dead",
      message: "gave up after 3 attempts",
      data: {},
      taskId: "tsk_0123456789abcdef0123456789abcdef",
      atMs: Date.UTC(2026, 4, 28, 12, 30, 0),
    });
    expect(WebhookBodySchema.parse(body)).toEqual(body);
    expect(webhookBody(makeNotification({ data: { attempts: 3 } }, null))).toMatchObject({ data: { attempts: 3 }, taskId: null });
  });

  it("Telegram: severity and title, the message, then event and task", () => {
    expect(telegramText(makeNotification())).toBe(
      "[WARNING] Task data_backup is dead\ngave up after 3 attempts\n\ntask.dead · task tsk_0123456789abcdef0123456789abcdef",
    );
    expect(telegramText(makeNotification({ severity: "critical" }, null))).toBe("[CRITICAL] Task data_backup is dead\ngave up after 3 attempts\n\ntask.dead");
  });

  it("Telegram: cut to the Bot API's 4,096 characters", () => {
    const text = telegramText(makeNotification({ message: "x".repeat(4_000), title: "t".repeat(200) }));
    expect(text).toHaveLength(TELEGRAM_MAX_TEXT_CHARS);
    expect(text.endsWith("…")).toBe(true);
  });

  it("email: a tagged subject and a body with the context and the data", () => {
    expect(emailMessage(makeNotification({ severity: "critical", data: { attempts: 3, type: "data_backup" } }))).toEqual({
      subject: "[Aurum Edge] CRITICAL: Task data_backup is dead",
      text: [
        "gave up after 3 attempts",
        "",
        "Event: task.dead",
        "Severity: critical",
        "Task: tsk_0123456789abcdef0123456789abcdef",
        "Time: 2026-05-28T12:30:00.000Z",
        "",
        "Data:",
        '{\n  "attempts": 3,\n  "type": "data_backup"\n}',
        "",
      ].join("\n"),
    });
    expect(emailMessage(makeNotification({}, null)).text).toBe(
      "gave up after 3 attempts\n\nEvent: task.dead\nSeverity: warning\nTask: none\nTime: 2026-05-28T12:30:00.000Z\n",
    );
  });

  it("log: the level follows the severity; the fields carry the whole notification", () => {
    expect([logLevelFor("info"), logLevelFor("warning"), logLevelFor("critical")]).toEqual(["info", "warn", "error"]);
    expect(logFields(makeNotification())).toEqual({ ...webhookBody(makeNotification()) });
  });
});
