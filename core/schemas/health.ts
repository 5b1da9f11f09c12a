/** Health-check results, as stored in D1 and shown by the API: checks, findings, reports, history and remediation. */
import { z } from "zod";
import { QueryTimestampSchema, SymbolSchema } from "./common.js";
import { CursorQuerySchema } from "./trading-api.js";

export const HEALTH_STATUSES = ["ok", "degraded", "critical"] as const;
export const HealthStatusSchema = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

/**
 * What a check found wrong, from one closed set (remediation reads these, never the free text):
 * CHECK_FAILED the check itself threw (a binding unreachable) · ACCOUNT_NOT_ACTIVE trading is halted or cooling down ·
 * FEED_STALE no tick for too long during trading hours · FEED_NO_DATA never a tick · QUEUE_BACKLOG queue tasks wait
 * too long · TRAINING_BACKLOG training tasks wait for a trainer daemon · DEAD_TASKS tasks went dead recently ·
 * TASK_ERROR_RATE / HTTP_ERROR_RATE too many failures in the last hour · MODEL_MISSING a model-trading instrument
 * without a champion · MODEL_STALE the champion was trained too long ago · MODEL_DEGRADED live monitoring flags the
 * champion · SERVING_DIVERGED the instrument's Durable Object serves another champion than D1 records.
 */
export const HEALTH_FINDING_CODES = [
  "CHECK_FAILED",
  "ACCOUNT_NOT_ACTIVE",
  "FEED_STALE",
  "FEED_NO_DATA",
  "QUEUE_BACKLOG",
  "TRAINING_BACKLOG",
  "DEAD_TASKS",
  "TASK_ERROR_RATE",
  "HTTP_ERROR_RATE",
  "MODEL_MISSING",
  "MODEL_STALE",
  "MODEL_DEGRADED",
  "SERVING_DIVERGED",
] as const;
export const HealthFindingCodeSchema = z.enum(HEALTH_FINDING_CODES);
export type HealthFindingCode = z.infer<typeof HealthFindingCodeSchema>;

export const CheckResultSchema = z.object({
  name: z.string().describe("What was checked, e.g. d1, r2.models, feed.XAUUSD, queue.backlog, model.XAUUSD"),
  status: HealthStatusSchema,
  detail: z.string().describe("What was found, for a person"),
  latencyMs: z.number().nonnegative().nullable(),
  // Reports stored before codes existed have neither field: read as null.
  code: HealthFindingCodeSchema.nullable().default(null).describe("What is wrong, from a closed set; null when ok"),
  symbol: SymbolSchema.nullable().default(null).describe("The instrument a per-instrument check is about"),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** What a check function decides: everything of a result but its name and timing. */
export type CheckOutcome = Omit<CheckResult, "name" | "latencyMs">;

/** The worst of several statuses (critical > degraded > ok). */
export function worstStatus(statuses: readonly HealthStatus[]): HealthStatus {
  if (statuses.includes("critical")) return "critical";
  if (statuses.includes("degraded")) return "degraded";
  return "ok";
}

/** `GET /health`: public and minimal. */
export const PublicHealthSchema = z.object({
  status: HealthStatusSchema,
  timeMs: z.number().int(),
  lastCheck: z
    .object({ status: HealthStatusSchema, checkedAtMs: z.number().int() })
    .nullable()
    .describe("The latest scheduled health check, null before the first"),
});
export type PublicHealth = z.infer<typeof PublicHealthSchema>;

/** One stored run of the health check. */
export const HealthReportSchema = z.object({
  id: z.number().int().positive(),
  checkedAtMs: z.number().int().describe("The time the checks judged freshness and ages at, epoch ms"),
  status: HealthStatusSchema.describe("The worst status of its checks"),
  durationMs: z.number().int().nonnegative(),
  results: z.array(CheckResultSchema),
});
export type HealthReport = z.infer<typeof HealthReportSchema>;

/** What the health-check decides should be done about a report (core/health/remediation.ts). */
export const RemediationSchema = z.object({
  emergencyBackup: z.boolean().describe("Take an emergency backup now"),
  retrain: z.array(SymbolSchema).describe("Instruments whose model should be retrained"),
  alert: z.boolean().describe("Tell the operators"),
  reasons: z.array(z.string()).describe("Why, one line per finding that asked for an action"),
});
export type Remediation = z.infer<typeof RemediationSchema>;

/** Largest page of `GET /api/v1/health/history`. */
export const MAX_HEALTH_HISTORY_LIMIT = 500;

/** A history cursor: the opaque keyset cursor of the trading lists, whose id must be a report id. */
const HealthCursorSchema = CursorQuerySchema.transform((position, ctx) => {
  const id = Number(position.id);
  if (!/^\d{1,15}$/.test(position.id) || !Number.isSafeInteger(id)) {
    ctx.addIssue({ code: "custom", message: "not a cursor of the health history" });
    return z.NEVER;
  }
  return { checkedAtMs: position.tsMs, id };
});

/** `GET /api/v1/health/history` query. */
export const HealthHistoryQuerySchema = z.object({
  since: QueryTimestampSchema.optional().describe("Reports checked at or after"),
  status: HealthStatusSchema.optional().describe("Only reports with exactly this status"),
  limit: z.coerce.number().int().min(1).max(MAX_HEALTH_HISTORY_LIMIT).default(50),
  cursor: HealthCursorSchema.optional(),
});
export type HealthHistoryQuery = z.infer<typeof HealthHistoryQuerySchema>;

export const HealthHistoryPageSchema = z.object({
  reports: z.array(HealthReportSchema).describe("Newest first"),
  nextCursor: z.string().nullable().describe("Pass as 'cursor' for the next page; null on the last page"),
});
export type HealthHistoryPage = z.infer<typeof HealthHistoryPageSchema>;
