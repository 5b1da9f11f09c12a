/**
 * The health checks' judgments: from figures the Worker gathers (task backlog and failures, HTTP statuses, model
 * ages and live scores, what D1 and an instrument's Durable Object say is served) to a status, a finding code and a
 * sentence. Pure: time is a parameter.
 */
import type { CheckOutcome } from "../schemas/health.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Where the checks draw their lines. Every figure is documented with its unit. */
export interface HealthThresholds {
  /** A queue task runnable for longer than this without being claimed is late (degraded), ms. */
  readonly backlogDegradedMs: number;
  /** A queue task runnable for longer than this is critical: the consumer is not running, ms. */
  readonly backlogCriticalMs: number;
  /** This many late queue tasks at once are critical too. */
  readonly backlogCriticalCount: number;
  /** A training task waiting longer than this for a trainer daemon is degraded (no daemon claims), ms. */
  readonly trainingWaitDegradedMs: number;
  /** Window of the dead-task count, ms. */
  readonly deadWindowMs: number;
  /** Window of the error rates, ms. */
  readonly errorWindowMs: number;
  /** Finished tasks needed in the window before the task error rate is judged. */
  readonly taskErrorMinSample: number;
  /** Share of finished tasks failed or dead (0–1) from which the task error rate is degraded / critical. */
  readonly taskErrorDegradedShare: number;
  readonly taskErrorCriticalShare: number;
  /** Audited requests needed in the window before the HTTP error rate is judged. */
  readonly httpErrorMinSample: number;
  /** Share of audited requests answered 5xx (0–1) from which the HTTP error rate is degraded / critical. */
  readonly httpErrorDegradedShare: number;
  readonly httpErrorCriticalShare: number;
  /** A champion trained longer ago than this is stale (degraded), ms. */
  readonly championMaxAgeMs: number;
}

/** The platform's thresholds. */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
  // The sweeper re-sends a queued task's message after 10 minutes: 15 means that did not help either.
  backlogDegradedMs: 15 * MINUTE_MS,
  backlogCriticalMs: HOUR_MS,
  backlogCriticalCount: 100,
  trainingWaitDegradedMs: HOUR_MS,
  deadWindowMs: DAY_MS,
  errorWindowMs: HOUR_MS,
  taskErrorMinSample: 10,
  taskErrorDegradedShare: 0.2,
  taskErrorCriticalShare: 0.5,
  httpErrorMinSample: 20,
  httpErrorDegradedShare: 0.05,
  httpErrorCriticalShare: 0.25,
  championMaxAgeMs: 30 * DAY_MS,
});

/** "12 min", "3.5 h", "31 d": an age for a person. */
export function formatAge(ms: number): string {
  if (ms < HOUR_MS) return `${Math.round(ms / MINUTE_MS)} min`;
  if (ms < 2 * DAY_MS) return `${Math.round((ms / HOUR_MS) * 10) / 10} h`;
  return `${Math.round((ms / DAY_MS) * 10) / 10} d`;
}

function percent(share: number): string {
  return `${Math.round(share * 1_000) / 10} %`;
}

/** Queue tasks that are runnable (queued, run-after passed) and not claimed yet. */
export interface QueueBacklog {
  /** Runnable queue tasks. */
  readonly runnable: number;
  /** Of them, those runnable for longer than the degraded age. */
  readonly late: number;
  /** How long the oldest has been runnable, ms; null when none is. */
  readonly oldestWaitMs: number | null;
}

/**
 * Degraded when a queue task has waited longer than `backlogDegradedMs`; critical when one has waited longer than
 * `backlogCriticalMs` or `backlogCriticalCount` are late.
 * @example judgeQueueBacklog({ runnable: 3, late: 1, oldestWaitMs: 20 * 60_000 }).status // "degraded"
 */
export function judgeQueueBacklog(backlog: QueueBacklog, t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): CheckOutcome {
  const summary = `${backlog.runnable} runnable, ${backlog.late} waiting over ${formatAge(t.backlogDegradedMs)}`;
  if (backlog.oldestWaitMs === null || backlog.late === 0) return { status: "ok", detail: summary, code: null, symbol: null };
  const oldest = `oldest ${formatAge(backlog.oldestWaitMs)}`;
  const critical = backlog.oldestWaitMs > t.backlogCriticalMs || backlog.late >= t.backlogCriticalCount;
  return { status: critical ? "critical" : "degraded", detail: `${summary}; ${oldest}`, code: "QUEUE_BACKLOG", symbol: null };
}

/**
 * Training tasks wait for a Node trainer daemon to claim them: degraded when one has waited longer than
 * `trainingWaitDegradedMs` (no daemon is running, or none keeps up). Never critical: the platform trades on.
 */
export function judgeTrainingBacklog(waiting: number, oldestWaitMs: number | null, t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): CheckOutcome {
  if (waiting === 0 || oldestWaitMs === null) return { status: "ok", detail: "no training task waiting", code: null, symbol: null };
  const detail = `${waiting} training task(s) waiting for a trainer, oldest ${formatAge(oldestWaitMs)}`;
  if (oldestWaitMs <= t.trainingWaitDegradedMs) return { status: "ok", detail, code: null, symbol: null };
  return { status: "degraded", detail: `${detail}: is a trainer daemon running?`, code: "TRAINING_BACKLOG", symbol: null };
}

