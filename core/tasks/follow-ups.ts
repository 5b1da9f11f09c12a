/**
 * Follow-up rules: the tasks a finished task's result asks for. A trained model that passes the promotion gate gets
 * a deploy task; a live degradation gets a retraining; a critical health check gets an emergency backup and an alert.
 * Every follow-up carries a dedupe key, so a rule that fires twice (a redelivered completion, two checks in the same
 * hour) creates its task once.
 */
import { z } from "zod";
import type { NotificationPayload, TaskRecord, TaskType } from "../schemas/tasks.js";

/** A task a rule asks for (the runner creates it with the finished task as its parent). */
export interface FollowUpTask {
  readonly type: TaskType;
  readonly payload: Record<string, unknown>;
  readonly dedupeKey: string;
  /** Which rule fired, for the event trail. */
  readonly rule: string;
}

/** What a model_training task's result carries (the training hand-off's completion). */
export const TrainingResultSchema = z.object({
  modelId: z.number().int().positive(),
  version: z.string(),
  promotion: z.object({ promote: z.boolean(), code: z.string() }),
});

const EvaluationResultSchema = z.object({ degraded: z.array(z.string()) });

const HealthResultSchema = z.object({
  status: z.enum(["ok", "degraded", "critical"]),
  remediation: z.object({
    emergencyBackup: z.boolean(),
    retrain: z.array(z.string()),
    alert: z.boolean(),
    reasons: z.array(z.string()).default([]),
  }),
});

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utcHour = (ms: number) => new Date(ms).toISOString().slice(0, 13);

function retraining(reportedSymbol: string, reason: string, nowMs: number): FollowUpTask {
  const symbol = reportedSymbol.toUpperCase();
  return {
    type: "model_training",
    payload: { symbol, reason },
    // One retraining per instrument and UTC day, whichever rule asks first.
    dedupeKey: `retrain:${symbol}:${utcDay(nowMs)}`,
    rule: "retrain-degraded-model",
  };
}

/**
 * The follow-ups of `task`, which just succeeded with `result`. A result that does not have the expected shape
 * asks for nothing.
 * @example followUpsOf(trainingTask, { modelId: 7, version: "v7", promotion: { promote: true, code: "PROMOTE" } }, nowMs)
 * // [{ type: "model_deploy", payload: { modelId: 7, reason: … }, dedupeKey: "deploy:model:7", rule: "deploy-promotable-model" }]
 */
export function followUpsOf(task: TaskRecord, result: unknown, nowMs: number): FollowUpTask[] {
  switch (task.type) {
    case "model_training": {
      const parsed = TrainingResultSchema.safeParse(result);
      if (!parsed.success || task.payload["deploy"] === false || !parsed.data.promotion.promote) return [];
      return [
        {
          type: "model_deploy",
          payload: { modelId: parsed.data.modelId, reason: `trained by task ${task.id} (${String(task.payload["reason"] ?? "manual")})`.slice(0, 500) },
          dedupeKey: `deploy:model:${parsed.data.modelId}`,
          rule: "deploy-promotable-model",
        },
      ];
    }
    case "model_evaluation": {
      const parsed = EvaluationResultSchema.safeParse(result);
      if (!parsed.success) return [];
      return parsed.data.degraded.map((symbol) => retraining(symbol, `live degradation found by task ${task.id}`, nowMs));
    }
    case "health_check": {
      const parsed = HealthResultSchema.safeParse(result);
      if (!parsed.success) return [];
      const { status, remediation } = parsed.data;
      const followUps: FollowUpTask[] = [];
      if (remediation.emergencyBackup) {
        followUps.push({
          type: "data_backup",
          payload: { kind: "emergency", reason: `health ${status}: ${remediation.reasons.join("; ") || "see the health check"}`.slice(0, 500) },
          dedupeKey: `emergency-backup:${utcHour(nowMs)}`,
          rule: "emergency-backup-on-critical-health",
        });
      }
      for (const symbol of remediation.retrain) followUps.push(retraining(symbol, `health check ${task.id} found the model degraded`, nowMs));
      if (remediation.alert) {
        const alert: NotificationPayload = {
          event: `health.${status}`,
          severity: status === "critical" ? "critical" : "warning",
          title: `Platform health ${status.toUpperCase()}`,
          message: (remediation.reasons.join("\n") || `health check ${task.id} reported ${status}`).slice(0, 4_000),
          data: { taskId: task.id, status, reasons: remediation.reasons },
        };
        followUps.push({ type: "notification", payload: alert, dedupeKey: `alert:health:${status}:${utcHour(nowMs)}`, rule: "alert-on-health" });
      }
      return followUps;
    }
    default:
      return [];
  }
}

/** The alert sent when a task dies (retries exhausted or dead-lettered); none for a dead notification (no loops). */
export function deadTaskAlert(task: Pick<TaskRecord, "id" | "type" | "attempts" | "error">, reason: string): NotificationPayload | null {
  if (task.type === "notification") return null;
  return {
    event: "task.dead",
    severity: task.type === "data_backup" || task.type === "health_check" ? "critical" : "warning",
    title: `Task ${task.type} is dead`,
    message: `${task.id} (${task.type}) gave up after ${task.attempts} attempt(s): ${reason}`.slice(0, 4_000),
    data: { taskId: task.id, type: task.type, attempts: task.attempts, error: task.error },
  };
}
