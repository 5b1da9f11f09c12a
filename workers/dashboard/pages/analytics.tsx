/**
 * The analytics page (`/analytics`): closed-trade performance from `GET /api/v1/analytics/trades` (win rate, profit
 * factor, expectancy, P&L by UTC entry hour, regime, exit reason and entry confidence, drawn as bars) and an equity
 * curve with its drawdown. The API keeps no equity history, so the curve is built here from the matching closed
 * trades (`GET /api/v1/trades`): the account's initial balance plus their cumulative net P&L at each exit — the page
 * says so. Charts are drawn by /app/analytics.js from a JSON block; every figure is also in the page as text.
 */
import type { HtmlEscapedString } from "hono/utils/html";
import { chartDataOf, equityCurveOf, type CurveTrade, type EquityCurve } from "../../../core/analytics/equity-curve.js";
import { formatNumber, formatUsd, scriptSafeJson } from "../../../core/display/format.js";
import { TradeAnalyticsResponseSchema, TradesPageSchema, type TradeAnalyticsResponse, type TradeGroupStats } from "../../../core/schemas/trading-api.js";
import type { ApiResult, Query } from "../api-client.js";
import { ApiError, Notice, Num, Panel, Pct, Stat, Table, Time, Usd } from "../components.js";
import type { DashboardContext } from "../page-access.js";
import { render, symbolsOf, type Pages } from "../pages.js";
import {
  EXIT_REASON_LABELS,
  FilterProblems,
  hasFilters,
  pageStatus,
  profitFactorText,
  READ_TRADES,
  readTradeFilters,
  refusedFilters,
  REGIME_LABELS,
  TradeFilterForm,
  TradeTotals,
  type TradeFilters,
} from "./trades.js";

// --- the equity curve -------------------------------------------------------------------------------------------

/** Most trades the curve is built from (the newest by exit time), read this many per API call. */
export const MAX_CURVE_TRADES = 10_000;
const CURVE_PAGE_ROWS = 1_000;

/** The matching trades, newest first, read page by page up to MAX_CURVE_TRADES; `complete` is false when more matched. */
async function curveTrades(c: DashboardContext, query: Query): Promise<ApiResult<{ trades: CurveTrade[]; complete: boolean }>> {
  const trades: CurveTrade[] = [];
  let cursor: string | undefined;
  while (trades.length < MAX_CURVE_TRADES) {
    const page = await c.get("api").get("/api/v1/trades", TradesPageSchema, { ...query, limit: Math.min(CURVE_PAGE_ROWS, MAX_CURVE_TRADES - trades.length), cursor });
    if (!page.ok) return page;
    for (const trade of page.value.trades) trades.push({ id: trade.id, exitTsMs: trade.exitTsMs, netPnlUsd: trade.netPnlUsd });
    if (page.value.nextCursor === null) return { ok: true, value: { trades, complete: true } };
    cursor = page.value.nextCursor;
  }
  return { ok: true, value: { trades, complete: false } };
}

interface CurveBasis {
  readonly startEquityUsd: number;
  readonly note: string | null;
  readonly warning: string | null;
}

/**
 * Where the curve starts. All matching trades read: the initial balance. Only the newest read: the initial balance
 * plus the older trades' net P&L, which the analytics totals give exactly unless they too were capped.
 */
function curveBasis(initialBalanceUsd: number, curve: { trades: readonly CurveTrade[]; complete: boolean }, analytics: ApiResult<TradeAnalyticsResponse>): CurveBasis {
  if (curve.complete) return { startEquityUsd: initialBalanceUsd, note: null, warning: null };
  const shown = `The curve shows the newest ${formatNumber(curve.trades.length, 0)} matching trades`;
  if (analytics.ok && !analytics.value.capped) {
    const olderNetUsd = analytics.value.totals.netPnlUsd - curve.trades.reduce((sum, t) => sum + t.netPnlUsd, 0);
    return {
      startEquityUsd: initialBalanceUsd + olderNetUsd,
      note: `${shown} of ${formatNumber(analytics.value.matchingTrades, 0)}; it starts at the initial balance plus the ${formatUsd(olderNetUsd, { signed: true })} net P&L of the older ones.`,
      warning: null,
    };
  }
  return { startEquityUsd: initialBalanceUsd, note: null, warning: `${shown} and starts at the initial balance: the net P&L of older matching trades is not included.` };
}

