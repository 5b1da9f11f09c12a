/**
 * Follow-up rules: a promotable trained model gets one deploy, a live degradation a retraining per instrument and UTC
 * day, a health check's remediation an emergency backup (per UTC hour), retrainings and an alert; every follow-up's
 * payload is valid for its type. The dead-task alert: none for notifications, severity per type.
 */
import { describe, expect, it } from "vitest";
import { deadTaskAlert, followUpsOf, type FollowUpTask } from "../../../core/tasks/follow-ups.js";
import {
  NotificationPayloadSchema,
  parseTaskPayload,
  TASK_TYPES,
  type TaskError,
  type TaskRecord,
} from "../../../core/schemas/tasks.js";
import { makeTask, NOW_MS, taskId } from "./builders.js";

/** A succeeded model_training task with its parsed payload (deploy: true, reason: "manual" by default). */
function trainingTask(payload: Record<string, unknown> = {}): TaskRecord {
  return makeTask({ id: taskId(0x71), type: "model_training", payload: parseTaskPayload("model_training", { symbol: "XAUUSD", ...payload }) });
}

const PROMOTED = { modelId: 7, version: "v7", promotion: { promote: true, code: "PROMOTE" } };

/** Every follow-up's payload passes its type's schema, as createTask will check it. */
function expectValidPayloads(followUps: readonly FollowUpTask[]): void {
  for (const followUp of followUps) expect(() => parseTaskPayload(followUp.type, followUp.payload), followUp.rule).not.toThrow();
}

describe("followUpsOf: model_training", () => {
  it("asks for one model_deploy of a model that passed the promotion gate, deduplicated per model", () => {
    const task = trainingTask({ reason: "live degradation" });
    const followUps = followUpsOf(task, PROMOTED, NOW_MS);
    expect(followUps).toEqual([
      {
        type: "model_deploy",
        payload: { modelId: 7, reason: `trained by task ${task.id} (live degradation)` },
        dedupeKey: "deploy:model:7",
        rule: "deploy-promotable-model",
      },
    ]);
    expectValidPayloads(followUps);
  });

  it("gives the same dedupe key whenever the completion is seen again", () => {
    const first = followUpsOf(trainingTask(), PROMOTED, NOW_MS);
    const again = followUpsOf(trainingTask(), PROMOTED, NOW_MS + 86_400_000);
    expect(again.map((f) => f.dedupeKey)).toEqual(first.map((f) => f.dedupeKey));
  });

  it("names the reason manual when the payload has none", () => {
    const task = makeTask({ id: taskId(0x72), type: "model_training", payload: { symbol: "XAUUSD" } });
    expect(followUpsOf(task, PROMOTED, NOW_MS)[0]?.payload["reason"]).toBe(`trained by task ${task.id} (manual)`);
  });

  it("asks for nothing when the promotion gate refused the model", () => {
    const refused = { ...PROMOTED, promotion: { promote: false, code: "NOT_BETTER_THAN_CHAMPION" } };
    expect(followUpsOf(trainingTask(), refused, NOW_MS)).toEqual([]);
  });

  it("asks for nothing when the task was told not to deploy", () => {
    expect(followUpsOf(trainingTask({ deploy: false }), PROMOTED, NOW_MS)).toEqual([]);
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["an empty object", {}],
    ["no promotion", { modelId: 7, version: "v7" }],
    ["a string model id", { ...PROMOTED, modelId: "7" }],
    ["model id 0", { ...PROMOTED, modelId: 0 }],
    ["a fractional model id", { ...PROMOTED, modelId: 7.5 }],
    ["promote as a string", { ...PROMOTED, promotion: { promote: "true", code: "PROMOTE" } }],
    ["an array", [PROMOTED]],
  ])("asks for nothing when the result is malformed (%s)", (_name, result) => {
    expect(followUpsOf(trainingTask(), result, NOW_MS)).toEqual([]);
  });

  // The deploy reason wraps the training reason (up to 500 characters) and must still fit model_deploy's 500.
  it("gives a deploy payload valid for model_deploy even when the training reason is as long as allowed", () => {
    const followUps = followUpsOf(trainingTask({ reason: "r".repeat(500) }), PROMOTED, NOW_MS);
    expect(followUps).toHaveLength(1);
    expectValidPayloads(followUps);
  });
});

