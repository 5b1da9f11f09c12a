/**
 * The `health_check` task: runs every health check (workers/tasks/health-check.ts), stores the report, and decides
 * the remediation (core/health/remediation.ts) that the task system's follow-up rules turn into tasks.
 */
import { decideRemediation } from "../../../core/health/remediation.js";
import { runHealthCheck } from "../health-check.js";
import type { TaskProcessor } from "../processor.js";

/**
 * Result: `{ reportId, status, checkedAtMs, trigger, checks, remediation: { emergencyBackup, retrain, alert, reasons } }`.
 * A check that fails is a finding in the report, never a failure of the task; only a report that cannot be stored
 * fails it (and is retried).
 */
export const runHealthCheckTask: TaskProcessor<"health_check"> = async (run) => {
  const report = await runHealthCheck(run.env, run.nowMs);
  const remediation = decideRemediation(report.results);
  const notOk = report.results.filter((check) => check.status !== "ok").map((check) => `${check.name}: ${check.status}`);
  run.log.info("health checked", { reportId: report.id, status: report.status, notOk, remediation });
  return {
    reportId: report.id,
    status: report.status,
    checkedAtMs: report.checkedAtMs,
    trigger: run.payload.trigger,
    checks: report.results,
    remediation,
  };
};