function EquityPanel(props: { curve: EquityCurve; basis: CurveBasis; initialBalanceUsd: number; filtered: boolean }) {
  const { curve, basis } = props;
  const deepest = curve.maxDrawdown;
  const netChangeUsd = curve.endEquityUsd - curve.startEquityUsd;
  return (
    <Panel title="Equity curve and drawdown" id="equity" wide>
      <p class="muted">
        {`The API keeps no equity history, so this curve is built from closed trades: the account's initial balance of ${formatUsd(props.initialBalanceUsd)} (ACCOUNT_INITIAL_BALANCE_USD) plus the cumulative net P&L of the ${props.filtered ? "trades matching the filters" : "closed trades"}, at each exit time (UTC). Unrealised P&L of open positions is not included.`}
        {props.filtered ? " With filters it is the equity those trades alone would have produced, not the account's." : ""}
      </p>
      {basis.note ? <p class="muted">{basis.note}</p> : null}
      {basis.warning ? <Notice tone="warn">{basis.warning}</Notice> : null}
      <dl class="stats" aria-label="Equity curve figures">
        <Stat label="Start equity">
          <Usd usd={curve.startEquityUsd} />
        </Stat>
        <Stat label="End equity" hint={`after ${formatNumber(curve.points.length, 0)} trades`}>
          <Usd usd={curve.endEquityUsd} />
        </Stat>
        <Stat label="Change">
          <Usd usd={netChangeUsd} signed />
        </Stat>
        <Stat label="Max drawdown" hint="below the running peak">
          <Usd usd={deepest?.drawdownUsd ?? 0} signed />
        </Stat>
        <Stat label="Max drawdown, % of peak">
          <Num value={deepest?.drawdownPct ?? 0} decimals={2} unit="%" signed />
        </Stat>
        <Stat label="Deepest at">{deepest && deepest.drawdownUsd < 0 ? <Time ms={deepest.exitTsMs} /> : <span class="muted">no drawdown</span>}</Stat>
      </dl>
      <h3 id="equity-chart-title">Equity (USD) at each exit</h3>
      <p id="equity-chart-summary" class="visually-hidden">{`From ${formatUsd(curve.startEquityUsd)} to ${formatUsd(curve.endEquityUsd)} over ${curve.points.length} trades.`}</p>
      <div id="equity-chart" class="chart" role="img" aria-labelledby="equity-chart-title" aria-describedby="equity-chart-summary"></div>
      <h3 id="drawdown-chart-title">Drawdown below the running peak (%)</h3>
      <p id="drawdown-chart-summary" class="visually-hidden">{`Deepest ${formatNumber(deepest?.drawdownPct ?? 0, 2)} % below the running peak.`}</p>
      <div id="drawdown-chart" class="chart chart-small" role="img" aria-labelledby="drawdown-chart-title" aria-describedby="drawdown-chart-summary"></div>
      <p class="muted">Trades that closed within the same second are drawn as one point, the equity after the last of them.</p>
      <script type="application/json" id="equity-data" dangerouslySetInnerHTML={{ __html: scriptSafeJson(chartDataOf(curve)) }}></script>
    </Panel>
  );
}

// --- the breakdowns ---------------------------------------------------------------------------------------------

/**
 * A confidence bucket key of the API as a person reads it.
 * @example confidenceLabel("0.50-0.55") // "50–55 %"
 */
