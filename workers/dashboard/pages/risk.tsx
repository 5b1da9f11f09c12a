/**
 * Risk (`/risk`): the account state (trading state, equity, drawdown, daily P&L, each trading instrument's desk) and
 * its one-day VaR, refreshed every 10 s; the limits in force; the limits editor for those allowed to replace them
 * (validated by the API, whose field errors show next to the fields); the risk alerts, paged; and the EMERGENCY
 * STOP (traders) and the reset (admins), each behind a confirmation and a required reason. After either, the outcome
 * is shown and the state section is swapped in at once (out of band), so the page never shows a stale state.
 */
import { z } from "zod";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { formatNumber, formatUsd } from "../../../core/display/format.js";
import { EmergencyStopResultSchema, PortfolioSchema, type EmergencyStopResponse, type Portfolio } from "../../../core/schemas/portfolio-api.js";
import { RISK_SEVERITIES, RiskAlertsPageSchema, type RiskAlertsPage } from "../../../core/schemas/trading-api.js";
import { AccountSnapshotSchema, LotRulesSchema, RISK_EVENT_KINDS, RiskLimitsSchema, type AccountSnapshot, type RiskEvent, type RiskLimits } from "../../../core/schemas/trading.js";
import { allows } from "../../http/access.js";
import { withQuery, type ApiFailure, type ApiResult } from "../api-client.js";
import {
  Age,
  ApiError,
  Badge,
  Field,
  FilterSelect,
  FilterToolbar,
  ListPager,
  Notice,
  Num,
  Panel,
  Refused,
  Stat,
  Table,
  Time,
  TRADING_STATE_TONES,
  Usd,
  validationIssues,
  ValueBadge,
  type ListFragment,
  type Tone,
} from "../components.js";
import { isHtmx, type DashboardContext } from "../page-access.js";
import { render, type Pages } from "../pages.js";

const READ = { role: "viewer", scope: "read" } as const;
/** Who may stop trading: the API's rule for POST /api/v1/risk/emergency-stop. */
const STOP = { role: "trader", scope: "trade" } as const;
/** Who may resume trading or replace the limits: the API's rule for POST /api/v1/risk/reset and PUT /api/v1/risk/limits. */
const CONTROL = { role: "admin", scope: "trade" } as const;

const PAGE_PATH = "/risk";
const STATE_PATH = "/risk/state";
const ALERTS_PATH = "/risk/alerts";
const STOP_PATH = "/risk/emergency-stop";
const RESET_PATH = "/risk/reset";
const LIMITS_PATH = "/risk/limits";

const STOP_KEY = "POST /api/v1/risk/emergency-stop";
const RESET_KEY = "POST /api/v1/risk/reset";
const LIMITS_KEY = "PUT /api/v1/risk/limits";

/** The alerts list, refreshed and filtered in place. */
const ALERTS: ListFragment = { id: "risk-alerts", page: PAGE_PATH, fragment: ALERTS_PATH };

/** Risk alerts per page. */
const ALERTS_PAGE_SIZE = 20;
/** The event that makes the alerts reload after a stop, reset or limits change. */
const CHANGED_EVENT = "risk-changed";

const SEVERITY_TONE: Record<RiskEvent["severity"], Tone> = { info: "info", warning: "warn", critical: "bad" };

const plainFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });

// ---------------------------------------------------------------------------------------------------------------
// Account state and VaR

async function loadPortfolio(c: DashboardContext): Promise<ApiResult<Portfolio>> {
  return c.get("api").get("/api/v1/portfolio", PortfolioSchema);
}