describe("followUpsOf: model_evaluation", () => {
  const evaluation = makeTask({ id: taskId(0xe1), type: "model_evaluation" });

  it("asks for one retraining per degraded instrument, deduplicated per instrument and UTC day", () => {
    const followUps = followUpsOf(evaluation, { degraded: ["XAUUSD", "EURUSD"], evaluated: 3 }, NOW_MS);
    expect(followUps).toEqual([
      {
        type: "model_training",
        payload: { symbol: "XAUUSD", reason: `live degradation found by task ${evaluation.id}` },
        dedupeKey: "retrain:XAUUSD:2024-03-05",
        rule: "retrain-degraded-model",
      },
      {
        type: "model_training",
        payload: { symbol: "EURUSD", reason: `live degradation found by task ${evaluation.id}` },
        dedupeKey: "retrain:EURUSD:2024-03-05",
        rule: "retrain-degraded-model",
      },
    ]);
    expectValidPayloads(followUps);
  });

  it("keys the retraining by the UTC day: the same key all day, a new one at midnight UTC", () => {
    const keyAt = (ms: number) => followUpsOf(evaluation, { degraded: ["XAUUSD"] }, ms)[0]?.dedupeKey;
    const dayStartMs = Date.UTC(2024, 2, 5);
    expect(keyAt(dayStartMs)).toBe("retrain:XAUUSD:2024-03-05");
    expect(keyAt(dayStartMs + 86_400_000 - 1)).toBe("retrain:XAUUSD:2024-03-05");
    expect(keyAt(dayStartMs + 86_400_000)).toBe("retrain:XAUUSD:2024-03-06");
  });

  it("asks for nothing when nothing degraded", () => {
    expect(followUpsOf(evaluation, { degraded: [] }, NOW_MS)).toEqual([]);
  });

  it.each([["null", null], ["no degraded list", { evaluated: 2 }], ["degraded not a list", { degraded: "XAUUSD" }], ["a number in the list", { degraded: [1] }]])(
    "asks for nothing when the result is malformed (%s)",
    (_name, result) => {
      expect(followUpsOf(evaluation, result, NOW_MS)).toEqual([]);
    },
  );
});

describe("followUpsOf: health_check", () => {
  const check = makeTask({ id: taskId(0x4c), type: "health_check" });
  const critical = {
    status: "critical",
    remediation: { emergencyBackup: true, retrain: ["XAUUSD"], alert: true, reasons: ["D1 unreachable", "feed stale for 10 min"] },
  };

  it("asks for an emergency backup, the retrainings and an alert, in that order", () => {
    const followUps = followUpsOf(check, critical, NOW_MS);
    expect(followUps.map((f) => [f.type, f.rule, f.dedupeKey])).toEqual([
      ["data_backup", "emergency-backup-on-critical-health", "emergency-backup:2024-03-05T10"],
      ["model_training", "retrain-degraded-model", "retrain:XAUUSD:2024-03-05"],
      ["notification", "alert-on-health", "alert:health:critical:2024-03-05T10"],
    ]);
    expect(followUps[0]?.payload).toEqual({ kind: "emergency", reason: "health critical: D1 unreachable; feed stale for 10 min" });
    expect(followUps[1]?.payload).toEqual({ symbol: "XAUUSD", reason: `health check ${check.id} found the model degraded` });
    expectValidPayloads(followUps);
  });

  it("sends an alert that NotificationPayloadSchema accepts, critical for a critical check", () => {
    const alert = followUpsOf(check, critical, NOW_MS).find((f) => f.type === "notification");
    const parsed = NotificationPayloadSchema.parse(alert?.payload);
    expect(parsed).toEqual({
      event: "health.critical",
      severity: "critical",
      title: "Platform health CRITICAL",
      message: "D1 unreachable\nfeed stale for 10 min",
      data: { taskId: check.id, status: "critical", reasons: ["D1 unreachable", "feed stale for 10 min"] },
    });
  });

  it("sends a warning for a degraded check, saying which check when there are no reasons", () => {
    const followUps = followUpsOf(check, { status: "degraded", remediation: { emergencyBackup: false, retrain: [], alert: true } }, NOW_MS);
    expect(followUps).toHaveLength(1);
    expect(followUps[0]?.dedupeKey).toBe("alert:health:degraded:2024-03-05T10");
    expect(NotificationPayloadSchema.parse(followUps[0]?.payload)).toMatchObject({
      event: "health.degraded",
      severity: "warning",
      title: "Platform health DEGRADED",
      message: `health check ${check.id} reported degraded`,
    });
  });

  it("gives a backup reason that points to the check when there are no reasons", () => {
    const followUps = followUpsOf(check, { status: "critical", remediation: { emergencyBackup: true, retrain: [], alert: false } }, NOW_MS);
    expect(followUps.map((f) => f.payload)).toEqual([{ kind: "emergency", reason: "health critical: see the health check" }]);
  });

  it("keeps payloads within their schemas' limits when the reasons are long", () => {
    const reasons = Array.from({ length: 200 }, (_, i) => `reason ${i}: ${"x".repeat(60)}`);
    const followUps = followUpsOf(check, { status: "critical", remediation: { ...critical.remediation, reasons } }, NOW_MS);
    expect(followUps).toHaveLength(3);
    expect(String(followUps[0]?.payload["reason"])).toHaveLength(500);
    expect(String(followUps[2]?.payload["message"])).toHaveLength(4_000);
    expectValidPayloads(followUps);
  });

  it("keys the emergency backup and the alert by the UTC hour", () => {
    const keysAt = (ms: number) => followUpsOf(check, critical, ms).map((f) => f.dedupeKey);
    const hourStartMs = Date.UTC(2024, 2, 5, 10);
    expect(keysAt(hourStartMs)).toEqual(keysAt(hourStartMs + 3_600_000 - 1));
    expect(keysAt(hourStartMs + 3_600_000)).toEqual([
      "emergency-backup:2024-03-05T11",
      "retrain:XAUUSD:2024-03-05",
      "alert:health:critical:2024-03-05T11",
    ]);
  });

  it("asks for the same retraining as an evaluation the same UTC day (one retraining, whichever rule asks first)", () => {
    const fromHealth = followUpsOf(check, critical, NOW_MS).find((f) => f.type === "model_training");
    const fromEvaluation = followUpsOf(makeTask({ type: "model_evaluation" }), { degraded: ["XAUUSD"] }, NOW_MS + 3 * 3_600_000);
    expect(fromHealth?.dedupeKey).toBe(fromEvaluation[0]?.dedupeKey);
  });

  it("asks for nothing when no remediation is asked", () => {
    expect(followUpsOf(check, { status: "ok", remediation: { emergencyBackup: false, retrain: [], alert: false, reasons: [] } }, NOW_MS)).toEqual([]);
  });

  it.each([
    ["null", null],
    ["no remediation", { status: "critical" }],
    ["an unknown status", { status: "on fire", remediation: critical.remediation }],
    ["a remediation without retrain", { status: "critical", remediation: { emergencyBackup: true, alert: true } }],
  ])("asks for nothing when the result is malformed (%s)", (_name, result) => {
    expect(followUpsOf(check, result, NOW_MS)).toEqual([]);
  });
});

