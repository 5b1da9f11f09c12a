/**
 * The Tasks page: the queue by status and type (refreshed every 5 s), counts per status and the live backlog, task
 * analytics (success rates, attempts, run times, failure classes), a task's detail with its event trail, retry and
 * cancel, and forms that start the tasks worth starting by hand. Everything goes through the task API; only admins
 * (whom the API lets create, retry and cancel) see the controls.
 */
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { formatDuration, formatNumber, formatUtc } from "../../../core/display/format.js";
import { MODEL_KINDS } from "../../../core/ml/manifest.js";
import { MAX_HORIZON_BARS } from "../../../core/ml/labels.js";
import { SymbolSchema } from "../../../core/schemas/common.js";
import {
  isTerminal,
  ModelTrainingPayloadSchema,
  SystemCleanupPayloadSchema,
  TASK_STATUSES,
  TASK_TYPES,
  TaskAnalyticsSchema,
  TaskDetailSchema,
  TaskLeaseAnswerSchema,
  TaskPageSchema,
  TaskStatusSchema,
  TaskTypeSchema,
  type TaskAnalytics,
  type TaskEvent,
  type TaskRecord,
  type TaskStatus,
  type TaskType,
} from "../../../core/schemas/tasks.js";
import type { Principal, Requirement } from "../../auth/roles.js";
import { allows } from "../../http/access.js";
import { withQuery, type ApiFailure, type ApiResult } from "../api-client.js";
import { ActionFailed, Age, Field, FilterSelect, FormProblems, Loaded, Notice, Num, Panel, Pct, ResultRegion, Stat, Table, Time, validationIssues, ValueBadge, type Tone } from "../components.js";
import type { DashboardContext } from "../page-access.js";
import { render, symbolsOf, type Pages } from "../pages.js";

const READ: Requirement = { role: "viewer", scope: "read" };
/** The task API's rule for creating, retrying and cancelling (workers/api/tasks.ts). */
const MANAGE: Requirement = { role: "admin" };

const CREATE_KEY = "POST /api/v1/tasks";
const RETRY_KEY = "POST /api/v1/tasks/{id}/retry";
const CANCEL_KEY = "POST /api/v1/tasks/{id}/cancel";

/** The htmx event an action sends so that the queue, the analytics and a task's detail reload. */
const TASKS_CHANGED = "tasks-changed";
const RESULT_ID = "tasks-result";
/** Tasks per page of the queue. */
const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;
/** How often the queue reloads while the page is open. */
const QUEUE_REFRESH = "every 5s";
/** The analytics windows offered, days. */
const WINDOWS = { "1": "24 h", "7": "7 days", "30": "30 days" } as const;
type WindowDays = keyof typeof WINDOWS;

/** Route pattern of a task id (no nested braces: the access table reads the path); the API checks the full form. */
const TASK_ID_PATTERN = "tsk_[0-9a-f]+";

// ---------------------------------------------------------------------------------------------------------------
// Inputs

const QueueFilterSchema = z.object({
  status: TaskStatusSchema.optional().catch(undefined),
  type: TaskTypeSchema.optional().catch(undefined),
  before: z.string().regex(/^\d{1,15}:tsk_[0-9a-f]{32}$/).optional().catch(undefined),
  days: z.enum(["1", "7", "30"]).default("7").catch("7"),
});
type QueueFilter = z.output<typeof QueueFilterSchema>;

const queueFilter = (c: DashboardContext): QueueFilter => QueueFilterSchema.parse(c.req.query());

/** The `{id}` of a task route; the API answers 400 when it is not a well-formed task id. */
const taskIdOf = (c: DashboardContext): string => c.req.param("id") ?? "";

function queueQuery(filter: QueueFilter, change: Partial<QueueFilter> = {}): string {
  const next = { ...filter, ...change };
  return withQuery("", { status: next.status, type: next.type, before: next.before, days: next.days === "7" ? undefined : next.days });
}

const sinceOf = (days: WindowDays, nowMs: number): number => nowMs - Number(days) * DAY_MS;

const checkbox = z
  .literal("on")
  .optional()
  .transform((value) => value === "on");
const optionalText = z
  .string()
  .trim()
  .max(500, "at most 500 characters")
  .optional()
  .transform((value) => (value === "" ? undefined : value));
const wholeNumber = (label: string, min: number, max: number) =>
  z.coerce.number({ message: `${label}: a number` }).int(`${label}: a whole number`).min(min, `${label}: at least ${min}`).max(max, `${label}: at most ${max}`);
/** A `datetime-local` value read as UTC (the form says so), to epoch ms. */
const utcDateTime = (label: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, `${label}: a date and time`)
    .transform((value) => Date.parse(`${value}Z`))
    .refine((ms) => Number.isFinite(ms), `${label}: a real date`);
const symbolList = z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(SymbolSchema).max(50));

