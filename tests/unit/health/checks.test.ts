/** The health checks' judgments: each status boundary of each check, and the finding codes remediation reads. */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_HEALTH_THRESHOLDS as T,
  formatAge,
  judgeDeadTasks,
  judgeHttpErrorRate,
  judgeModel,
  judgeQueueBacklog,
  judgeServing,
  judgeTaskErrorRate,
  judgeTrainingBacklog,
} from "../../../core/health/checks.js";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 10, 20, 12, 0);

describe("formatAge", () => {
  it("uses minutes below an hour, hours below two days, days beyond", () => {
    expect(formatAge(12 * MINUTE_MS)).toBe("12 min");
    expect(formatAge(3.5 * 60 * MINUTE_MS)).toBe("3.5 h");
    expect(formatAge(31 * DAY_MS)).toBe("31 d");
  });
});

describe("judgeQueueBacklog", () => {
  it("is ok while no runnable task waits longer than the degraded age", () => {
    expect(judgeQueueBacklog({ runnable: 0, late: 0, oldestWaitMs: null })).toMatchObject({ status: "ok", code: null });
    expect(judgeQueueBacklog({ runnable: 4, late: 0, oldestWaitMs: T.backlogDegradedMs })).toMatchObject({ status: "ok", detail: "4 runnable, 0 waiting over 15 min" });
  });

  it("is degraded with a late task and critical past the critical age or count", () => {
    expect(judgeQueueBacklog({ runnable: 3, late: 1, oldestWaitMs: 20 * MINUTE_MS })).toEqual({
      status: "degraded",
      detail: "3 runnable, 1 waiting over 15 min; oldest 20 min",
      code: "QUEUE_BACKLOG",
      symbol: null,
    });
    expect(judgeQueueBacklog({ runnable: 3, late: 1, oldestWaitMs: T.backlogCriticalMs + 1 }).status).toBe("critical");
    expect(judgeQueueBacklog({ runnable: 150, late: T.backlogCriticalCount, oldestWaitMs: 20 * MINUTE_MS }).status).toBe("critical");
    expect(judgeQueueBacklog({ runnable: 150, late: T.backlogCriticalCount - 1, oldestWaitMs: 20 * MINUTE_MS }).status).toBe("degraded");
  });
});

describe("judgeTrainingBacklog", () => {
  it("is ok while training tasks wait less than the limit, degraded (never critical) beyond", () => {
    expect(judgeTrainingBacklog(0, null)).toMatchObject({ status: "ok", detail: "no training task waiting" });
    expect(judgeTrainingBacklog(2, T.trainingWaitDegradedMs).status).toBe("ok");
    expect(judgeTrainingBacklog(2, T.trainingWaitDegradedMs + MINUTE_MS)).toMatchObject({ status: "degraded", code: "TRAINING_BACKLOG" });
    expect(judgeTrainingBacklog(2, 30 * DAY_MS).status).toBe("degraded");
  });
});

describe("judgeDeadTasks", () => {
  it("is ok without dead tasks and degraded with any, naming their types", () => {
    expect(judgeDeadTasks(0, {})).toMatchObject({ status: "ok", detail: "no task went dead in the last 24 h" });
    expect(judgeDeadTasks(3, { notification: 1, data_backup: 2 })).toEqual({
      status: "degraded",
      detail: "3 task(s) went dead in the last 24 h (data_backup 2, notification 1)",
      code: "DEAD_TASKS",
      symbol: null,
    });
  });
});

describe("error rates", () => {
  it("judge the task error rate only from the minimum sample, then by share", () => {
    expect(judgeTaskErrorRate(0, 0)).toMatchObject({ status: "ok", detail: "no finished tasks in the last 1 h" });
    expect(judgeTaskErrorRate(9, 9)).toMatchObject({ status: "ok", code: null });
    expect(judgeTaskErrorRate(1, 10)).toMatchObject({ status: "ok", detail: "1 of 10 finished tasks failed or went dead in the last 1 h (10 %)" });
    expect(judgeTaskErrorRate(2, 10)).toMatchObject({ status: "degraded", code: "TASK_ERROR_RATE" });
    expect(judgeTaskErrorRate(5, 10)).toMatchObject({ status: "critical", code: "TASK_ERROR_RATE" });
  });

  it("judge the HTTP 5xx rate of audited requests the same way with its own limits", () => {
    expect(judgeHttpErrorRate(19, 19).status).toBe("ok");
    expect(judgeHttpErrorRate(0, 40)).toMatchObject({ status: "ok", detail: "0 of 40 audited requests answered 5xx in the last 1 h (0 %)" });
    expect(judgeHttpErrorRate(2, 40)).toMatchObject({ status: "degraded", code: "HTTP_ERROR_RATE" });
    expect(judgeHttpErrorRate(10, 40)).toMatchObject({ status: "critical", code: "HTTP_ERROR_RATE" });
  });
});

