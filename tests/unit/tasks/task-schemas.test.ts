/**
 * Task boundary schemas: every payload schema accepts its documented minimum and fills its defaults, refuses unknown
 * keys and bad values (backtest range, horizon bounds, notification event names); the create request refuses
 * duplicate dependencies and more than 10 attempts; parseTaskPayload fills defaults.
 */
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import {
  CreateTaskRequestSchema,
  NotificationEventSchema,
  parseTaskPayload,
  TASK_PAYLOAD_SCHEMAS,
  TASK_TYPES,
  TaskRecordSchema,
  type TaskType,
} from "../../../core/schemas/tasks.js";
import { classifyFailure } from "../../../core/tasks/failure.js";
import { TASK_TYPE_DEFAULTS } from "../../../core/tasks/task-types.js";
import { makeTask, NOW_MS, taskId } from "./builders.js";

const DAY_MS = 86_400_000;
const FROM_MS = Date.UTC(2024, 0, 1);

/** The least each type's payload needs, and what it becomes with the defaults filled in. */
const MINIMAL: { readonly [T in TaskType]: { readonly input: Record<string, unknown>; readonly parsed: Record<string, unknown> } } = {
  model_training: {
    input: { symbol: "xauusd" },
    parsed: { symbol: "XAUUSD", timeframe: "M1", horizonBars: 15, model: "gbdt", trials: 20, seed: 1, deploy: true, reason: "manual" },
  },
  model_deploy: { input: { modelId: 7 }, parsed: { modelId: 7, reason: "task" } },
  model_evaluation: { input: {}, parsed: {} },
  data_backup: { input: {}, parsed: { kind: "manual", includeModels: true } },
  health_check: { input: {}, parsed: { trigger: "api" } },
  system_cleanup: {
    input: {},
    parsed: { taskRetentionDays: 30, healthRetentionDays: 30, auditRetentionDays: 365, notificationRetentionDays: 30, dryRun: false },
  },
  database_maintenance: { input: {}, parsed: { integrityCheck: true } },
  backtest: {
    input: { symbol: "EURUSD", fromMs: FROM_MS, toMs: FROM_MS + DAY_MS },
    parsed: { symbol: "EURUSD", fromMs: FROM_MS, toMs: FROM_MS + DAY_MS, initialBalanceUsd: 100_000 },
  },
  notification: {
    input: { event: "task.dead", title: "Task dead", message: "it died" },
    parsed: { event: "task.dead", severity: "info", title: "Task dead", message: "it died" },
  },
};

function accepts(type: TaskType, payload: unknown): boolean {
  return TASK_PAYLOAD_SCHEMAS[type].safeParse(payload).success;
}

describe("TASK_PAYLOAD_SCHEMAS", () => {
  it("has one schema per task type", () => {
    expect(Object.keys(TASK_PAYLOAD_SCHEMAS).sort()).toEqual([...TASK_TYPES].sort());
  });

  it.each(TASK_TYPES)("accepts the minimal %s payload and fills its defaults", (type) => {
    expect(TASK_PAYLOAD_SCHEMAS[type].parse(MINIMAL[type].input)).toEqual(MINIMAL[type].parsed);
  });

  it.each(TASK_TYPES)("accepts its own parsed %s payload again unchanged (what the store keeps is re-readable)", (type) => {
    expect(TASK_PAYLOAD_SCHEMAS[type].parse(MINIMAL[type].parsed)).toEqual(MINIMAL[type].parsed);
  });

  it.each(TASK_TYPES)("refuses an unknown key in a %s payload (strict)", (type) => {
    expect(accepts(type, { ...MINIMAL[type].input, unexpected: 1 })).toBe(false);
  });

  it.each(TASK_TYPES)("refuses a %s payload that is not an object", (type) => {
    for (const payload of [null, "text", 42, [MINIMAL[type].input]]) expect(accepts(type, payload)).toBe(false);
  });

  it.each([
    ["model_training", {}],
    ["model_deploy", {}],
    ["backtest", { symbol: "EURUSD", fromMs: FROM_MS }],
    ["notification", { event: "task.dead", title: "t" }],
  ] as const)("refuses a %s payload without its required fields", (type, payload) => {
    expect(accepts(type, payload)).toBe(false);
  });
});