/** The forms of the task types worth starting by hand, each turned into the type's payload. */
const CREATE_FORMS = {
  health_check: z.object({}).transform(() => ({ trigger: "api" })),
  data_backup: z
    .object({ kind: z.enum(["manual", "emergency"]), includeModels: checkbox, reason: optionalText })
    .transform(({ reason, ...rest }) => ({ ...rest, ...(reason === undefined ? {} : { reason }) })),
  model_evaluation: z.object({ symbols: symbolList }).transform(({ symbols }) => (symbols.length === 0 ? {} : { symbols })),
  system_cleanup: z.object({
    taskRetentionDays: wholeNumber("Task retention", 1, 3_650),
    healthRetentionDays: wholeNumber("Health history retention", 1, 3_650),
    auditRetentionDays: wholeNumber("Audit log retention", 1, 3_650),
    notificationRetentionDays: wholeNumber("Notification retention", 1, 3_650),
    dryRun: checkbox,
  }),
  database_maintenance: z.object({ integrityCheck: checkbox }),
  model_training: z.object({
    symbol: SymbolSchema,
    model: z.enum(MODEL_KINDS),
    horizonBars: wholeNumber("Horizon", 1, MAX_HORIZON_BARS),
    trials: wholeNumber("Trials", 1, 200),
    deploy: checkbox,
    reason: z.string().trim().min(1, "say why it trains").max(500),
  }),
  backtest: z
    .object({ symbol: SymbolSchema, from: utcDateTime("From"), to: utcDateTime("To"), initialBalanceUsd: z.coerce.number().positive("Initial balance: more than 0").max(1e12) })
    .transform(({ symbol, from, to, initialBalanceUsd }) => ({ symbol, fromMs: from, toMs: to, initialBalanceUsd })),
} as const satisfies Partial<Record<TaskType, z.ZodType>>;
type ManualTaskType = keyof typeof CREATE_FORMS;
const MANUAL_TYPES = Object.keys(CREATE_FORMS) as ManualTaskType[];
const ManualTypeSchema = z.enum(MANUAL_TYPES as [ManualTaskType, ...ManualTaskType[]]);

const CancelFormSchema = z.object({ reason: optionalText });

// ---------------------------------------------------------------------------------------------------------------
// Small pieces

const STATUS_TONES: Record<TaskStatus, Tone> = {
  pending: "neutral",
  queued: "info",
  running: "info",
  succeeded: "ok",
  failed: "bad",
  dead: "bad",
  cancelled: "warn",
};

const TYPE_LABELS: Record<TaskType, string> = {
  model_training: "Model training",
  model_deploy: "Model deploy",
  model_evaluation: "Model evaluation",
  data_backup: "Data backup",
  health_check: "Health check",
  system_cleanup: "System cleanup",
  database_maintenance: "Database maintenance",
  backtest: "Backtest",
  notification: "Notification",
};

function TaskLink(props: { id: string }) {
  return (
    <a href={`/tasks/${props.id}`} title={props.id}>
      <code>{props.id.slice(0, 12)}…</code>
    </a>
  );
}

/** How long it ran, or where it stands in time. */
function Timing(props: { task: TaskRecord; nowMs: number }) {
  const t = props.task;
  if (t.status === "running" && t.startedAtMs !== null) {
    return (
      <>
        started <Age ms={t.startedAtMs} nowMs={props.nowMs} />
      </>
    );
  }
  if (t.startedAtMs !== null && t.finishedAtMs !== null) return <span class="num">{formatDuration(t.finishedAtMs - t.startedAtMs)}</span>;
  if ((t.status === "queued" || t.status === "pending") && t.runAfterMs > props.nowMs) {
    return (
      <>
        due <Time ms={t.runAfterMs} />
      </>
    );
  }
  if (t.status === "pending") return <span class="muted">waits for dependencies</span>;
  if (t.status === "queued") return <span class="muted">{t.type === "model_training" ? "waits for a trainer" : "waiting"}</span>;
  return <span class="muted">—</span>;
}

function Json(props: { value: unknown }) {
  return <pre class="json">{JSON.stringify(props.value, null, 2)}</pre>;
}