function AccountView(props: { account: AccountSnapshot; nowMs: number }) {
  const a = props.account;
  return (
    <>
      <p class="trading-state-line">
        Trading state:{" "}
        <span id="trading-state" class={`badge badge-${TRADING_STATE_TONES[a.tradingState]} trading-state`} data-state={a.tradingState}>
          {a.tradingState}
        </span>{" "}
        since <Time ms={a.stateSinceMs} /> (<Age ms={a.stateSinceMs} nowMs={props.nowMs} />)
      </p>
      <p>
        Reason: <span class="state-reason">{a.stateReason}</span>
      </p>
      <dl class="stats" aria-label="Account figures">
        <Stat label="Equity">
          <Usd usd={a.equityUsd} />
        </Stat>
        <Stat label="Balance">
          <Usd usd={a.balanceUsd} />
        </Stat>
        <Stat label="Unrealised P&L">
          <Usd usd={a.unrealisedPnlUsd} signed />
        </Stat>
        <Stat label="Peak equity">
          <Usd usd={a.peakEquityUsd} />
        </Stat>
        <Stat label="Drawdown below peak">
          <Num value={a.drawdownPct} decimals={2} unit="%" />
        </Stat>
        <Stat label="Daily P&L (UTC day)" hint={`Day started with ${formatUsd(a.dayStartEquityUsd)} equity`}>
          <Usd usd={a.dailyPnlUsd} signed />
        </Stat>
        <Stat label="Trades today">
          <Num value={a.tradesToday} decimals={0} />
        </Stat>
        <Stat label="Losing trades in a row">
          <Num value={a.consecutiveLosses} decimals={0} />
        </Stat>
        <Stat label="Cooldown until">{a.cooldownUntilMs === null ? <span class="muted">no cooldown</span> : <Time ms={a.cooldownUntilMs} />}</Stat>
        <Stat label="Open notional">
          <Usd usd={a.notionalUsd} />
        </Stat>
        <Stat label="Margin used">
          <Usd usd={a.marginUsedUsd} />
        </Stat>
        <Stat label="Open positions">
          <Num value={a.positions.length} decimals={0} />
        </Stat>
      </dl>
      <p class="muted">
        Day started <Time ms={a.dayStartMs} seconds={false} />; account last changed <Time ms={a.updatedAtMs} /> (event time).
      </p>
    </>
  );
}

function VarFigure(props: { usd: number | null }) {
  return props.usd === null ? <span class="muted">not enough history</span> : <Usd usd={props.usd} />;
}

function VarView(props: { portfolio: Portfolio }) {
  const risk = props.portfolio.risk;
  return (
    <>
      <dl class="stats" aria-label="One-day value at risk">
        <Stat label="Historical VaR 95 %">
          <VarFigure usd={risk.historical95Usd} />
        </Stat>
        <Stat label="Historical VaR 99 %">
          <VarFigure usd={risk.historical99Usd} />
        </Stat>
        <Stat label="Parametric VaR 95 %">
          <VarFigure usd={risk.parametric95Usd} />
        </Stat>
        <Stat label="Parametric VaR 99 %">
          <VarFigure usd={risk.parametric99Usd} />
        </Stat>
        <Stat label="Correlation-adjusted exposure">
          <Usd usd={risk.correlatedExposureUsd} />
        </Stat>
      </dl>
      <p class="muted">
        One day = {formatNumber(risk.horizon.bars, 0)} M1 bars (one-bar figures × {formatNumber(risk.horizon.scale, 2)}), from{" "}
        {formatNumber(risk.horizon.returnCount, 0)} aligned M1 returns; the figures need at least 30.
      </p>
      <Table
        caption="Net exposure per instrument"
        head={["Instrument", "Net notional"]}
        numeric={[1]}
        empty="No open positions: nothing is at risk."
        rows={risk.exposures.map((exposure) => (
          <tr>
            <th scope="row">{exposure.symbol}</th>
            <td class="num">
              <Usd usd={exposure.signedNotionalUsd} signed />
            </td>
          </tr>
        ))}
      />
    </>
  );
}

function DesksView(props: { portfolio: Portfolio; nowMs: number }) {
  return (
    <Table
      caption="Trading instruments"
      head={["Instrument", "Open positions", "Pending orders", "Unrealised P&L", "Emergency flattening", "Latest quote"]}
      numeric={[1, 2, 3]}
      empty="No instrument trades in this deployment."
      rows={props.portfolio.instruments.map((desk) => (
        <tr>
          <th scope="row">
            <a href={`/instruments/${desk.symbol}`}>{desk.symbol}</a>
          </th>
          <td class="num">
            <Num value={desk.openPositions} decimals={0} />
          </td>
          <td class="num">
            <Num value={desk.pendingOrders} decimals={0} />
          </td>
          <td class="num">
            <Usd usd={desk.unrealisedPnlUsd} signed />
          </td>
          <td>{desk.flattening ? <Badge tone="bad">flattening on next tick</Badge> : <span class="muted">no</span>}</td>
          <td>
            <Age ms={desk.lastQuoteTsMs} nowMs={props.nowMs} />
          </td>
        </tr>
      ))}
    />
  );
}