describe("model_training payload", () => {
  const ok = (extra: Record<string, unknown>) => accepts("model_training", { symbol: "XAUUSD", ...extra });

  it("bounds the horizon to 1–10,080 whole bars", () => {
    expect(ok({ horizonBars: 1 })).toBe(true);
    expect(ok({ horizonBars: 10_080 })).toBe(true);
    expect(ok({ horizonBars: 0 })).toBe(false);
    expect(ok({ horizonBars: 10_081 })).toBe(false);
    expect(ok({ horizonBars: 2.5 })).toBe(false);
  });

  it("refuses bad symbols, timeframes, model kinds, trials, seeds and reasons", () => {
    expect(accepts("model_training", { symbol: "XA" })).toBe(false);
    expect(accepts("model_training", { symbol: "XAU/USD" })).toBe(false);
    expect(ok({ timeframe: "H1" })).toBe(false);
    expect(ok({ model: "xgboost" })).toBe(false);
    expect(ok({ model: "logistic" })).toBe(true);
    expect(ok({ trials: 0 })).toBe(false);
    expect(ok({ trials: 201 })).toBe(false);
    expect(ok({ seed: -1 })).toBe(false);
    expect(ok({ seed: 2 ** 32 })).toBe(false);
    expect(ok({ seed: 2 ** 32 - 1 })).toBe(true);
    expect(ok({ reason: "" })).toBe(false);
    expect(ok({ reason: "r".repeat(501) })).toBe(false);
    expect(ok({ reason: "r".repeat(500) })).toBe(true);
    expect(ok({ fromMs: -1 })).toBe(false);
  });
});

describe("backtest payload", () => {
  const range = (fromMs: number, toMs: number) => accepts("backtest", { symbol: "EURUSD", fromMs, toMs });

  it("accepts a range up to exactly 14 days", () => {
    expect(range(FROM_MS, FROM_MS + 1)).toBe(true);
    expect(range(FROM_MS, FROM_MS + 14 * DAY_MS)).toBe(true);
  });

  it("refuses a range longer than 14 days, on toMs", () => {
    const parsed = TASK_PAYLOAD_SCHEMAS.backtest.safeParse({ symbol: "EURUSD", fromMs: FROM_MS, toMs: FROM_MS + 14 * DAY_MS + 1 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["toMs", "a backtest task covers at most 14 days (run longer ones with npm run backtest)"],
    ]);
  });

  it("refuses a reversed or empty range", () => {
    expect(range(FROM_MS + DAY_MS, FROM_MS)).toBe(false);
    expect(range(FROM_MS, FROM_MS)).toBe(false);
    const parsed = TASK_PAYLOAD_SCHEMAS.backtest.safeParse({ symbol: "EURUSD", fromMs: FROM_MS + DAY_MS, toMs: FROM_MS });
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain("toMs");
  });

  it("refuses a balance that is not positive", () => {
    expect(accepts("backtest", { symbol: "EURUSD", fromMs: FROM_MS, toMs: FROM_MS + DAY_MS, initialBalanceUsd: 0 })).toBe(false);
    expect(accepts("backtest", { symbol: "EURUSD", fromMs: FROM_MS, toMs: FROM_MS + DAY_MS, initialBalanceUsd: 1e13 })).toBe(false);
  });
});

describe("notification payload", () => {
  it.each(["task.dead", "health.critical", "backup.failed", "a.b.c", "model_x.deployed_2", "x.1"])("accepts the event name %s", (event) => {
    expect(NotificationEventSchema.safeParse(event).success).toBe(true);
  });

  it.each(["task", "Task.dead", "task.Dead", "task..dead", "task.dead.", ".task.dead", "1task.dead", "task-x.dead", "task dead.x", ""])(
    "refuses the event name %j",
    (event) => {
      expect(NotificationEventSchema.safeParse(event).success).toBe(false);
    },
  );

  it("bounds severity, title and message", () => {
    const base = MINIMAL.notification.input;
    expect(accepts("notification", { ...base, severity: "critical" })).toBe(true);
    expect(accepts("notification", { ...base, severity: "fatal" })).toBe(false);
    expect(accepts("notification", { ...base, title: "" })).toBe(false);
    expect(accepts("notification", { ...base, title: "t".repeat(201) })).toBe(false);
    expect(accepts("notification", { ...base, message: "m".repeat(4_000) })).toBe(true);
    expect(accepts("notification", { ...base, message: "m".repeat(4_001) })).toBe(false);
    expect(accepts("notification", { ...base, data: { taskId: "x", nested: { n: 1 } } })).toBe(true);
    expect(accepts("notification", { ...base, data: "text" })).toBe(false);
  });
});

describe("the other payloads", () => {
  it("refuses bad values", () => {
    expect(accepts("model_deploy", { modelId: 0 })).toBe(false);
    expect(accepts("model_deploy", { modelId: 1.5 })).toBe(false);
    expect(accepts("model_deploy", { modelId: "7" })).toBe(false);
    expect(accepts("model_evaluation", { symbols: ["XAUUSD", "EURUSD"] })).toBe(true);
    expect(accepts("model_evaluation", { symbols: ["X"] })).toBe(false);
    expect(accepts("model_evaluation", { symbols: Array.from({ length: 51 }, () => "XAUUSD") })).toBe(false);
    expect(accepts("data_backup", { kind: "emergency", reason: "health critical" })).toBe(true);
    expect(accepts("data_backup", { kind: "hourly" })).toBe(false);
    expect(accepts("data_backup", { reason: "" })).toBe(false);
    expect(accepts("health_check", { trigger: "cron" })).toBe(true);
    expect(accepts("health_check", { trigger: "manual" })).toBe(false);
    expect(accepts("system_cleanup", { taskRetentionDays: 0 })).toBe(false);
    expect(accepts("system_cleanup", { auditRetentionDays: 3_651 })).toBe(false);
    expect(accepts("system_cleanup", { dryRun: "yes" })).toBe(false);
    expect(accepts("database_maintenance", { integrityCheck: 1 })).toBe(false);
  });
});