describe("followUpsOf: other types", () => {
  it.each(TASK_TYPES.filter((t) => !["model_training", "model_evaluation", "health_check"].includes(t)))(
    "asks for nothing after a %s task, whatever its result",
    (type) => {
      const task = makeTask({ type });
      expect(followUpsOf(task, PROMOTED, NOW_MS)).toEqual([]);
      expect(followUpsOf(task, { degraded: ["XAUUSD"] }, NOW_MS)).toEqual([]);
      expect(followUpsOf(task, { status: "critical", remediation: { emergencyBackup: true, retrain: [], alert: true } }, NOW_MS)).toEqual([]);
    },
  );
});

describe("deadTaskAlert", () => {
  const error: TaskError = { class: "retryable", name: "UpstreamError", message: "R2 put failed", attempt: 3, willRetry: false, nextDelayS: null };

  it("sends none for a dead notification (no alert loops)", () => {
    expect(deadTaskAlert(makeTask({ type: "notification", status: "dead", attempts: 5, error }), "retries exhausted")).toBeNull();
  });

  it("is critical for data_backup and health_check, a warning for the other types", () => {
    const severities = Object.fromEntries(
      TASK_TYPES.filter((t) => t !== "notification").map((type) => [type, deadTaskAlert(makeTask({ type, status: "dead", error }), "why")?.severity]),
    );
    expect(severities).toEqual({
      model_training: "warning",
      model_deploy: "warning",
      model_evaluation: "warning",
      data_backup: "critical",
      health_check: "critical",
      system_cleanup: "warning",
      database_maintenance: "warning",
      backtest: "warning",
    });
  });

  it("says which task gave up after how many attempts and why, valid for NotificationPayloadSchema", () => {
    const task = makeTask({ id: taskId(0xdead), type: "data_backup", status: "dead", attempts: 3, error });
    const alert = deadTaskAlert(task, "retries exhausted: R2 put failed");
    expect(NotificationPayloadSchema.parse(alert)).toEqual({
      event: "task.dead",
      severity: "critical",
      title: "Task data_backup is dead",
      message: `${task.id} (data_backup) gave up after 3 attempt(s): retries exhausted: R2 put failed`,
      data: { taskId: task.id, type: "data_backup", attempts: 3, error },
    });
  });

  it("keeps the message within 4,000 characters for a long reason", () => {
    const alert = deadTaskAlert(makeTask({ type: "backtest", status: "dead", error: null }), "e".repeat(10_000));
    expect(alert?.message).toHaveLength(4_000);
    expect(NotificationPayloadSchema.safeParse(alert).success).toBe(true);
  });
});
