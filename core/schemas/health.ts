/** Health-check results, as stored in D1 and shown by the API. */
import { z } from "zod";

export const HEALTH_STATUSES = ["ok", "degraded", "critical"] as const;
export const HealthStatusSchema = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

export const CheckResultSchema = z.object({
  name: z.string().describe("What was checked, e.g. d1, r2.models, feed.XAUUSD"),
  status: HealthStatusSchema,
  detail: z.string().describe("What was found, for a person"),
  latencyMs: z.number().nonnegative().nullable(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

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
