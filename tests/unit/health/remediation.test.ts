/** Remediation rules: critical → emergency backup and alert, stale feed → alert only, model findings → retrain. */
import { describe, expect, it } from "vitest";
import { decideRemediation } from "../../../core/health/remediation.js";
import type { CheckResult, HealthFindingCode, HealthStatus } from "../../../core/schemas/health.js";

function check(name: string, status: HealthStatus = "ok", code: HealthFindingCode | null = null, symbol: string | null = null): CheckResult {
  return { name, status, detail: `${name} detail`, latencyMs: 1, code, symbol };
}

const HEALTHY = [check("d1"), check("r2.models"), check("r2.backups"), check("account"), check("feed.XAUUSD", "ok", null, "XAUUSD"), check("model.XAUUSD", "ok", null, "XAUUSD")];

describe("decideRemediation", () => {
  it("asks for nothing when every check is ok", () => {
    expect(decideRemediation(HEALTHY)).toEqual({ emergencyBackup: false, retrain: [], alert: false, reasons: [] });
  });

  it("answers a critical check with an emergency backup and an alert", () => {
    const checks = [...HEALTHY, check("serving.XAUUSD", "critical", "SERVING_DIVERGED", "XAUUSD")];
    expect(decideRemediation(checks)).toEqual({ emergencyBackup: true, retrain: [], alert: true, reasons: ["serving.XAUUSD: SERVING_DIVERGED"] });
  });

  it("alerts without a backup when D1 or the BACKUPS bucket is what fails", () => {
    for (const failing of ["d1", "r2.backups"]) {
      const checks = HEALTHY.map((c) => (c.name === failing ? check(failing, "critical", "CHECK_FAILED") : c));
      const remediation = decideRemediation(checks);
      expect(remediation).toMatchObject({ emergencyBackup: false, alert: true, retrain: [] });
      expect(remediation.reasons).toEqual([`${failing}: CHECK_FAILED`, "no emergency backup: D1 or the BACKUPS bucket is failing"]);
    }
  });

  it("answers a stale feed with an alert only, and an instrument never fed with nothing", () => {
    expect(decideRemediation([...HEALTHY, check("feed.EURUSD", "degraded", "FEED_STALE", "EURUSD")])).toEqual({
      emergencyBackup: false,
      retrain: [],
      alert: true,
      reasons: ["feed.EURUSD: FEED_STALE"],
    });
    expect(decideRemediation([...HEALTHY, check("feed.BTCUSD", "degraded", "FEED_NO_DATA", "BTCUSD")])).toEqual({ emergencyBackup: false, retrain: [], alert: false, reasons: [] });
  });

  it("retrains each instrument whose model is missing, stale or degraded, once and in order", () => {
    const checks = [
      ...HEALTHY,
      check("model.XAGUSD", "degraded", "MODEL_STALE", "XAGUSD"),
      check("model.EURUSD", "degraded", "MODEL_DEGRADED", "EURUSD"),
      check("model.BTCUSD", "critical", "MODEL_MISSING", "BTCUSD"),
    ];
    const remediation = decideRemediation(checks);
    expect(remediation.retrain).toEqual(["BTCUSD", "EURUSD", "XAGUSD"]);
    // The missing model is critical: the rules for critical findings apply as well.
    expect(remediation).toMatchObject({ emergencyBackup: true, alert: true });
    expect(remediation.reasons).toEqual(["model.BTCUSD: MODEL_MISSING", "model.XAGUSD: MODEL_STALE", "model.EURUSD: MODEL_DEGRADED"]);
  });

  it("asks for nothing about degraded findings outside its rules (backlog, dead tasks, error rates, account)", () => {
    const checks = [
      ...HEALTHY,
      check("queue.backlog", "degraded", "QUEUE_BACKLOG"),
      check("queue.training", "degraded", "TRAINING_BACKLOG"),
      check("queue.dead", "degraded", "DEAD_TASKS"),
      check("errors.tasks", "degraded", "TASK_ERROR_RATE"),
      check("errors.http", "degraded", "HTTP_ERROR_RATE"),
      check("account", "degraded", "ACCOUNT_NOT_ACTIVE"),
    ];
    expect(decideRemediation(checks)).toEqual({ emergencyBackup: false, retrain: [], alert: false, reasons: [] });
  });
});