describe("judgeModel", () => {
  const fresh = { version: "XAUUSD-v2", trainedAtMs: NOW_MS - 2 * DAY_MS };
  const healthy = { degraded: false, reason: "healthy: live log-loss 0.69 vs held-out 0.69" };

  it("is critical for a model-trading instrument without a champion, ok for others without one", () => {
    expect(judgeModel({ symbol: "XAUUSD", strategy: "model", champion: null, live: null, nowMs: NOW_MS })).toEqual({
      status: "critical",
      detail: "trades the model strategy but has no champion",
      code: "MODEL_MISSING",
      symbol: "XAUUSD",
    });
    expect(judgeModel({ symbol: "XAUUSD", strategy: "ema-cross", champion: null, live: null, nowMs: NOW_MS })).toMatchObject({ status: "ok", detail: "no champion (strategy ema-cross)" });
    expect(judgeModel({ symbol: "EURUSD", strategy: null, champion: null, live: null, nowMs: NOW_MS })).toMatchObject({ status: "ok", detail: "no champion (does not trade)" });
  });

  it("is ok for a young, healthy champion and degraded once it is older than the limit", () => {
    expect(judgeModel({ symbol: "XAUUSD", strategy: "model", champion: fresh, live: healthy, nowMs: NOW_MS })).toEqual({
      status: "ok",
      detail: "champion XAUUSD-v2, trained 2 d ago; healthy: live log-loss 0.69 vs held-out 0.69",
      code: null,
      symbol: "XAUUSD",
    });
    const old = { version: "XAUUSD-v1", trainedAtMs: NOW_MS - T.championMaxAgeMs - DAY_MS };
    expect(judgeModel({ symbol: "XAUUSD", strategy: "model", champion: old, live: null, nowMs: NOW_MS })).toEqual({
      status: "degraded",
      detail: "champion XAUUSD-v1: trained 31 d ago, over 30 d",
      code: "MODEL_STALE",
      symbol: "XAUUSD",
    });
    expect(judgeModel({ symbol: "XAUUSD", strategy: "model", champion: { ...old, trainedAtMs: NOW_MS - T.championMaxAgeMs }, live: null, nowMs: NOW_MS }).status).toBe("ok");
  });

  it("is degraded when live monitoring flags the champion, naming that first when it is also stale", () => {
    const flagged = { degraded: true, reason: "degraded: live log-loss 0.75 vs held-out 0.69" };
    expect(judgeModel({ symbol: "XAUUSD", strategy: "ema-cross", champion: fresh, live: flagged, nowMs: NOW_MS })).toMatchObject({ status: "degraded", code: "MODEL_DEGRADED" });
    const both = judgeModel({ symbol: "XAUUSD", strategy: "model", champion: { ...fresh, trainedAtMs: NOW_MS - 40 * DAY_MS }, live: flagged, nowMs: NOW_MS });
    expect(both).toEqual({
      status: "degraded",
      detail: "champion XAUUSD-v2: live degradation: degraded: live log-loss 0.75 vs held-out 0.69; trained 40 d ago, over 30 d",
      code: "MODEL_DEGRADED",
      symbol: "XAUUSD",
    });
  });
});

describe("judgeServing", () => {
  it("is ok when the served champion is the recorded one (or neither exists)", () => {
    expect(judgeServing("XAUUSD", "v1", "v1")).toEqual({ status: "ok", detail: "serves v1, as recorded", code: null, symbol: "XAUUSD" });
    expect(judgeServing("XAUUSD", null, null)).toMatchObject({ status: "ok", detail: "no champion recorded or served" });
  });

  it("is critical when they differ in either direction", () => {
    expect(judgeServing("XAUUSD", "v2", "v1")).toEqual({
      status: "critical",
      detail: "D1 records champion v2 but the instrument serves v1",
      code: "SERVING_DIVERGED",
      symbol: "XAUUSD",
    });
    expect(judgeServing("XAUUSD", "v2", null).detail).toBe("D1 records champion v2 but the instrument serves none");
    expect(judgeServing("XAUUSD", null, "v1").status).toBe("critical");
  });
});