export function confidenceLabel(key: string): string {
  if (key === "none") return "No confidence (rule or manual entry)";
  if (key === "<0.50") return "Below 50 %";
  if (key === ">1.00") return "Above 100 % (invalid)";
  const match = /^(\d\.\d{2})-(\d\.\d{2})$/.exec(key);
  if (match === null) return key;
  return `${Math.round(Number(match[1]) * 100)}–${Math.round(Number(match[2]) * 100)} %`;
}

/**
 * An entry-hour key ("07") as the hour it covers.
 * @example hourLabel("07") // "07:00–07:59"
 */
export const hourLabel = (key: string): string => `${key}:00–${key}:59`;

/** A bar from the middle of its track: right (green) for a profit, left (red) for a loss, scaled to the largest |P&L|. */
function PnlBar(props: { netPnlUsd: number; maxAbsUsd: number }) {
  const widthPct = props.maxAbsUsd > 0 ? (Math.abs(props.netPnlUsd) / props.maxAbsUsd) * 50 : 0;
  const leftPct = props.netPnlUsd < 0 ? 50 - widthPct : 50;
  const tone = props.netPnlUsd < 0 ? "negative" : "positive";
  return (
    <span class="bar-track" aria-hidden="true">
      <span class="bar-zero"></span>
      <span class={`bar-fill ${tone}`} style={`left:${leftPct.toFixed(2)}%;width:${widthPct.toFixed(2)}%`}></span>
    </span>
  );
}

const GROUP_COLUMNS = ["Trades", "Wins", "Win rate", "Net P&L (USD)", "Expectancy (USD per trade)", "Average R multiple", "Profit factor"];

function GroupTable(props: { id: string; title: string; groupHead: string; groups: readonly TradeGroupStats[]; label: (key: string) => string; empty: string; note?: string }) {
  const maxAbsUsd = Math.max(0, ...props.groups.map((g) => Math.abs(g.netPnlUsd)));
  return (
    <Panel title={props.title} id={props.id}>
      {props.note ? <p class="muted">{props.note}</p> : null}
      <Table
        id={`${props.id}-table`}
        caption={props.title}
        head={[props.groupHead, ...GROUP_COLUMNS]}
        numeric={[1, 2, 3, 4, 5, 6, 7]}
        empty={props.empty}
        rows={props.groups.map((group) => (
          <tr data-key={group.key}>
            <th scope="row">{props.label(group.key)}</th>
            <td class="num">{formatNumber(group.trades, 0)}</td>
            <td class="num">{formatNumber(group.wins, 0)}</td>
            <td class="num">
              <Pct fraction={group.winRatePct / 100} decimals={1} />
            </td>
            <td class="num">
              <span class="bar-cell">
                <PnlBar netPnlUsd={group.netPnlUsd} maxAbsUsd={maxAbsUsd} />
                <Usd usd={group.netPnlUsd} signed />
              </span>
            </td>
            <td class="num">
              <Usd usd={group.averageNetPnlUsd} signed />
            </td>
            <td class="num">
              <Num value={group.averageRMultiple} decimals={2} unit="R" signed />
            </td>
            <td class="num">{profitFactorText(group)}</td>
          </tr>
        ))}
      />
    </Panel>
  );
}

/** The breakdowns of the analytics, in the order the page shows them. */
const BREAKDOWNS: readonly {
  readonly id: string;
  readonly title: string;
  readonly groupHead: string;
  readonly groups: (analytics: TradeAnalyticsResponse) => readonly TradeGroupStats[];
  readonly label: (key: string) => string;
  readonly note?: string;
}[] = [
  { id: "by-hour", title: "P&L by entry hour (UTC)", groupHead: "Entry hour (UTC)", groups: (a) => a.byEntryHourUtc, label: hourLabel, note: "Hours without trades are not listed." },
  { id: "by-regime", title: "P&L by regime at entry", groupHead: "Regime", groups: (a) => a.byRegime, label: (key) => (REGIME_LABELS as Record<string, string>)[key] ?? key },
  { id: "by-exit-reason", title: "P&L by exit reason", groupHead: "Exit reason", groups: (a) => a.byExitReason, label: (key) => (EXIT_REASON_LABELS as Record<string, string>)[key] ?? key },
  {
    id: "by-confidence",
    title: "P&L by entry confidence",
    groupHead: "Model confidence",
    groups: (a) => a.byConfidence,
    label: confidenceLabel,
    note: "The model's probability for the side taken, in 5-point buckets (lower edge inclusive).",
  },
];

