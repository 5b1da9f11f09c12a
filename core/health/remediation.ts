/**
 * What a health report asks to be done: an emergency backup, retraining, an alert. Decided from the checks' finding
 * codes only (never their free text), so the task system's follow-up rules act on a closed set of reasons. The
 * follow-up rules create the tasks; this only decides.
 */
import type { CheckResult, HealthFindingCode, Remediation } from "../schemas/health.js";

/** Findings about an instrument's model that a retraining answers. */
export const RETRAIN_FINDINGS: ReadonlySet<HealthFindingCode> = new Set(["MODEL_MISSING", "MODEL_STALE", "MODEL_DEGRADED"]);

/**
 * Checks a backup depends on: when one of them is critical, a backup cannot be taken (or stored), so none is asked
 * for; the alert still goes out.
 */
export const BACKUP_PREREQUISITES: ReadonlySet<string> = new Set(["d1", "r2.backups"]);

/**
 * The rules: any critical check → alert, and an emergency backup unless D1 or the BACKUPS bucket is the one failing;
 * a stale feed (trading hours, no recent tick) → alert only; a missing, stale or degraded model → retrain its
 * instrument. Anything else (degraded backlogs, dead tasks, an instrument never fed) is recorded in the report and
 * asks for nothing: the dead-letter handler already alerts about each dead task.
 * @example
 * decideRemediation([{ name: "feed.XAUUSD", status: "degraded", code: "FEED_STALE", symbol: "XAUUSD", detail: "…", latencyMs: 3 }])
 * // { emergencyBackup: false, retrain: [], alert: true, reasons: ["feed.XAUUSD: FEED_STALE"] }
 */
export function decideRemediation(checks: readonly CheckResult[]): Remediation {
  const critical = checks.filter((check) => check.status === "critical");
  const staleFeeds = checks.filter((check) => check.code === "FEED_STALE");
  const retrainChecks = checks.filter((check) => check.status !== "ok" && check.code !== null && RETRAIN_FINDINGS.has(check.code) && check.symbol !== null);
  const backupBlocked = critical.some((check) => BACKUP_PREREQUISITES.has(check.name));
  const reason = (check: CheckResult) => `${check.name}: ${check.code ?? check.status}`;
  const reasons = [...new Set([...critical, ...staleFeeds, ...retrainChecks].map(reason))];
  if (critical.length > 0 && backupBlocked) reasons.push("no emergency backup: D1 or the BACKUPS bucket is failing");
  return {
    emergencyBackup: critical.length > 0 && !backupBlocked,
    retrain: [...new Set(retrainChecks.map((check) => check.symbol as string))].sort(),
    alert: critical.length > 0 || staleFeeds.length > 0,
    reasons,
  };
}