/** Degraded when any task went dead within the window (retries exhausted or dead-lettered). */
export function judgeDeadTasks(dead: number, byType: Readonly<Record<string, number>>, t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): CheckOutcome {
  const window = formatAge(t.deadWindowMs);
  if (dead === 0) return { status: "ok", detail: `no task went dead in the last ${window}`, code: null, symbol: null };
  const types = Object.entries(byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${type} ${count}`)
    .join(", ");
  return { status: "degraded", detail: `${dead} task(s) went dead in the last ${window} (${types})`, code: "DEAD_TASKS", symbol: null };
}

/**
 * Share of failures in the window: degraded / critical from the given shares, judged only once `minSample` were
 * counted (a single failure out of two is no trend).
 */
function judgeErrorRate(
  failed: number,
  total: number,
  limits: { minSample: number; degradedShare: number; criticalShare: number },
  words: { what: string; of: string; window: string },
  code: "TASK_ERROR_RATE" | "HTTP_ERROR_RATE",
): CheckOutcome {
  if (total === 0) return { status: "ok", detail: `no ${words.of} in the last ${words.window}`, code: null, symbol: null };
  const share = failed / total;
  const detail = `${failed} of ${total} ${words.of} ${words.what} in the last ${words.window} (${percent(share)})`;
  if (total < limits.minSample) return { status: "ok", detail: `${detail}; too few to judge (${limits.minSample} needed)`, code: null, symbol: null };
  if (share >= limits.criticalShare) return { status: "critical", detail, code, symbol: null };
  if (share >= limits.degradedShare) return { status: "degraded", detail, code, symbol: null };
  return { status: "ok", detail, code: null, symbol: null };
}

/** Tasks that finished in the window: failed or dead out of succeeded, failed and dead (cancelled ones do not count). */
export function judgeTaskErrorRate(failedOrDead: number, finished: number, t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): CheckOutcome {
  return judgeErrorRate(
    failedOrDead,
    finished,
    { minSample: t.taskErrorMinSample, degradedShare: t.taskErrorDegradedShare, criticalShare: t.taskErrorCriticalShare },
    { what: "failed or went dead", of: "finished tasks", window: formatAge(t.errorWindowMs) },
    "TASK_ERROR_RATE",
  );
}

/** State-changing requests in the audit log (every POST/PUT/PATCH/DELETE records its status): 5xx out of all. */
export function judgeHttpErrorRate(serverErrors: number, requests: number, t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): CheckOutcome {
  return judgeErrorRate(
    serverErrors,
    requests,
    { minSample: t.httpErrorMinSample, degradedShare: t.httpErrorDegradedShare, criticalShare: t.httpErrorCriticalShare },
    { what: "answered 5xx", of: "audited requests", window: formatAge(t.errorWindowMs) },
    "HTTP_ERROR_RATE",
  );
}

/** What the model check of one instrument knows. */
export interface ModelFacts {
  readonly symbol: string;
  /** The instrument's trading strategy, or null when it does not trade. */
  readonly strategy: "ema-cross" | "model" | null;
  /** The champion D1 records, or null. `trainedAtMs` is when its training finished (the manifest's createdAtMs). */
  readonly champion: { readonly version: string; readonly trainedAtMs: number } | null;
  /** Live monitoring of the served champion: degraded and why; null when no champion is served or scored. */
  readonly live: { readonly degraded: boolean; readonly reason: string } | null;
  readonly nowMs: number;
}

/**
 * Critical when the instrument trades the model strategy without a champion (MODEL_MISSING: it cannot trade);
 * degraded when live monitoring flags the champion (MODEL_DEGRADED) or it was trained longer ago than
 * `championMaxAgeMs` (MODEL_STALE). The code names the most serious finding; the detail lists all of them.
 * @example judgeModel({ symbol: "XAUUSD", strategy: "model", champion: null, live: null, nowMs }).code // "MODEL_MISSING"
 */
export function judgeModel(facts: ModelFacts, t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): CheckOutcome {
  const { symbol, champion } = facts;
  if (champion === null) {
    if (facts.strategy === "model") return { status: "critical", detail: "trades the model strategy but has no champion", code: "MODEL_MISSING", symbol };
    return { status: "ok", detail: `no champion (${facts.strategy === null ? "does not trade" : `strategy ${facts.strategy}`})`, code: null, symbol };
  }
  const ageMs = Math.max(0, facts.nowMs - champion.trainedAtMs);
  const findings: string[] = [];
  let code: CheckOutcome["code"] = null;
  if (facts.live?.degraded === true) {
    findings.push(`live degradation: ${facts.live.reason}`);
    code = "MODEL_DEGRADED";
  }
  if (ageMs > t.championMaxAgeMs) {
    findings.push(`trained ${formatAge(ageMs)} ago, over ${formatAge(t.championMaxAgeMs)}`);
    code ??= "MODEL_STALE";
  }
  const head = `champion ${champion.version}`;
  if (code === null) return { status: "ok", detail: `${head}, trained ${formatAge(ageMs)} ago; ${facts.live?.reason ?? "not scored live yet"}`, code: null, symbol };
  return { status: "degraded", detail: `${head}: ${findings.join("; ")}`, code, symbol };
}

/**
 * Critical when the champion the instrument's Durable Object serves is not the one D1 records (a registry change
 * whose compensation failed): signals and trades come from a model the catalogue does not show.
 * @example judgeServing("XAUUSD", "v2", "v1").code // "SERVING_DIVERGED"
 */
export function judgeServing(symbol: string, recordedChampion: string | null, servedChampion: string | null): CheckOutcome {
  const name = (version: string | null) => version ?? "none";
  if (recordedChampion === servedChampion) {
    return { status: "ok", detail: recordedChampion === null ? "no champion recorded or served" : `serves ${recordedChampion}, as recorded`, code: null, symbol };
  }
  return {
    status: "critical",
    detail: `D1 records champion ${name(recordedChampion)} but the instrument serves ${name(servedChampion)}`,
    code: "SERVING_DIVERGED",
    symbol,
  };
}
