/**
 * Health (`/system/health`): the latest health-check report with every check (status, finding code, detail, latency)
 * and the remediation its health_check task decided, the public probe (`GET /health`), the paged history of past
 * reports (refreshed every 15 s), and for admins a button that runs a health check now (a health_check task).
 */
import { z } from "zod";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  HEALTH_STATUSES,
  HealthHistoryPageSchema,
  PublicHealthSchema,
  RemediationSchema,
  type CheckResult,
  type HealthReport,
  type HealthStatus,
  type PublicHealth,
  type Remediation,
} from "../../../core/schemas/health.js";
import { TaskLeaseAnswerSchema, TaskPageSchema } from "../../../core/schemas/tasks.js";
import { allows } from "../../http/access.js";
import { withQuery, type ApiResult } from "../api-client.js";
import { Age, ApiError, FilterSelect, FilterToolbar, HEALTH_TONES, ListPager, Notice, Num, Panel, Stat, Table, Time, ValueBadge, type ListFragment } from "../components.js";
import { isHtmx, type DashboardContext } from "../page-access.js";
import { render, type Pages } from "../pages.js";

const READ = { role: "viewer", scope: "read" } as const;
const ADMIN = { role: "admin" } as const;

const PAGE_PATH = "/system/health";
const CURRENT_PATH = "/system/health/current";
const HISTORY_PATH = "/system/health/history";
const RUN_PATH = "/system/health/run";

/** The history list, refreshed and filtered in place. */
const HISTORY: ListFragment = { id: "health-history", page: PAGE_PATH, fragment: HISTORY_PATH };

/** Reports per page of the history. */
const HISTORY_PAGE_SIZE = 20;
/** Recent succeeded health_check tasks searched for the remediation of the latest report. */
const REMEDIATION_SEARCH_LIMIT = 20;

const STATUS_RANK: Record<HealthStatus, number> = { critical: 0, degraded: 1, ok: 2 };

/** What the health_check task records (workers/tasks/processors/health-check.ts); only the parts shown here. */
const HealthTaskResultSchema = z.object({
  reportId: z.number().int(),
  trigger: z.string(),
  remediation: RemediationSchema,
});

const HistoryQuerySchema = z.object({
  cursor: z.string().max(200).optional().catch(undefined),
  status: z.enum(HEALTH_STATUSES).optional().catch(undefined),
});
type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

// ---------------------------------------------------------------------------------------------------------------
// Current checks

interface CurrentData {
  readonly probe: { readonly httpStatus: number; readonly body: PublicHealth } | { readonly httpStatus: number; readonly body: null };
  readonly latest: ApiResult<HealthReport | null>;
  readonly remediation: { readonly taskId: string; readonly trigger: string; readonly remediation: Remediation } | null;
}

async function loadCurrent(c: DashboardContext): Promise<CurrentData> {
  const api = c.get("api");
  const [probeAnswer, history, tasks] = await Promise.all([
    api.request("GET", "/health"),
    api.get("/api/v1/health/history", HealthHistoryPageSchema, { limit: 1 }),
    api.get("/api/v1/tasks", TaskPageSchema, { type: "health_check", status: "succeeded", limit: REMEDIATION_SEARCH_LIMIT }),
  ]);
  // The probe answers its own body with 503 too (D1 unreachable): read it whatever the status.
  let probeBody: PublicHealth | null = null;
  try {
    const parsed = PublicHealthSchema.safeParse(await probeAnswer.json());
    if (parsed.success) probeBody = parsed.data;
  } catch {
    probeBody = null;
  }
  const latest: ApiResult<HealthReport | null> = history.ok ? { ok: true, value: history.value.reports[0] ?? null } : history;
  let remediation: CurrentData["remediation"] = null;
  if (latest.ok && latest.value !== null && tasks.ok) {
    const reportId = latest.value.id;
    for (const task of tasks.value.tasks) {
      const result = HealthTaskResultSchema.safeParse(task.result);
      if (result.success && result.data.reportId === reportId) {
        remediation = { taskId: task.id, trigger: result.data.trigger, remediation: result.data.remediation };
        break;
      }
    }
  }
  return { probe: { httpStatus: probeAnswer.status, body: probeBody }, latest, remediation };
}

function Probe(props: { probe: CurrentData["probe"]; nowMs: number }) {
  const { probe } = props;
  if (probe.body === null) {
    return (
      <Notice tone="bad">
        The public probe <code>GET /health</code> answered HTTP {probe.httpStatus} without a health body.
      </Notice>
    );
  }
  const body = probe.body;
  return (
    <dl class="stats" aria-label="Public probe">
      <Stat label="Public probe (GET /health)" hint={`HTTP ${probe.httpStatus}`}>
        <ValueBadge value={body.status} tones={HEALTH_TONES} />
      </Stat>
      <Stat label="Probe answered at">
        <Time ms={body.timeMs} />
      </Stat>
      <Stat label="Latest check the probe reports" hint={body.lastCheck ? undefined : "no health check has run yet"}>
        {body.lastCheck ? (
          <>
            <ValueBadge value={body.lastCheck.status} tones={HEALTH_TONES} /> <Age ms={body.lastCheck.checkedAtMs} nowMs={props.nowMs} />
          </>
        ) : (
          <span class="muted">none</span>
        )}
      </Stat>
    </dl>
  );
}