/** An action the API refused or failed, with the field errors it names. */
function failed(c: DashboardContext, failure: ApiFailure, what: string) {
  const issues = validationIssues(failure).map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`));
  return c.html(
    <>
      <ActionFailed failure={failure} what={what} />
      {issues.length > 0 ? (
        <ul class="issues">
          {issues.map((issue) => (
            <li>{issue}</li>
          ))}
        </ul>
      ) : null}
    </>,
    failure.status as ContentfulStatusCode,
  );
}

function changed(c: DashboardContext, body: Child) {
  c.header("HX-Trigger", TASKS_CHANGED);
  return c.html(<>{body}</>);
}

// ---------------------------------------------------------------------------------------------------------------
// Queue

function QueueFilters(props: { filter: QueueFilter }) {
  return (
    <form method="get" action="/tasks" class="toolbar" aria-label="Filter the queue">
      <FilterSelect label="Status" id="queue-status" name="status" value={props.filter.status} any="Any status" options={TASK_STATUSES} />
      <FilterSelect label="Type" id="queue-type" name="type" value={props.filter.type} any="Any type" options={TASK_TYPES} optionLabel={(type) => TYPE_LABELS[type]} />
      <input type="hidden" name="days" value={props.filter.days} />
      <button type="submit" class="button">
        Show tasks
      </button>
    </form>
  );
}

/** Counts per status over the analytics window (each a filter link) and the live backlog. */
function StatusCounts(props: { analytics: ApiResult<TaskAnalytics>; filter: QueueFilter; nowMs: number }) {
  return (
    <Loaded
      result={props.analytics}
      what="the task counts"
      ok={(analytics) => (
        <>
          <nav aria-label={`Tasks created in the last ${WINDOWS[props.filter.days]}, by status`}>
            <ul class="status-counts">
              <li>
                <a href={`/tasks${queueQuery(props.filter, { status: undefined, before: undefined })}`} aria-current={props.filter.status === undefined ? "true" : undefined}>
                  all <strong>{formatNumber(analytics.total, 0)}</strong>
                </a>
              </li>
              {TASK_STATUSES.map((status) => (
                <li>
                  <a href={`/tasks${queueQuery(props.filter, { status, before: undefined })}`} aria-current={props.filter.status === status ? "true" : undefined}>
                    {status} <strong>{formatNumber(analytics.byStatus[status] ?? 0, 0)}</strong>
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <p class="hint">
            Counts of the tasks created in the last {WINDOWS[props.filter.days]}. Waiting now: {analytics.backlog.pending} pending, {analytics.backlog.queued} queued,{" "}
            {analytics.backlog.running} running
            {analytics.backlog.oldestQueuedAgeMs === null ? "" : `; the oldest queued task was created ${formatDuration(analytics.backlog.oldestQueuedAgeMs)} ago`}.
          </p>
        </>
      )}
    />
  );
}

function TaskActions(props: { task: TaskRecord; principal: Principal | undefined; compact?: boolean }) {
  const { task, principal } = props;
  const canRetry = allows(principal, RETRY_KEY) && (task.status === "failed" || task.status === "dead" || task.status === "cancelled");
  const canCancel = allows(principal, CANCEL_KEY) && !isTerminal(task.status);
  const label = `${TYPE_LABELS[task.type].toLowerCase()} task ${task.id}`;
  return (
    <div class="actions task-actions">
      {canRetry ? (
        <form hx-post={`/tasks/${task.id}/retry`} hx-target={`#${RESULT_ID}`} hx-swap="innerHTML" hx-confirm={`Run the ${label} again with a fresh attempt budget?`}>
          <button type="submit" class="button">
            Retry
          </button>
        </form>
      ) : null}
      {canCancel ? (
        <form hx-post={`/tasks/${task.id}/cancel`} hx-target={`#${RESULT_ID}`} hx-swap="innerHTML" hx-confirm={`Cancel the ${label}? ${task.status === "running" ? "Its run goes on, but its result is discarded." : "It will not run."}`}>
          {props.compact ? null : (
            <Field label="Reason (optional)" for={`cancel-reason-${task.id}`}>
              <input id={`cancel-reason-${task.id}`} name="reason" maxlength={500} autocomplete="off" />
            </Field>
          )}
          <button type="submit" class="button button-danger">
            Cancel
          </button>
        </form>
      ) : null}
    </div>
  );
}

function QueueTable(props: { page: z.output<typeof TaskPageSchema>; filter: QueueFilter; principal: Principal | undefined; nowMs: number }) {
  const withActions = allows(props.principal, RETRY_KEY) || allows(props.principal, CANCEL_KEY);
  const head = ["Task", "Type", "Status", "Priority", "Attempts", "Created", "Run time", "Created by", "Last error", ...(withActions ? ["Actions"] : [])];
  const filtered = props.filter.status !== undefined || props.filter.type !== undefined;
  return (
    <>
      <Table
        caption="Tasks, newest first"
        head={head}
        numeric={[3, 4]}
        empty={filtered ? "No tasks match these filters." : "No tasks yet. The cron triggers create health checks, backups and evaluations; admins can start one below."}
        rows={props.page.tasks.map((task) => (
          <tr>
            <td>
              <TaskLink id={task.id} />
            </td>
            <td>{TYPE_LABELS[task.type]}</td>
            <td>
              <ValueBadge value={task.status} tones={STATUS_TONES} />
            </td>
            <td class="num">{task.priority}</td>
            <td class="num">
              {task.attempts} / {task.maxAttempts}
            </td>
            <td>
              <Time ms={task.createdAtMs} />
            </td>
            <td>
              <Timing task={task} nowMs={props.nowMs} />
            </td>
            <td>{task.createdBy}</td>
            <td>{task.error ? `${task.error.class}: ${task.error.message.slice(0, 120)}` : <span class="muted">—</span>}</td>
            {withActions ? (
              <td>
                <TaskActions task={task} principal={props.principal} compact />
              </td>
            ) : null}
          </tr>
        ))}
      />
      <nav class="pager" aria-label="Queue pages">
        {props.filter.before !== undefined ? <a href={`/tasks${queueQuery(props.filter, { before: undefined })}`}>Newest tasks</a> : null}
        {props.page.nextBefore !== null ? <a href={`/tasks${queueQuery(props.filter, { before: props.page.nextBefore })}`}>Older tasks</a> : null}
      </nav>
    </>
  );
}