describe("parseTaskPayload", () => {
  it("fills the defaults", () => {
    expect(parseTaskPayload("system_cleanup", { dryRun: true })).toEqual({ ...MINIMAL.system_cleanup.parsed, dryRun: true });
    expect(parseTaskPayload("model_training", { symbol: "eurusd", deploy: false })).toEqual({ ...MINIMAL.model_training.parsed, symbol: "EURUSD", deploy: false });
  });

  it("reads a missing payload as {}", () => {
    expect(parseTaskPayload("health_check", undefined)).toEqual({ trigger: "api" });
    expect(parseTaskPayload("database_maintenance", null)).toEqual({ integrityCheck: true });
  });

  it("throws a ZodError for an invalid payload, which the runner treats as permanent", () => {
    let thrown: unknown;
    try {
      parseTaskPayload("model_training", {});
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ZodError);
    expect(classifyFailure(thrown)).toBe("permanent");
  });
});

describe("CreateTaskRequestSchema", () => {
  it("accepts a bare type and fills the defaults", () => {
    expect(CreateTaskRequestSchema.parse({ type: "health_check" })).toEqual({ type: "health_check", payload: {}, dependsOn: [], dependencyPolicy: "cancel" });
  });

  it("accepts every field within its bounds", () => {
    const request = {
      type: "backtest",
      payload: MINIMAL.backtest.input,
      priority: 9,
      dependsOn: [taskId(1), taskId(2)],
      dependencyPolicy: "fail",
      maxAttempts: 10,
      timeoutMs: 6 * 3_600_000,
      runAfter: NOW_MS,
      dedupeKey: "backtest:EURUSD:2024-01",
    };
    expect(CreateTaskRequestSchema.parse(request)).toEqual(request);
  });

  it("refuses a dependency named twice, on dependsOn", () => {
    const parsed = CreateTaskRequestSchema.safeParse({ type: "health_check", dependsOn: [taskId(1), taskId(2), taskId(1)] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["dependsOn", "dependsOn names a task twice"]]);
  });

  it("refuses more than 10 attempts, and fewer than 1", () => {
    expect(CreateTaskRequestSchema.safeParse({ type: "health_check", maxAttempts: 11 }).success).toBe(false);
    expect(CreateTaskRequestSchema.safeParse({ type: "health_check", maxAttempts: 0 }).success).toBe(false);
    expect(CreateTaskRequestSchema.safeParse({ type: "health_check", maxAttempts: 2.5 }).success).toBe(false);
  });

  it("refuses bad ids, too many dependencies, out-of-range priority and timeout, unknown keys and types", () => {
    const refused = (extra: Record<string, unknown>) => CreateTaskRequestSchema.safeParse({ type: "health_check", ...extra }).success === false;
    expect(refused({ dependsOn: ["tsk_123"] })).toBe(true);
    expect(refused({ dependsOn: [taskId(1).toUpperCase()] })).toBe(true);
    expect(refused({ dependsOn: Array.from({ length: 51 }, (_, i) => taskId(i + 1)) })).toBe(true);
    expect(refused({ dependsOn: Array.from({ length: 50 }, (_, i) => taskId(i + 1)) })).toBe(false);
    expect(refused({ priority: 10 })).toBe(true);
    expect(refused({ priority: -1 })).toBe(true);
    expect(refused({ timeoutMs: 999 })).toBe(true);
    expect(refused({ timeoutMs: 1_000 })).toBe(false);
    expect(refused({ timeoutMs: 6 * 3_600_000 + 1 })).toBe(true);
    expect(refused({ dependencyPolicy: "ignore" })).toBe(true);
    expect(refused({ dedupeKey: "" })).toBe(true);
    expect(refused({ runAfter: -1 })).toBe(true);
    expect(refused({ unexpected: true })).toBe(true);
    expect(CreateTaskRequestSchema.safeParse({ type: "coffee" }).success).toBe(false);
  });

  it("allows every type's default attempts and timeout (the defaults fit the request bounds)", () => {
    for (const type of TASK_TYPES) {
      const { maxAttempts, timeoutMs, priority } = TASK_TYPE_DEFAULTS[type];
      expect(CreateTaskRequestSchema.safeParse({ type, maxAttempts, timeoutMs, priority }).success, type).toBe(true);
    }
  });
});

describe("TaskRecordSchema", () => {
  it("accepts the test builder's record (the builders stay valid)", () => {
    expect(TaskRecordSchema.parse(makeTask())).toEqual(makeTask());
  });
});