function checkOrder(a: CheckResult, b: CheckResult): number {
  return STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.name.localeCompare(b.name);
}

function ChecksTable(props: { report: HealthReport; caption: string }) {
  const checks = [...props.report.results].sort(checkOrder);
  return (
    <Table
      caption={props.caption}
      head={["Check", "Status", "Finding", "Detail", "Latency"]}
      numeric={[4]}
      empty="This report holds no checks."
      rows={checks.map((check) => (
        <tr>
          <th scope="row">
            <code>{check.name}</code>
          </th>
          <td>
            <ValueBadge value={check.status} tones={HEALTH_TONES} />
          </td>
          <td>{check.code ? <code>{check.code}</code> : <span class="muted">none</span>}</td>
          <td>{check.detail}</td>
          <td class="num">{check.latencyMs === null ? <span class="muted">—</span> : <Num value={check.latencyMs} decimals={0} unit="ms" />}</td>
        </tr>
      ))}
    />
  );
}

function RemediationView(props: { found: CurrentData["remediation"] }) {
  if (props.found === null) {
    return <p class="muted">No health_check task result names this report, so no remediation was recorded for it.</p>;
  }
  const { remediation, taskId, trigger } = props.found;
  const nothing = !remediation.emergencyBackup && remediation.retrain.length === 0 && !remediation.alert;
  return (
    <div class="health-remediation">
      <h3>Remediation</h3>
      <p class="muted">
        Decided by task <code class="hash">{taskId}</code> (trigger {trigger}); the task system turns it into follow-up tasks.
      </p>
      {nothing ? (
        <p>No action needed.</p>
      ) : (
        <ul>
          {remediation.emergencyBackup ? <li>An emergency backup was requested.</li> : null}
          {remediation.retrain.length > 0 ? <li>Retraining requested for {remediation.retrain.join(", ")}.</li> : null}
          {remediation.alert ? <li>The operators were alerted.</li> : null}
        </ul>
      )}
      {remediation.reasons.length > 0 ? (
        <>
          <h3>Why</h3>
          <ul>
            {remediation.reasons.map((reason) => (
              <li>
                <code>{reason}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

function Current(props: { data: CurrentData; nowMs: number }) {
  const { latest } = props.data;
  return (
    <div id="health-current" hx-get={CURRENT_PATH} hx-trigger="every 15s" hx-swap="outerHTML">
      <Probe probe={props.data.probe} nowMs={props.nowMs} />
      {!latest.ok ? (
        <ApiError failure={latest} what="the latest health report" />
      ) : latest.value === null ? (
        <p class="muted">No health check has run yet: the cron runs one every 5 minutes.</p>
      ) : (
        <>
          <h3>Latest report #{latest.value.id}</h3>
          <dl class="stats" aria-label="Latest report">
            <Stat label="Status">
              <ValueBadge value={latest.value.status} tones={HEALTH_TONES} />
            </Stat>
            <Stat label="Checked at">
              <Time ms={latest.value.checkedAtMs} />
            </Stat>
            <Stat label="Age">
              <Age ms={latest.value.checkedAtMs} nowMs={props.nowMs} />
            </Stat>
            <Stat label="Took">
              <Num value={latest.value.durationMs} decimals={0} unit="ms" />
            </Stat>
            <Stat label="Checks" hint={countsText(latest.value.results)}>
              <Num value={latest.value.results.length} decimals={0} />
            </Stat>
          </dl>
          <ChecksTable report={latest.value} caption={`Checks of report ${latest.value.id}, worst first`} />
          <RemediationView found={props.data.remediation} />
        </>
      )}
    </div>
  );
}

/** "12 ok · 2 degraded · 0 critical". */
function countsText(checks: readonly CheckResult[]): string {
  return HEALTH_STATUSES.map((status) => `${checks.filter((check) => check.status === status).length} ${status}`).join(" · ");
}

// ---------------------------------------------------------------------------------------------------------------
// History

async function loadHistory(c: DashboardContext, query: HistoryQuery) {
  return c.get("api").get("/api/v1/health/history", HealthHistoryPageSchema, { limit: HISTORY_PAGE_SIZE, status: query.status, cursor: query.cursor });
}

function History(props: { query: HistoryQuery; result: Awaited<ReturnType<typeof loadHistory>>; nowMs: number }) {
  const { query, result } = props;
  return (
    <div id={HISTORY.id} hx-get={withQuery(HISTORY_PATH, { status: query.status, cursor: query.cursor })} hx-trigger="every 15s" hx-swap="outerHTML">
      <FilterToolbar list={HISTORY}>
        <FilterSelect label="Status" id="health-history-status" name="status" value={query.status} any="Any status" options={HEALTH_STATUSES} />
      </FilterToolbar>
      {!result.ok ? (
        <ApiError failure={result} what="the health history" />
      ) : (
        <>
          <Table
            caption="Health-check reports, newest first"
            head={["Checked at", "Age", "Status", "Took", "Checks", "Not ok"]}
            numeric={[3]}
            empty={query.status ? `No ${query.status} reports${query.cursor ? " on this page" : ""}.` : "No health check has run yet."}
            rows={result.value.reports.map((report) => {
              const notOk = [...report.results].filter((check) => check.status !== "ok").sort(checkOrder);
              return (
                <tr>
                  <td>
                    <Time ms={report.checkedAtMs} />
                  </td>
                  <td>
                    <Age ms={report.checkedAtMs} nowMs={props.nowMs} />
                  </td>
                  <td>
                    <ValueBadge value={report.status} tones={HEALTH_TONES} />
                  </td>
                  <td class="num">
                    <Num value={report.durationMs} decimals={0} unit="ms" />
                  </td>
                  <td>{countsText(report.results)}</td>
                  <td>
                    {notOk.length === 0 ? (
                      <span class="muted">all ok</span>
                    ) : (
                      <details>
                        <summary>
                          {notOk.map((check) => `${check.name}${check.code ? ` ${check.code}` : ""}`).join(", ")}
                        </summary>
                        <ul class="health-findings">
                          {notOk.map((check) => (
                            <li>
                              <code>{check.name}</code> <ValueBadge value={check.status} tones={HEALTH_TONES} /> {check.detail}
                              {check.latencyMs === null ? "" : ` (${check.latencyMs} ms)`}
                            </li>
                          ))}
                        </ul>
                      </details>
                    )}
                  </td>
                </tr>
              );
            })}
          />
          <ListPager
            list={HISTORY}
            label="Health history pages"
            filters={{ status: query.status }}
            cursor={{ name: "cursor", current: query.cursor, next: result.value.nextCursor }}
            older="Older reports"
            end={<span class="muted">{result.value.reports.length > 0 ? "Oldest report reached." : ""}</span>}
          />
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

export function healthPages(pages: Pages): void {
  pages.get(PAGE_PATH, READ, async (c) => {
    const query = HistoryQuerySchema.parse(c.req.query());
    const [current, history] = await Promise.all([loadCurrent(c), loadHistory(c, query)]);
    const nowMs = Date.now();
    const canRun = allows(c.get("principal"), "POST /api/v1/tasks");
    return render(c, {
      title: "Health",
      active: "health",
      body: (
        <div class="grid">
          <Panel
            title="Current checks"
            id="health-current-panel"
            wide
            actions={
              canRun ? (
                <button type="button" class="button button-primary" id="health-run-button" hx-post={RUN_PATH} hx-target="#health-run-result" hx-swap="innerHTML">
                  Run a health check now
                </button>
              ) : undefined
            }
          >
            <div id="health-run-result" aria-live="polite"></div>
            <Current data={current} nowMs={nowMs} />
          </Panel>
          <Panel title="History" id="health-history-panel" wide>
            <History query={query} result={history} nowMs={nowMs} />
          </Panel>
        </div>
      ),
    });
  });

  pages.get(CURRENT_PATH, READ, async (c) => c.html(<Current data={await loadCurrent(c)} nowMs={Date.now()} />));

  pages.get(HISTORY_PATH, READ, async (c) => {
    const query = HistoryQuerySchema.parse(c.req.query());
    const result = await loadHistory(c, query);
    const page = <History query={query} result={result} nowMs={Date.now()} />;
    if (!isHtmx(c)) return render(c, { title: "Health history", active: "health", body: page });
    return c.html(page);
  });

  pages.post(RUN_PATH, ADMIN, async (c) => {
    const created = await c.get("api").send("POST", "/api/v1/tasks", { type: "health_check", payload: { trigger: "api" } }, TaskLeaseAnswerSchema);
    if (!created.ok) return c.html(<ApiError failure={created} />, created.status as ContentfulStatusCode);
    const { task } = created.value;
    return c.html(
      <>
        <Notice tone="ok">
          Health check queued as task{" "}
          <code class="hash" data-task-id={task.id}>{task.id}</code> ({task.status}). Its report appears under the current checks once it has run,
          usually within a few seconds.
        </Notice>
        {/* Reload the current checks shortly, when the queued check has usually run. */}
        <div hx-get={CURRENT_PATH} hx-trigger="load delay:4s" hx-target="#health-current" hx-swap="outerHTML"></div>
      </>,
    );
  });
}