/** Counts and the list, reloaded every 5 s and after every action. */
function QueueSection(props: { tasks: ApiResult<z.output<typeof TaskPageSchema>>; analytics: ApiResult<TaskAnalytics>; filter: QueueFilter; principal: Principal | undefined; nowMs: number }) {
  return (
    <div id="task-queue" hx-get={`/tasks/rows${queueQuery(props.filter)}`} hx-trigger={`${QUEUE_REFRESH}, ${TASKS_CHANGED} from:body`} hx-swap="outerHTML">
      <StatusCounts analytics={props.analytics} filter={props.filter} nowMs={props.nowMs} />
      <Loaded result={props.tasks} what="the task queue" ok={(page) => <QueueTable page={page} filter={props.filter} principal={props.principal} nowMs={props.nowMs} />} />
      <p class="hint">
        Updated <Age ms={props.nowMs} nowMs={props.nowMs} />; refreshes every 5 s.
      </p>
    </div>
  );
}

function loadQueue(c: DashboardContext, filter: QueueFilter, nowMs: number) {
  const api = c.get("api");
  return Promise.all([
    api.get("/api/v1/tasks", TaskPageSchema, { status: filter.status, type: filter.type, before: filter.before, limit: PAGE_SIZE }),
    api.get("/api/v1/tasks/analytics", TaskAnalyticsSchema, { since: sinceOf(filter.days, nowMs) }),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Analytics

function AnalyticsSection(props: { analytics: ApiResult<TaskAnalytics>; filter: QueueFilter }) {
  return (
    <div id="task-analytics" hx-get={`/tasks/analytics${queueQuery({ ...props.filter, status: undefined, type: undefined, before: undefined })}`} hx-trigger={`every 30s, ${TASKS_CHANGED} from:body`} hx-swap="outerHTML">
      <nav class="toolbar" aria-label="Analytics window">
        {(Object.keys(WINDOWS) as WindowDays[]).map((days) => (
          <a class={days === props.filter.days ? "button button-primary" : "button button-quiet"} href={`/tasks${queueQuery(props.filter, { days, before: undefined })}`} aria-current={days === props.filter.days ? "true" : undefined}>
            Last {WINDOWS[days]}
          </a>
        ))}
      </nav>
      <Loaded result={props.analytics} what="the task analytics" ok={(analytics) => <AnalyticsBody analytics={analytics} />} />
    </div>
  );
}

function AnalyticsBody(props: { analytics: TaskAnalytics }) {
  const a = props.analytics;
  const ended = (a.byStatus.succeeded ?? 0) + (a.byStatus.failed ?? 0) + (a.byStatus.dead ?? 0);
  const retried = a.byType.reduce((sum, type) => sum + type.attempts.retried, 0);
  const failedAttempts = a.byType.reduce((sum, type) => sum + (type.failures.retryable ?? 0) + (type.failures.permanent ?? 0) + (type.failures.timeout ?? 0), 0);
  return (
    <>
      <dl class="stats">
        <Stat label="Tasks created" hint="since the window's start">
          <Num value={a.total} decimals={0} />
        </Stat>
        <Stat label="Success rate" hint="succeeded of those that ran to an end">
          <Pct fraction={ended === 0 ? null : (a.byStatus.succeeded ?? 0) / ended} decimals={1} />
        </Stat>
        <Stat label="Tasks retried" hint="needed more than one attempt">
          <Num value={retried} decimals={0} />
        </Stat>
        <Stat label="Failed attempts">
          <Num value={failedAttempts} decimals={0} />
        </Stat>
        <Stat label="Backlog now" hint={`${a.backlog.pending} pending, ${a.backlog.running} running`}>
          <Num value={a.backlog.queued} decimals={0} unit="queued" />
        </Stat>
        <Stat label="Oldest queued">{a.backlog.oldestQueuedAgeMs === null ? <span class="muted">none queued</span> : formatDuration(a.backlog.oldestQueuedAgeMs)}</Stat>
      </dl>
      <h3>By type</h3>
      <Table
        caption={`Task analytics by type, tasks created since ${formatUtc(a.sinceMs)}`}
        head={["Type", "Tasks", "Succeeded", "Failed or dead", "Cancelled", "Success rate", "Attempts", "Retried", "Run time p50", "Run time p95", "Run time max", "Failed attempts: retryable / permanent / timeout"]}
        numeric={[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}
        empty="No tasks were created in this window."
        rows={a.byType.map((type) => (
          <tr>
            <th scope="row">{TYPE_LABELS[type.type]}</th>
            <td class="num">{type.total}</td>
            <td class="num">{type.byStatus.succeeded ?? 0}</td>
            <td class="num">{(type.byStatus.failed ?? 0) + (type.byStatus.dead ?? 0)}</td>
            <td class="num">{type.byStatus.cancelled ?? 0}</td>
            <td class="num">
              <Pct fraction={type.successRate} decimals={1} />
            </td>
            <td class="num">{type.attempts.total}</td>
            <td class="num">{type.attempts.retried}</td>
            <td class="num">{formatDuration(type.durationMs.p50)}</td>
            <td class="num">{formatDuration(type.durationMs.p95)}</td>
            <td class="num">{formatDuration(type.durationMs.max)}</td>
            <td class="num">
              {type.failures.retryable ?? 0} / {type.failures.permanent ?? 0} / {type.failures.timeout ?? 0}
            </td>
          </tr>
        ))}
      />
      <p class="hint">Run times are of succeeded tasks' last attempt, start to finish; a dash means none succeeded in the window.</p>
    </>
  );
}

function loadAnalytics(c: DashboardContext, filter: QueueFilter, nowMs: number) {
  return c.get("api").get("/api/v1/tasks/analytics", TaskAnalyticsSchema, { since: sinceOf(filter.days, nowMs) });
}

// ---------------------------------------------------------------------------------------------------------------
// Starting tasks by hand

function CreateForm(props: { type: ManualTaskType; confirm: string; summary: string; children?: Child }) {
  return (
    <details class="create-task">
      <summary>{TYPE_LABELS[props.type]}</summary>
      <form hx-post="/tasks" hx-target={`#${RESULT_ID}`} hx-swap="innerHTML" hx-confirm={props.confirm}>
        <input type="hidden" name="type" value={props.type} />
        <p class="hint">{props.summary}</p>
        {props.children ? <div class="form-grid">{props.children}</div> : null}
        <div class="actions">
          <button type="submit" class="button button-primary">
            Start {TYPE_LABELS[props.type].toLowerCase()}
          </button>
        </div>
      </form>
    </details>
  );
}

function Check(props: { id: string; name: string; label: string; checked: boolean; value?: string }) {
  return (
    <div class="check">
      <input id={props.id} type="checkbox" name={props.name} value={props.value ?? "on"} checked={props.checked} />
      <label for={props.id}>{props.label}</label>
    </div>
  );
}

function SymbolSelect(props: { id: string; symbols: readonly string[] }) {
  return (
    <select id={props.id} name="symbol" required>
      {props.symbols.map((symbol) => (
        <option value={symbol}>{symbol}</option>
      ))}
    </select>
  );
}

function CreateForms(props: { symbols: readonly string[]; nowMs: number }) {
  const cleanup = SystemCleanupPayloadSchema.parse({});
  const first = props.symbols[0];
  const training = first === undefined ? undefined : ModelTrainingPayloadSchema.parse({ symbol: first });
  const dayStart = new Date(props.nowMs - DAY_MS).toISOString().slice(0, 11);
  return (
    <div class="create-forms">
      <CreateForm type="health_check" confirm="Run a health check now?" summary="Checks D1, both R2 buckets, the trading state, the task queue, error rates and each instrument's feed and model, and stores the report in the health history." />
      <CreateForm type="data_backup" confirm="Start a data backup now?" summary="Backs up the database (and the model files), then keeps the newest completed backups and deletes older ones; the Backups page lists it.">
        <Field label="Kind" for="backup-kind">
          <select id="backup-kind" name="kind">
            <option value="manual">manual</option>
            <option value="emergency">emergency</option>
          </select>
        </Field>
        <Check id="backup-models" name="includeModels" label="Include model files (ONNX and manifests)" checked />
        <Field label="Reason (optional)" for="backup-reason">
          <input id="backup-reason" name="reason" maxlength={500} autocomplete="off" />
        </Field>
      </CreateForm>
      <CreateForm type="model_evaluation" confirm="Evaluate the served champions now?" summary="Scores each champion's live outcomes against its held-out scores; a degraded champion gets a retraining task.">
        <fieldset class="symbols">
          <legend>Instruments (none ticked: every instrument)</legend>
          {props.symbols.map((symbol) => (
            <Check id={`evaluate-${symbol}`} name="symbols" value={symbol} label={symbol} checked={false} />
          ))}
        </fieldset>
      </CreateForm>
      <CreateForm type="system_cleanup" confirm="Run the system cleanup? Without a dry run, old records are deleted for good." summary="Deletes finished tasks, health history, audit entries and notification records older than these retention periods.">
        <Field label="Keep finished tasks (days)" for="cleanup-tasks">
          <input id="cleanup-tasks" name="taskRetentionDays" type="number" min={1} max={3650} step={1} required value={String(cleanup.taskRetentionDays)} />
        </Field>
        <Field label="Keep health history (days)" for="cleanup-health">
          <input id="cleanup-health" name="healthRetentionDays" type="number" min={1} max={3650} step={1} required value={String(cleanup.healthRetentionDays)} />
        </Field>
        <Field label="Keep audit log (days)" for="cleanup-audit">
          <input id="cleanup-audit" name="auditRetentionDays" type="number" min={1} max={3650} step={1} required value={String(cleanup.auditRetentionDays)} />
        </Field>
        <Field label="Keep notification records (days)" for="cleanup-notifications">
          <input id="cleanup-notifications" name="notificationRetentionDays" type="number" min={1} max={3650} step={1} required value={String(cleanup.notificationRetentionDays)} />
        </Field>
        <Check id="cleanup-dry-run" name="dryRun" label="Dry run: only count what would be deleted" checked />
      </CreateForm>
      <CreateForm type="database_maintenance" confirm="Run database maintenance now?" summary="Refreshes the query planner's statistics (PRAGMA optimize), reports row counts and the database size and, if ticked, checks integrity and foreign keys.">
        <Check id="maintenance-integrity" name="integrityCheck" label="Check integrity (PRAGMA quick_check and foreign_key_check)" checked />
      </CreateForm>
      {training === undefined ? null : (
        <CreateForm type="model_training" confirm="Queue a training run? A trainer daemon picks it up; it may take a while." summary="Waits for a trainer daemon to claim it; the trained model is uploaded to the registry and, if ticked and the promotion gate agrees, deployed.">
          <Field label="Instrument" for="training-symbol">
            <SymbolSelect id="training-symbol" symbols={props.symbols} />
          </Field>
          <Field label="Algorithm" for="training-model">
            <select id="training-model" name="model">
              {MODEL_KINDS.map((kind) => (
                <option value={kind} selected={kind === training.model}>
                  {kind}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Label horizon (bars)" for="training-horizon">
            <input id="training-horizon" name="horizonBars" type="number" min={1} max={MAX_HORIZON_BARS} step={1} required value={String(training.horizonBars)} />
          </Field>
          <Field label="Search trials per family" for="training-trials">
            <input id="training-trials" name="trials" type="number" min={1} max={200} step={1} required value={String(training.trials)} />
          </Field>
          <Field label="Reason" for="training-reason">
            <input id="training-reason" name="reason" required maxlength={500} value="manual, from the dashboard" />
          </Field>
          <Check id="training-deploy" name="deploy" label="Deploy it if the promotion gate agrees" checked={training.deploy} />
        </CreateForm>
      )}
      {first === undefined ? null : (
        <CreateForm type="backtest" confirm="Start a backtest of this range?" summary="Backtests the instrument's stored M1 bars in the range with its trading configuration, the current risk limits and the champion signals it recorded; at most 14 days.">
          <Field label="Instrument" for="backtest-symbol">
            <SymbolSelect id="backtest-symbol" symbols={props.symbols} />
          </Field>
          <Field label="From (UTC)" for="backtest-from">
            <input id="backtest-from" name="from" type="datetime-local" required value={`${dayStart}00:00`} />
          </Field>
          <Field label="To (UTC)" for="backtest-to">
            <input id="backtest-to" name="to" type="datetime-local" required value={`${new Date(props.nowMs).toISOString().slice(0, 11)}00:00`} />
          </Field>
          <Field label="Initial balance (USD)" for="backtest-balance">
            <input id="backtest-balance" name="initialBalanceUsd" type="number" min={1} step="any" required value="100000" />
          </Field>
        </CreateForm>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Task detail

function EventRow(props: { event: TaskEvent }) {
  const e = props.event;
  return (
    <tr>
      <td>
        <Time ms={e.atMs} />
      </td>
      <td>
        <code>{e.kind}</code>
      </td>
      <td>
        {e.fromStatus ?? "—"} → {e.toStatus ?? "—"}
      </td>
      <td class="num">{e.attempt}</td>
      <td>{e.actor}</td>
      <td>{e.detail === null ? <span class="muted">—</span> : <code class="json">{JSON.stringify(e.detail)}</code>}</td>
    </tr>
  );
}

function TaskSummary(props: { task: TaskRecord; principal: Principal | undefined; nowMs: number }) {
  const t = props.task;
  return (
    <>
      <dl class="stats">
        <Stat label="Status">
          <ValueBadge value={t.status} tones={STATUS_TONES} />
        </Stat>
        <Stat label="Type">{TYPE_LABELS[t.type]}</Stat>
        <Stat label="Priority" hint="0 lowest, 9 highest">
          {t.priority}
        </Stat>
        <Stat label="Attempts">
          {t.attempts} / {t.maxAttempts}
        </Stat>
        <Stat label="Created" hint={`by ${t.createdBy}`}>
          <Time ms={t.createdAtMs} />
        </Stat>
        <Stat label="Run after">
          <Time ms={t.runAfterMs} />
        </Stat>
        <Stat label="Started (latest attempt)">
          <Time ms={t.startedAtMs} />
        </Stat>
        <Stat label="Finished">
          <Time ms={t.finishedAtMs} />
        </Stat>
        <Stat label="Run time">
          <Timing task={t} nowMs={props.nowMs} />
        </Stat>
        <Stat label="Timeout per attempt">{formatDuration(t.timeoutMs)}</Stat>
        <Stat label="Claimed by" hint={t.status === "running" && t.leaseExpiresAtMs !== null ? `lease until ${formatUtc(t.leaseExpiresAtMs)}` : undefined}>
          {t.leaseOwner ?? <span class="muted">not claimed</span>}
        </Stat>
        <Stat label="If a dependency fails">{t.dependencyPolicy}</Stat>
      </dl>
      <TaskActions task={t} principal={props.principal} />
    </>
  );
}

function TaskDetailBody(props: { detail: z.output<typeof TaskDetailSchema>; principal: Principal | undefined; nowMs: number }) {
  const { task, events } = props.detail;
  return (
    <div class="grid">
      <Panel title="Summary" id="task-summary" wide>
        <TaskSummary task={task} principal={props.principal} nowMs={props.nowMs} />
      </Panel>
      <Panel title="Payload" id="task-payload">
        <Json value={task.payload} />
        {task.dedupeKey ? <p class="hint">Deduplication key: {task.dedupeKey}</p> : null}
      </Panel>
      <Panel title="Result" id="task-result">
        {task.result === null ? <p class="muted">{isTerminal(task.status) ? "This task returned no result." : "No result yet."}</p> : <Json value={task.result} />}
      </Panel>
      {task.error ? (
        <Panel title="Last error" id="task-error">
          <dl class="facts">
            <dt>Class</dt>
            <dd>{task.error.class}</dd>
            <dt>Error</dt>
            <dd>
              {task.error.name}: {task.error.message}
            </dd>
            <dt>Attempt</dt>
            <dd>{task.error.attempt}</dd>
            <dt>Retry</dt>
            <dd>{task.error.willRetry ? `yes, after ${formatDuration((task.error.nextDelayS ?? 0) * 1000)}` : "no"}</dd>
          </dl>
        </Panel>
      ) : null}
      {task.dependsOn.length > 0 || task.parentTaskId !== null ? (
        <Panel title="Related tasks" id="task-related">
          {task.parentTaskId !== null ? (
            <p>
              Created by task <TaskLink id={task.parentTaskId} />
            </p>
          ) : null}
          {task.dependsOn.length > 0 ? (
            <>
              <p>Runs after:</p>
              <ul>
                {task.dependsOn.map((id) => (
                  <li>
                    <TaskLink id={id} />
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </Panel>
      ) : null}
      <Panel title="Event trail" id="task-events" wide>
        <Table
          caption="What happened to the task, oldest first"
          head={["When", "Event", "Status change", "Attempt", "By", "Detail"]}
          numeric={[3]}
          empty="No events recorded."
          rows={events.map((event) => (
            <EventRow event={event} />
          ))}
        />
      </Panel>
    </div>
  );
}

/** The whole detail, reloaded every 5 s until the task ends, and after every action. */
function TaskDetailSection(props: { id: string; result: ApiResult<z.output<typeof TaskDetailSchema>>; principal: Principal | undefined; nowMs: number }) {
  const live = !props.result.ok || !isTerminal(props.result.value.task.status);
  return (
    <div id="task-detail" hx-get={`/tasks/${props.id}/detail`} hx-trigger={live ? `${QUEUE_REFRESH}, ${TASKS_CHANGED} from:body` : `${TASKS_CHANGED} from:body`} hx-swap="outerHTML">
      <Loaded result={props.result} what={`task ${props.id}`} ok={(detail) => <TaskDetailBody detail={detail} principal={props.principal} nowMs={props.nowMs} />} />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

export function tasksPages(pages: Pages): void {
  pages.get("/tasks", READ, async (c) => {
    const filter = queueFilter(c);
    const nowMs = Date.now();
    const [tasks, analytics] = await loadQueue(c, filter, nowMs);
    const principal = c.get("principal");
    return render(c, {
      title: "Tasks",
      active: "tasks",
      body: (
        <>
          <ResultRegion id={RESULT_ID} />
          <div class="grid">
            <Panel title="Queue" id="queue-panel" wide>
              <QueueFilters filter={filter} />
              <QueueSection tasks={tasks} analytics={analytics} filter={filter} principal={principal} nowMs={nowMs} />
            </Panel>
            {allows(principal, CREATE_KEY) ? (
              <Panel title="Start a task" id="create-panel" wide>
                <CreateForms symbols={symbolsOf(c)} nowMs={nowMs} />
              </Panel>
            ) : null}
            <Panel title="Analytics" id="analytics-panel" wide>
              <AnalyticsSection analytics={analytics} filter={filter} />
            </Panel>
          </div>
        </>
      ),
    });
  });

  pages.get("/tasks/rows", READ, async (c) => {
    const filter = queueFilter(c);
    const nowMs = Date.now();
    const [tasks, analytics] = await loadQueue(c, filter, nowMs);
    return c.html(<QueueSection tasks={tasks} analytics={analytics} filter={filter} principal={c.get("principal")} nowMs={nowMs} />);
  });

  pages.get("/tasks/analytics", READ, async (c) => {
    const filter = queueFilter(c);
    return c.html(<AnalyticsSection analytics={await loadAnalytics(c, filter, Date.now())} filter={filter} />);
  });

  pages.get(`/tasks/:id{${TASK_ID_PATTERN}}`, READ, async (c) => {
    const id = taskIdOf(c);
    const result = await c.get("api").get(`/api/v1/tasks/${id}`, TaskDetailSchema);
    const title = result.ok ? `${TYPE_LABELS[result.value.task.type]} task` : "Task";
    return render(
      c,
      {
        title,
        active: "tasks",
        body: (
          <>
            <p>
              <a href="/tasks">← All tasks</a> · <code>{id}</code>
            </p>
            <ResultRegion id={RESULT_ID} />
            <TaskDetailSection id={id} result={result} principal={c.get("principal")} nowMs={Date.now()} />
          </>
        ),
      },
      result.ok ? 200 : result.status === 404 || result.status === 400 ? 404 : 502,
    );
  });

  pages.get(`/tasks/:id{${TASK_ID_PATTERN}}/detail`, READ, async (c) => {
    const id = taskIdOf(c);
    const result = await c.get("api").get(`/api/v1/tasks/${id}`, TaskDetailSchema);
    return c.html(<TaskDetailSection id={id} result={result} principal={c.get("principal")} nowMs={Date.now()} />);
  });

  pages.post("/tasks", MANAGE, async (c) => {
    const body = await c.req.parseBody({ all: true });
    const type = ManualTypeSchema.safeParse(body["type"]);
    if (!type.success) return c.html(<Notice tone="bad">Choose a task type to start.</Notice>, 400);
    const form = CREATE_FORMS[type.data].safeParse(body);
    if (!form.success) return c.html(<FormProblems error={form.error} />, 400);
    const answer = await c.get("api").send("POST", "/api/v1/tasks", { type: type.data, payload: form.data }, TaskLeaseAnswerSchema);
    if (!answer.ok) return failed(c, answer, `start a ${TYPE_LABELS[type.data].toLowerCase()}`);
    const { task } = answer.value;
    return changed(
      c,
      <Notice tone="ok">
        <strong>{TYPE_LABELS[task.type]} started</strong>: task <TaskLink id={task.id} /> is {task.status}
        {task.type === "model_training" && task.status === "queued" ? ", waiting for a trainer to claim it." : "."}
      </Notice>,
    );
  });

  pages.post(`/tasks/:id{${TASK_ID_PATTERN}}/retry`, MANAGE, async (c) => {
    const id = taskIdOf(c);
    const answer = await c.get("api").send("POST", `/api/v1/tasks/${id}/retry`, undefined, TaskLeaseAnswerSchema);
    if (!answer.ok) return failed(c, answer, `retry task ${id}`);
    const { task } = answer.value;
    return changed(
      c,
      <Notice tone="ok">
        <strong>{TYPE_LABELS[task.type]} task retried</strong>: <TaskLink id={task.id} /> is {task.status} again with a fresh budget of {task.maxAttempts} attempts.
      </Notice>,
    );
  });

  pages.post(`/tasks/:id{${TASK_ID_PATTERN}}/cancel`, MANAGE, async (c) => {
    const id = taskIdOf(c);
    const form = CancelFormSchema.safeParse(await c.req.parseBody());
    if (!form.success) return c.html(<FormProblems error={form.error} />, 400);
    const body = form.data.reason === undefined ? {} : { reason: form.data.reason };
    const answer = await c.get("api").send("POST", `/api/v1/tasks/${id}/cancel`, body, TaskLeaseAnswerSchema);
    if (!answer.ok) return failed(c, answer, `cancel task ${id}`);
    const { task } = answer.value;
    return changed(
      c,
      <Notice tone="ok">
        <strong>{TYPE_LABELS[task.type]} task cancelled</strong>: <TaskLink id={task.id} /> is {task.status}
        {form.data.reason ? ` (${form.data.reason})` : ""}.
      </Notice>,
    );
  });
}