/** The state section; `oob` when it rides along an action's answer to replace the one on the page. */
function RiskState(props: { portfolio: ApiResult<Portfolio>; nowMs: number; oob?: boolean }) {
  const { portfolio } = props;
  return (
    <div id="risk-state" class="panel-wide grid" hx-get={STATE_PATH} hx-trigger="every 10s" hx-swap="outerHTML" {...(props.oob ? { "hx-swap-oob": "true" } : {})}>
      {!portfolio.ok ? (
        <ApiError failure={portfolio} what="the account" />
      ) : (
        <>
          <div class="panel-wide grid">
            <Panel title="Account" id="risk-account">
              <AccountView account={portfolio.value} nowMs={props.nowMs} />
            </Panel>
            <Panel title="One-day value at risk" id="risk-var">
              <VarView portfolio={portfolio.value} />
            </Panel>
          </div>
          <Panel title="Instruments" id="risk-desks" wide>
            <DesksView portfolio={portfolio.value} nowMs={props.nowMs} />
          </Panel>
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Emergency stop and reset

interface ControlsProps {
  readonly canStop: boolean;
  readonly canReset: boolean;
  /** What the last action did (or why it was refused). */
  readonly outcome?: Child;
  /** Reasons typed into a form that was refused, kept so that nothing has to be typed again. */
  readonly stopReason?: string;
  readonly resetReason?: string;
}

function Controls(props: ControlsProps) {
  return (
    <Panel title="Emergency stop and reset" id="risk-controls" wide>
      <div id="risk-action-result" aria-live="polite">
        {props.outcome}
      </div>
      <div class="grid">
        {props.canStop ? (
          <form
            id="emergency-stop-form"
            class="danger-zone"
            hx-post={STOP_PATH}
            hx-target="#risk-controls"
            hx-swap="outerHTML"
            hx-confirm="EMERGENCY STOP: halt all trading now? Every later order is denied and every instrument drops its pending orders and closes its positions at market on its next tick. Only an admin's reset lifts it."
          >
            <h3>Emergency stop</h3>
            <p>Halts the account at once and flattens every trading instrument on its next tick.</p>
            <Field label="Reason (required)" for="emergency-stop-reason" hint="Recorded in the risk events and the audit log, up to 500 characters.">
              <input id="emergency-stop-reason" name="reason" required maxlength={500} autocomplete="off" value={props.stopReason ?? ""} />
            </Field>
            <div class="actions">
              <button type="submit" id="emergency-stop-button" class="button button-danger button-stop">
                EMERGENCY STOP
              </button>
            </div>
          </form>
        ) : null}
        {props.canReset ? (
          <form
            id="risk-reset-form"
            hx-post={RESET_PATH}
            hx-target="#risk-controls"
            hx-swap="outerHTML"
            hx-confirm="Reset the account to ACTIVE? Trading resumes: strategies and manual orders may open positions again."
          >
            <h3>Reset to ACTIVE</h3>
            <p>Lifts an emergency stop (HALTED) or the drawdown limit's REDUCING: the account returns to ACTIVE.</p>
            <Field label="Reason (required)" for="risk-reset-reason" hint="Recorded in the risk events and the audit log, up to 500 characters.">
              <input id="risk-reset-reason" name="reason" required maxlength={500} autocomplete="off" value={props.resetReason ?? ""} />
            </Field>
            <div class="actions">
              <button type="submit" id="risk-reset-button" class="button button-primary">
                Reset trading to ACTIVE
              </button>
            </div>
          </form>
        ) : null}
      </div>
    </Panel>
  );
}

function StopOutcome(props: { result: EmergencyStopResponse }) {
  const { result } = props;
  return (
    <>
      <Notice tone="warn">
        <strong>Emergency stop: trading is {result.account.tradingState}</strong> since <Time ms={result.account.stateSinceMs} />.{" "}
        {result.halted.length > 0
          ? `Told to drop their orders and flatten on their next tick: ${result.halted.join(", ")}.`
          : "No trading instrument had to be told."}
      </Notice>
      {result.unreachable.length > 0 ? (
        <Notice tone="bad">
          <strong>Could not be told</strong> (their orders are denied anyway; they flatten once reached):{" "}
          {result.unreachable.map((u) => `${u.symbol} (${u.error})`).join("; ")}
        </Notice>
      ) : (
        <p class="muted">Every trading instrument was reached.</p>
      )}
    </>
  );
}

function ResetOutcome(props: { account: AccountSnapshot }) {
  return (
    <Notice tone="ok">
      <strong>Trading is {props.account.tradingState} again</strong> since <Time ms={props.account.stateSinceMs} />: {props.account.stateReason}
    </Notice>
  );
}

/** A refused stop, reset or limits change, with the fields the API named. */
function RiskRefused(props: { what: string; failure: ApiFailure }) {
  const issues = validationIssues(props.failure).map((issue) => ` — ${issue.path || "request"}: ${issue.message}`);
  return <Refused what={props.what} failure={props.failure} detail={issues} />;
}

const ReasonFormSchema = z.object({ reason: z.string().max(2_000).default("") });

// ---------------------------------------------------------------------------------------------------------------
// Limits

interface LimitField {
  /** The form field's name, which is also the API's error path. */
  readonly name: string;
  readonly label: string;
  readonly unit: string;
  /** The unit after exactly 1 ("1 lot"), when it differs. */
  readonly unitOfOne?: string;
  readonly hint: string;
  readonly value: (limits: RiskLimits) => number | null;
  readonly usd?: boolean;
  /** Empty means null ("off"). */
  readonly nullable?: boolean;
}

const shape = RiskLimitsSchema.shape;
const describe = (schema: { description?: string | undefined }): string => schema.description ?? "";

/** Every limit besides the sizing, in the order the editor shows them. */
const LIMIT_FIELDS: readonly LimitField[] = [
  { name: "lots.lotStep", label: "Lot step", unit: "lots", unitOfOne: "lot", hint: describe(LotRulesSchema.shape.lotStep), value: (l) => l.lots.lotStep },
  { name: "lots.minLots", label: "Smallest order", unit: "lots", unitOfOne: "lot", hint: describe(LotRulesSchema.shape.minLots), value: (l) => l.lots.minLots },
  { name: "lots.maxLots", label: "Largest order", unit: "lots", unitOfOne: "lot", hint: describe(LotRulesSchema.shape.maxLots), value: (l) => l.lots.maxLots },
  { name: "maxPositionsPerSymbol", label: "Open per instrument", unit: "positions", unitOfOne: "position", hint: describe(shape.maxPositionsPerSymbol), value: (l) => l.maxPositionsPerSymbol },
  { name: "maxPositionsTotal", label: "Open in total", unit: "positions", unitOfOne: "position", hint: describe(shape.maxPositionsTotal), value: (l) => l.maxPositionsTotal },
  { name: "maxNotionalUsd", label: "Open notional", unit: "USD", usd: true, hint: describe(shape.maxNotionalUsd), value: (l) => l.maxNotionalUsd },
  { name: "maxCorrelatedNotionalUsd", label: "Correlated exposure", unit: "USD", usd: true, hint: describe(shape.maxCorrelatedNotionalUsd), value: (l) => l.maxCorrelatedNotionalUsd },
  { name: "maxDailyLossPct", label: "Daily loss", unit: "%", hint: describe(shape.maxDailyLossPct), value: (l) => l.maxDailyLossPct },
  { name: "maxDrawdownPct", label: "Drawdown", unit: "%", hint: describe(shape.maxDrawdownPct), value: (l) => l.maxDrawdownPct },
  { name: "maxTradesPerDay", label: "Opened per UTC day", unit: "trades", unitOfOne: "trade", hint: describe(shape.maxTradesPerDay), value: (l) => l.maxTradesPerDay },
  { name: "cooldownAfterLosses", label: "Cooldown after", unit: "losing trades in a row", unitOfOne: "losing trade", hint: describe(shape.cooldownAfterLosses), value: (l) => l.cooldownAfterLosses },
  { name: "cooldownMinutes", label: "Cooldown length", unit: "min", hint: describe(shape.cooldownMinutes), value: (l) => l.cooldownMinutes },
  { name: "leverage", label: "Leverage", unit: "×", hint: describe(shape.leverage), value: (l) => l.leverage },
  { name: "maxVarPct", label: "VaR limit", unit: "% of equity", nullable: true, hint: "Deny orders that would lift the portfolio's 99 % one-day historical VaR above this % of equity. Empty: off.", value: (l) => l.maxVarPct },
];

const SIZING_KINDS = [
  { kind: "fixed-lots", label: "Fixed lots per order" },
  { kind: "fixed-fractional", label: "Fixed fraction of equity risked per trade" },
] as const;

function plain(value: number): string {
  return plainFormat.format(value);
}

function LimitValue(props: { field: LimitField; limits: RiskLimits }) {
  const value = props.field.value(props.limits);
  if (value === null) return <span class="muted">off</span>;
  if (props.field.usd) return <span class="num">{formatUsd(value)}</span>;
  const unit = value === 1 ? (props.field.unitOfOne ?? props.field.unit) : props.field.unit;
  return <span class="num">{`${plain(value)} ${unit}`}</span>;
}

function sizingText(limits: RiskLimits): string {
  return limits.sizing.kind === "fixed-lots"
    ? `Fixed lots: ${plain(limits.sizing.lots)} ${limits.sizing.lots === 1 ? "lot" : "lots"} per order`
    : `Fixed fractional: ${plain(limits.sizing.riskPct)} % of equity risked between entry and stop`;
}

function LimitsTable(props: { limits: ApiResult<RiskLimits>; oob?: boolean }) {
  const result = props.limits;
  return (
    <div id="risk-limits-view" {...(props.oob ? { "hx-swap-oob": "true" } : {})}>
      {!result.ok ? (
        <ApiError failure={result} what="the risk limits" />
      ) : (
        <Table
          caption="Risk limits in force"
          head={["Limit", "Value", "What it does"]}
          empty="No limits."
          rows={[
            <tr>
              <th scope="row">Position sizing</th>
              <td>{sizingText(result.value)}</td>
              <td class="muted">How the account sizes strategy orders.</td>
            </tr>,
            ...LIMIT_FIELDS.map((field) => (
              <tr>
                <th scope="row">{field.label}</th>
                <td>
                  <LimitValue field={field} limits={result.value} />
                </td>
                <td class="muted">{field.hint}</td>
              </tr>
            )),
          ]}
        />
      )}
    </div>
  );
}

/** The limits as the editor's form values (form name → text). */
function limitsToForm(limits: RiskLimits): Record<string, string> {
  const values: Record<string, string> = {
    "sizing.kind": limits.sizing.kind,
    "sizing.lots": limits.sizing.kind === "fixed-lots" ? String(limits.sizing.lots) : "",
    "sizing.riskPct": limits.sizing.kind === "fixed-fractional" ? String(limits.sizing.riskPct) : "",
  };
  for (const field of LIMIT_FIELDS) {
    const value = field.value(limits);
    values[field.name] = value === null ? "" : String(value);
  }
  return values;
}

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * The PUT body from the form's texts. Numbers are sent as numbers; anything else is sent as typed, so that the API,
 * the one validator of the limits, refuses it with its own field error instead of the page guessing a value.
 */
function formToLimitsBody(form: Record<string, string>): Record<string, unknown> {
  const read = (name: string): unknown => {
    const text = (form[name] ?? "").trim();
    return DECIMAL.test(text) ? Number(text) : text;
  };
  const kind = (form["sizing.kind"] ?? "").trim();
  const body: Record<string, unknown> = {
    sizing: kind === "fixed-fractional" ? { kind, riskPct: read("sizing.riskPct") } : { kind, lots: read("sizing.lots") },
    lots: { lotStep: read("lots.lotStep"), minLots: read("lots.minLots"), maxLots: read("lots.maxLots") },
  };
  for (const field of LIMIT_FIELDS) {
    if (field.name.startsWith("lots.")) continue;
    body[field.name] = field.nullable && (form[field.name] ?? "").trim() === "" ? null : read(field.name);
  }
  return body;
}

const fieldId = (name: string): string => `limit-${name.replace(/\./g, "-")}`;

function LimitInput(props: { name: string; label: string; unit: string; hint: string; values: Record<string, string>; errors: Map<string, string[]>; required: boolean }) {
  const id = fieldId(props.name);
  const errors = props.errors.get(props.name) ?? [];
  const describedBy = [`${id}-hint`, ...(errors.length > 0 ? [`${id}-error`] : [])].join(" ");
  return (
    <div class={errors.length > 0 ? "field field-invalid" : "field"}>
      <label for={id}>
        {props.label} ({props.unit})
      </label>
      <input
        id={id}
        name={props.name}
        type="number"
        step="any"
        inputmode="decimal"
        value={props.values[props.name] ?? ""}
        required={props.required}
        aria-describedby={describedBy}
        {...(errors.length > 0 ? { "aria-invalid": "true" } : {})}
      />
      <small class="hint" id={`${id}-hint`}>
        {props.hint}
      </small>
      {errors.length > 0 ? (
        <small class="field-error" id={`${id}-error`}>
          {errors.join("; ")}
        </small>
      ) : null}
    </div>
  );
}

interface EditorProps {
  readonly values: Record<string, string> | null;
  readonly loadFailure?: ApiFailure;
  readonly failure?: ApiFailure;
  readonly saved?: RiskLimits;
}

function LimitsEditor(props: EditorProps) {
  const issues = props.failure ? validationIssues(props.failure) : [];
  const errors = new Map<string, string[]>();
  for (const issue of issues) errors.set(issue.path, [...(errors.get(issue.path) ?? []), issue.message]);
  const known = new Set(["sizing.kind", "sizing.lots", "sizing.riskPct", ...LIMIT_FIELDS.map((f) => f.name)]);
  const unplaced = issues.filter((issue) => !known.has(issue.path));
  const values = props.values;
  const kindErrors = errors.get("sizing.kind") ?? [];
  return (
    <Panel title="Edit the limits" id="risk-limits-editor" wide>
      <div aria-live="polite">
        {props.saved ? <Notice tone="ok">Limits saved: they apply from the next order. The change is recorded as a risk event naming you.</Notice> : null}
        {props.failure && issues.length > 0 ? (
          <Notice tone="bad">
            <strong>The API refused the limits</strong> ({issues.length} problem{issues.length === 1 ? "" : "s"}, shown next to the fields). Nothing was
            changed.
            {unplaced.length > 0 ? (
              <ul>
                {unplaced.map((issue) => (
                  <li>
                    {issue.path || "limits"}: {issue.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </Notice>
        ) : props.failure ? (
          <RiskRefused what="Saving the limits" failure={props.failure} />
        ) : null}
      </div>
      {values === null ? (
        props.loadFailure ? <ApiError failure={props.loadFailure} what="the risk limits to edit" /> : null
      ) : (
        <form id="risk-limits-form" hx-post={LIMITS_PATH} hx-target="#risk-limits-editor" hx-swap="outerHTML" hx-confirm="Replace the account's risk limits with these values? They apply to the next order.">
          <p class="muted">The whole document is replaced; every field is checked by the API.</p>
          <fieldset class="form-grid">
            <legend>Position sizing</legend>
            <div class={kindErrors.length > 0 ? "field field-invalid" : "field"}>
              <label for="limit-sizing-kind">Sizing</label>
              <select id="limit-sizing-kind" name="sizing.kind" {...(kindErrors.length > 0 ? { "aria-invalid": "true" } : {})}>
                {SIZING_KINDS.map((option) => (
                  <option value={option.kind} selected={values["sizing.kind"] === option.kind}>
                    {option.label}
                  </option>
                ))}
              </select>
              {kindErrors.length > 0 ? <small class="field-error">{kindErrors.join("; ")}</small> : null}
            </div>
            <LimitInput name="sizing.lots" label="Lots per order" unit="lots" hint="Used with fixed lots." values={values} errors={errors} required={false} />
            <LimitInput
              name="sizing.riskPct"
              label="Equity risked per trade"
              unit="%"
              hint="Used with a fixed fraction: equity risked between entry and stop."
              values={values}
              errors={errors}
              required={false}
            />
          </fieldset>
          <fieldset class="form-grid">
            <legend>Limits</legend>
            {LIMIT_FIELDS.map((field) => (
              <LimitInput name={field.name} label={field.label} unit={field.unit} hint={field.hint} values={values} errors={errors} required={!field.nullable} />
            ))}
          </fieldset>
          <div class="actions">
            <button type="submit" class="button button-primary" id="risk-limits-save">
              Save the limits
            </button>
          </div>
        </form>
      )}
    </Panel>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Alerts

const AlertsQuerySchema = z.object({
  severity: z.enum(RISK_SEVERITIES).optional().catch(undefined),
  kind: z.enum(RISK_EVENT_KINDS).optional().catch(undefined),
  cursor: z.string().max(1_024).optional().catch(undefined),
});
type AlertsQuery = z.infer<typeof AlertsQuerySchema>;

async function loadAlerts(c: DashboardContext, query: AlertsQuery): Promise<ApiResult<RiskAlertsPage>> {
  return c.get("api").get("/api/v1/risk/alerts", RiskAlertsPageSchema, { limit: ALERTS_PAGE_SIZE, severity: query.severity, kind: query.kind, cursor: query.cursor });
}

function contextText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Alerts(props: { query: AlertsQuery; result: ApiResult<RiskAlertsPage>; nowMs: number }) {
  const { query, result } = props;
  const filtersOnly = { severity: query.severity, kind: query.kind };
  return (
    <div id={ALERTS.id} hx-get={withQuery(ALERTS_PATH, { ...filtersOnly, cursor: query.cursor })} hx-trigger={`every 15s, ${CHANGED_EVENT} from:body`} hx-swap="outerHTML">
      <FilterToolbar list={ALERTS}>
        <FilterSelect label="Severity at least" id="risk-alerts-severity" name="severity" value={query.severity} any="Any" options={RISK_SEVERITIES} />
        <FilterSelect label="Kind" id="risk-alerts-kind" name="kind" value={query.kind} any="Any" options={RISK_EVENT_KINDS} />
      </FilterToolbar>
      {!result.ok ? (
        <ApiError failure={result} what="the risk alerts" />
      ) : (
        <>
          <Table
            caption="Risk alerts, newest first"
            head={["Time", "Severity", "Kind", "Instrument", "Code", "Message", "Values"]}
            empty={query.severity || query.kind ? "No risk alerts match these filters." : "No risk alerts yet."}
            rows={result.value.alerts.map((alert) => {
              const entries = Object.entries(alert.context);
              return (
                <tr>
                  <td>
                    <Time ms={alert.tsMs} />
                  </td>
                  <td>
                    <ValueBadge value={alert.severity} tones={SEVERITY_TONE} />
                  </td>
                  <td>{alert.kind}</td>
                  <td>{alert.symbol ?? <span class="muted">account</span>}</td>
                  <td>{alert.code ? <code>{alert.code}</code> : <span class="muted">—</span>}</td>
                  <td>{alert.message}</td>
                  <td>
                    {entries.length === 0 ? (
                      <span class="muted">—</span>
                    ) : (
                      <details>
                        <summary>{entries.length} values</summary>
                        <dl class="kv">
                          {entries.map(([key, value]) => (
                            <>
                              <dt>{key}</dt>
                              <dd>
                                <code>{contextText(value)}</code>
                              </dd>
                            </>
                          ))}
                        </dl>
                      </details>
                    )}
                  </td>
                </tr>
              );
            })}
          />
          <ListPager
            list={ALERTS}
            label="Risk alert pages"
            filters={filtersOnly}
            cursor={{ name: "cursor", current: query.cursor, next: result.value.nextCursor }}
            older="Older alerts"
          />
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

function controlsFor(c: DashboardContext): { canStop: boolean; canReset: boolean } {
  const principal = c.get("principal");
  return { canStop: allows(principal, STOP_KEY), canReset: allows(principal, RESET_KEY) };
}

async function stringForm(c: DashboardContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") form[name] = value;
  return form;
}

/** An action's answer: the controls with its outcome, the state swapped in out of band, and the alerts told to reload. */
async function controlsAnswer(c: DashboardContext, controls: ControlsProps, status: ContentfulStatusCode): Promise<Response> {
  const portfolio = await loadPortfolio(c);
  c.header("HX-Trigger", CHANGED_EVENT);
  return c.html(
    <>
      <Controls {...controls} />
      <RiskState portfolio={portfolio} nowMs={Date.now()} oob />
    </>,
    status,
  );
}

export function riskPages(pages: Pages): void {
  pages.get(PAGE_PATH, READ, async (c) => {
    const query = AlertsQuerySchema.parse(c.req.query());
    const canEdit = allows(c.get("principal"), LIMITS_KEY);
    const [portfolio, limits, alerts] = await Promise.all([
      loadPortfolio(c),
      c.get("api").get("/api/v1/risk/limits", RiskLimitsSchema),
      loadAlerts(c, query),
    ]);
    const nowMs = Date.now();
    const controls = controlsFor(c);
    return render(c, {
      title: "Risk",
      active: "risk",
      body: (
        <div class="grid">
          <RiskState portfolio={portfolio} nowMs={nowMs} />
          {controls.canStop || controls.canReset ? <Controls {...controls} /> : null}
          <Panel title="Limits in force" id="risk-limits" wide>
            <LimitsTable limits={limits} />
          </Panel>
          {canEdit ? <LimitsEditor values={limits.ok ? limitsToForm(limits.value) : null} {...(limits.ok ? {} : { loadFailure: limits })} /> : null}
          <Panel title="Risk alerts" id="risk-alerts-panel" wide>
            <Alerts query={query} result={alerts} nowMs={nowMs} />
          </Panel>
        </div>
      ),
    });
  });

  pages.get(STATE_PATH, READ, async (c) => c.html(<RiskState portfolio={await loadPortfolio(c)} nowMs={Date.now()} />));

  pages.get(ALERTS_PATH, READ, async (c) => {
    const query = AlertsQuerySchema.parse(c.req.query());
    const alerts = <Alerts query={query} result={await loadAlerts(c, query)} nowMs={Date.now()} />;
    if (!isHtmx(c)) return render(c, { title: "Risk alerts", active: "risk", body: alerts });
    return c.html(alerts);
  });

  pages.post(STOP_PATH, STOP, async (c) => {
    const { reason } = ReasonFormSchema.parse(await stringForm(c));
    const controls = controlsFor(c);
    if (reason.trim() === "") {
      return controlsAnswer(c, { ...controls, outcome: <Notice tone="bad">Give a reason for the emergency stop: it is recorded with it.</Notice> }, 400);
    }
    const stopped = await c.get("api").send("POST", "/api/v1/risk/emergency-stop", { reason }, EmergencyStopResultSchema);
    if (!stopped.ok) return controlsAnswer(c, { ...controls, stopReason: reason, outcome: <RiskRefused what="Emergency stop" failure={stopped} /> }, stopped.status as ContentfulStatusCode);
    return controlsAnswer(c, { ...controls, outcome: <StopOutcome result={stopped.value} /> }, 200);
  });

  pages.post(RESET_PATH, CONTROL, async (c) => {
    const { reason } = ReasonFormSchema.parse(await stringForm(c));
    const controls = controlsFor(c);
    if (reason.trim() === "") {
      return controlsAnswer(c, { ...controls, outcome: <Notice tone="bad">Give a reason for the reset: it is recorded with it.</Notice> }, 400);
    }
    const reset = await c.get("api").send("POST", "/api/v1/risk/reset", { reason }, AccountSnapshotSchema);
    if (!reset.ok) return controlsAnswer(c, { ...controls, resetReason: reason, outcome: <RiskRefused what="Reset" failure={reset} /> }, reset.status as ContentfulStatusCode);
    return controlsAnswer(c, { ...controls, outcome: <ResetOutcome account={reset.value} /> }, 200);
  });

  pages.post(LIMITS_PATH, CONTROL, async (c) => {
    const form = await stringForm(c);
    const saved = await c.get("api").send("PUT", "/api/v1/risk/limits", formToLimitsBody(form), RiskLimitsSchema);
    if (!saved.ok) return c.html(<LimitsEditor values={form} failure={saved} />, saved.status as ContentfulStatusCode);
    c.header("HX-Trigger", CHANGED_EVENT);
    return c.html(
      <>
        <LimitsEditor values={limitsToForm(saved.value)} saved={saved.value} />
        <LimitsTable limits={saved} oob />
      </>,
    );
  });
}