function Breakdowns(props: { analytics: TradeAnalyticsResponse }) {
  return (
    <div class="breakdowns">
      {BREAKDOWNS.map((breakdown) => (
        <GroupTable
          id={breakdown.id}
          title={breakdown.title}
          groupHead={breakdown.groupHead}
          groups={breakdown.groups(props.analytics)}
          label={breakdown.label}
          empty="No trades in this breakdown."
          note={breakdown.note}
        />
      ))}
    </div>
  );
}

// --- the page ---------------------------------------------------------------------------------------------------

async function analyticsBody(c: DashboardContext, filters: TradeFilters): Promise<{ status: 200 | 400 | 403 | 404 | 409 | 422 | 500 | 502; body: HtmlEscapedString | Promise<HtmlEscapedString> }> {
  const alone = (content: HtmlEscapedString | Promise<HtmlEscapedString>) => (
    <Panel title="Performance" id="performance" wide>
      {content}
    </Panel>
  );
  if (filters.problems.length > 0) return { status: 400, body: alone(<FilterProblems problems={filters.problems} />) };
  const [analytics, curve] = await Promise.all([c.get("api").get("/api/v1/analytics/trades", TradeAnalyticsResponseSchema, filters.api), curveTrades(c, filters.api)]);
  if (!analytics.ok) {
    const refused = refusedFilters(analytics);
    return { status: pageStatus(analytics.status), body: alone(refused ? <FilterProblems problems={refused} /> : <ApiError failure={analytics} what="the trade analytics" />) };
  }
  const filtered = hasFilters(filters.values);
  if (analytics.value.matchingTrades === 0) {
    return {
      status: 200,
      body: alone(<p class="muted">{filtered ? "No closed trades match these filters, so there is nothing to analyse." : "No closed trades yet: the analytics appear once positions have closed."}</p>),
    };
  }
  const initialBalanceUsd = c.get("platform").config.initialBalanceUsd;
  let equity: HtmlEscapedString | Promise<HtmlEscapedString>;
  if (curve.ok) {
    const basis = curveBasis(initialBalanceUsd, curve.value, analytics);
    equity = <EquityPanel curve={equityCurveOf(curve.value.trades, basis.startEquityUsd)} basis={basis} initialBalanceUsd={initialBalanceUsd} filtered={filtered} />;
  } else {
    equity = (
      <Panel title="Equity curve and drawdown" id="equity" wide>
        <ApiError failure={curve} what="the trades of the equity curve" />
      </Panel>
    );
  }
  return {
    status: 200,
    body: (
      <>
        <Panel title="Performance" id="performance" wide>
          <TradeTotals analytics={analytics.value} />
          <p class="muted">
            A win is a trade with a net P&L above $0. Expectancy is the mean net P&L per trade; profit factor is winning net P&L ÷ |losing
            net P&L|; R multiple is net P&L ÷ the initial risk (entry to initial stop).
          </p>
        </Panel>
        {equity}
        <Breakdowns analytics={analytics.value} />
      </>
    ),
  };
}

export function analyticsPages(pages: Pages): void {
  pages.get("/analytics", READ_TRADES, async (c) => {
    const filters = readTradeFilters(c);
    const { status, body } = await analyticsBody(c, filters);
    return render(
      c,
      {
        title: "Analytics",
        active: "analytics",
        scripts: ["/app/analytics.js"],
        body: (
          <div class="grid">
            <Panel title="Filters" id="filters" wide>
              <TradeFilterForm action="/analytics" values={filters.values} symbols={symbolsOf(c)} problems={filters.problems} />
            </Panel>
            {body}
          </div>
        ),
      },
      status,
    );
  });
}
