/**
 * The trades page (`/trades`): closed trades with their post-mortem, filtered and keyset-paged through
 * `GET /api/v1/trades`, the totals of every matching trade from `GET /api/v1/analytics/trades`, and a CSV download of
 * exactly the filtered trades (`/trades/export`: the API's CSV streamed through with the visitor's session). The
 * filter form replaces the results in place with htmx (`/trades/rows`), which pushes the page's own URL, so a filtered
 * view is a link that opens the same results on a full page load. The filter form is shared with the analytics page.
 */
import type { Child } from "hono/jsx";
import type { HtmlEscapedString } from "hono/utils/html";
import { formatDuration, formatNumber } from "../../../core/display/format.js";
import { parseUtcInput } from "../../../core/display/utc-input.js";
import { TradeAnalyticsResponseSchema, TradesPageSchema, type TradeAnalyticsResponse, type TradeGroupStats, type TradesPage } from "../../../core/schemas/trading-api.js";
import { EXIT_REASONS, REGIMES, type ExitReason, type Regime, type Trade } from "../../../core/schemas/trading.js";
import type { Requirement } from "../../auth/roles.js";
import { failureOf, withQuery, type ApiFailure, type ApiResult, type Query } from "../api-client.js";
import { ApiError, Field, FilterSelect, Notice, Num, Panel, Pct, Stat, Table, Time, Usd } from "../components.js";
import { isHtmx, type DashboardContext } from "../page-access.js";
import { render, symbolsOf, type Pages } from "../pages.js";

/** Who may read trades and their analytics: the API's own requirement for both endpoints. */
export const READ_TRADES: Requirement = { role: "viewer", scope: "read" };

// --- labels -----------------------------------------------------------------------------------------------------

export const EXIT_REASON_LABELS: Readonly<Record<ExitReason, string>> = {
  "stop-loss": "Stop loss",
  "take-profit": "Take profit",
  "trailing-stop": "Trailing stop",
  "break-even-stop": "Break-even stop",
  "reverse-signal": "Reverse signal",
  "exit-signal": "Exit signal",
  manual: "Manual close",
  "emergency-stop": "Emergency stop",
  "end-of-data": "End of data",
};

export const REGIME_LABELS: Readonly<Record<Regime, string>> = {
  trending: "Trending",
  ranging: "Ranging",
  volatile: "Volatile",
  unknown: "Unknown (indicators warming up)",
};

export const STRATEGY_LABELS: Readonly<Record<Trade["strategy"], string>> = {
  "ema-cross": "EMA cross",
  model: "Model",
  manual: "Manual",
};

const SIDE_LABELS: Readonly<Record<Trade["side"], string>> = { buy: "Long (buy)", sell: "Short (sell)" };

const labelOf = (labels: Readonly<Record<string, string>>, key: string): string => labels[key] ?? key;

// --- filters (shared with the analytics page) --------------------------------------------------------------------

/** The filters of the trade list, its CSV export and the analytics, named as the API's query parameters. */
export const TRADE_FILTER_NAMES = ["symbol", "side", "exitReason", "regime", "strategy", "modelVersion", "from", "to", "minNetPnlUsd", "maxNetPnlUsd"] as const;
export type TradeFilterName = (typeof TRADE_FILTER_NAMES)[number];

/** The filters as the form shows them ("" when unset); dates as UTC `YYYY-MM-DDTHH:MM[:SS]`. */
export type TradeFilterValues = Readonly<Record<TradeFilterName, string>>;

export const FILTER_LABELS: Readonly<Record<TradeFilterName, string>> = {
  symbol: "Symbol",
  side: "Side",
  exitReason: "Exit reason",
  regime: "Regime at entry",
  strategy: "Strategy",
  modelVersion: "Model version",
  from: "Closed from (UTC)",
  to: "Closed until (UTC)",
  minNetPnlUsd: "Min net P&L (USD)",
  maxNetPnlUsd: "Max net P&L (USD)",
};

export interface FilterProblem {
  readonly field: string;
  readonly message: string;
}

export interface TradeFilters {
  readonly values: TradeFilterValues;
  /** The filters as API query parameters (dates as ISO-8601 UTC). */
  readonly api: Query;
  /** Values the dashboard could not read (the API checks the rest and answers 400 for what it refuses). */
  readonly problems: readonly FilterProblem[];
}

/** Reads the trade filters of the request's query string. */
export function readTradeFilters(c: DashboardContext): TradeFilters {
  const values: Record<TradeFilterName, string> = { symbol: "", side: "", exitReason: "", regime: "", strategy: "", modelVersion: "", from: "", to: "", minNetPnlUsd: "", maxNetPnlUsd: "" };
  const api: Record<string, string> = {};
  const problems: FilterProblem[] = [];
  for (const name of TRADE_FILTER_NAMES) {
    const raw = (c.req.query(name) ?? "").trim();
    values[name] = raw;
    if (raw === "") continue;
    if (raw.length > 64) {
      problems.push({ field: name, message: `${FILTER_LABELS[name]}: at most 64 characters` });
      continue;
    }
    if (name === "from" || name === "to") {
      const parsed = parseUtcInput(raw);
      if (parsed === null) {
        problems.push({ field: name, message: `${FILTER_LABELS[name]}: a UTC date and time such as 2024-03-01T08:30` });
        continue;
      }
      values[name] = parsed.display;
      // "until 08:30" includes a trade closed at 08:30:40: the end of the stated minute (or day).
      api[name] = new Date(name === "from" ? parsed.startMs : parsed.endMs).toISOString();
    } else {
      api[name] = raw;
    }
  }
  return { values, api, problems };
}

/** The non-empty filters, in their fixed order, for a dashboard link. */
export function filterQuery(values: TradeFilterValues): Query {
  return Object.fromEntries(TRADE_FILTER_NAMES.map((name) => [name, values[name]]));
}

/** True when any filter is set. */
export const hasFilters = (values: TradeFilterValues): boolean => TRADE_FILTER_NAMES.some((name) => values[name] !== "");

/** The filters chosen from a fixed list besides the symbol, in form order: the words of "no filter", the choices and their labels. */
const CHOICE_FILTERS: readonly { name: TradeFilterName; any: string; options: readonly string[]; labels: Readonly<Record<string, string>> }[] = [
  { name: "side", any: "Both sides", options: ["buy", "sell"], labels: SIDE_LABELS },
  { name: "exitReason", any: "Any exit reason", options: EXIT_REASONS, labels: EXIT_REASON_LABELS },
  { name: "regime", any: "Any regime", options: REGIMES, labels: REGIME_LABELS },
  { name: "strategy", any: "Any strategy", options: Object.keys(STRATEGY_LABELS), labels: STRATEGY_LABELS },
];

/**
 * The filter form of the trades and analytics pages. A plain GET form (it works without JavaScript); with `htmx` it
 * replaces `htmx.target` from `htmx.get` on submit and on every change.
 */
export function TradeFilterForm(props: {
  action: string;
  values: TradeFilterValues;
  symbols: readonly string[];
  problems: readonly FilterProblem[];
  htmx?: { get: string; target: string };
  pageSize?: { value: number; options: readonly number[] };
}) {
  const v = props.values;
  const invalid = new Set(props.problems.map((p) => p.field));
  const id = (name: string): string => `filter-${name}`;
  const htmxAttrs = props.htmx
    ? { "hx-get": props.htmx.get, "hx-target": props.htmx.target, "hx-swap": "outerHTML", "hx-trigger": "submit, change", "hx-sync": "this:replace" }
    : {};
  return (
    <form id="trade-filters" class="filters" method="get" action={props.action} aria-label="Trade filters" {...htmxAttrs}>
      <div class="form-grid">
        <FilterSelect label={FILTER_LABELS.symbol} id={id("symbol")} name="symbol" value={v.symbol} any="All symbols" options={props.symbols} />
        {CHOICE_FILTERS.map((filter) => (
          <FilterSelect
            label={FILTER_LABELS[filter.name]}
            id={id(filter.name)}
            name={filter.name}
            value={v[filter.name]}
            any={filter.any}
            options={filter.options}
            optionLabel={(option) => labelOf(filter.labels, option)}
          />
        ))}
        <Field label={FILTER_LABELS.modelVersion} for={id("modelVersion")} hint="Exact version, e.g. 2024-03-01.1">
          <input id={id("modelVersion")} name="modelVersion" type="text" maxlength={64} value={v.modelVersion} autocomplete="off" />
        </Field>
        <Field label={FILTER_LABELS.from} for={id("from")} hint="Exit time, UTC (+00:00), inclusive">
          <input id={id("from")} name="from" type="datetime-local" value={v.from} aria-invalid={invalid.has("from") ? "true" : undefined} />
        </Field>
        <Field label={FILTER_LABELS.to} for={id("to")} hint="Exit time, UTC (+00:00), to the end of that minute">
          <input id={id("to")} name="to" type="datetime-local" value={v.to} aria-invalid={invalid.has("to") ? "true" : undefined} />
        </Field>
        <Field label={FILTER_LABELS.minNetPnlUsd} for={id("minNetPnlUsd")} hint="Inclusive; negative for losses">
          <input id={id("minNetPnlUsd")} name="minNetPnlUsd" type="number" step="0.01" inputmode="decimal" value={v.minNetPnlUsd} />
        </Field>
        <Field label={FILTER_LABELS.maxNetPnlUsd} for={id("maxNetPnlUsd")} hint="Inclusive">
          <input id={id("maxNetPnlUsd")} name="maxNetPnlUsd" type="number" step="0.01" inputmode="decimal" value={v.maxNetPnlUsd} />
        </Field>
        {props.pageSize ? (
          <Field label="Trades per page" for={id("limit")}>
            <select id={id("limit")} name="limit">
              {props.pageSize.options.map((size) => (
                <option value={String(size)} selected={size === props.pageSize?.value}>
                  {String(size)}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
      </div>
      <div class="actions">
        <button type="submit" class="button button-primary">
          Apply filters
        </button>
        <a class="button button-quiet" href={props.action}>
          Clear filters
        </a>
      </div>
    </form>
  );
}

/** What the dashboard could not read, or what the API refused (400 with the fields it names). */
export function FilterProblems(props: { problems: readonly FilterProblem[] }) {
  return (
    <Notice tone="bad">
      <strong>Check the filters:</strong>
      <ul>
        {props.problems.map((problem) => (
          <li>{problem.message}</li>
        ))}
      </ul>
    </Notice>
  );
}

/** The fields the API named in a 400 answer, by their form labels; null for any other failure. */
export function refusedFilters(failure: ApiFailure): FilterProblem[] | null {
  if (failure.status !== 400 || failure.error.code !== "VALIDATION_FAILED") return null;
  const details = Array.isArray(failure.error.details) ? (failure.error.details as { path?: unknown; message?: unknown }[]) : [];
  const problems = details.map((d) => {
    const field = typeof d.path === "string" ? d.path : "";
    const label = (FILTER_LABELS as Record<string, string>)[field] ?? (field || "query");
    return { field, message: `${label}: ${typeof d.message === "string" ? d.message : "not accepted"}` };
  });
  return problems.length > 0 ? problems : [{ field: "", message: failure.error.message }];
}

/** A page status for an API failure's status. */
export function pageStatus(status: number): 400 | 403 | 404 | 409 | 422 | 500 | 502 {
  return status === 400 || status === 403 || status === 404 || status === 409 || status === 422 || status === 502 ? status : 500;
}

// --- the summary of the matching trades (shared with the analytics page) ----------------------------------------

/**
 * A profit factor for a person: "—" without trades, "∞ (no losing trades)" when only wins (or flat trades) exist.
 * @example profitFactorText({ trades: 3, wins: 3, profitFactor: null }) // "∞ (no losing trades)"
 */
export function profitFactorText(stats: Pick<TradeGroupStats, "trades" | "wins" | "profitFactor">): string {
  if (stats.profitFactor !== null) return formatNumber(stats.profitFactor, 2);
  if (stats.trades === 0) return "—";
  return stats.wins > 0 ? "∞ (no losing trades)" : "— (no wins or losses)";
}

/** Totals of the matching trades as the analytics endpoint computed them. */
export function TradeTotals(props: { analytics: TradeAnalyticsResponse }) {
  const { totals, matchingTrades, capped, tradeCap } = props.analytics;
  return (
    <>
      <dl class="stats" aria-label="Totals of the matching trades">
        <Stat label="Matching trades">
          <Num value={matchingTrades} decimals={0} />
        </Stat>
        <Stat label="Net P&L" hint="after commission">
          <Usd usd={totals.netPnlUsd} signed />
        </Stat>
        <Stat label="Win rate" hint={`${totals.wins} of ${totals.trades} with net P&L > $0`}>
          <Pct fraction={totals.winRatePct / 100} decimals={1} />
        </Stat>
        <Stat label="Profit factor" hint="winning ÷ losing net P&L">
          <span class="num">{profitFactorText(totals)}</span>
        </Stat>
        <Stat label="Expectancy" hint="mean net P&L per trade">
          <Usd usd={totals.trades === 0 ? null : totals.averageNetPnlUsd} signed />
        </Stat>
        <Stat label="Average R multiple" hint="trades with a stop only">
          <Num value={totals.averageRMultiple} decimals={2} unit="R" signed />
        </Stat>
      </dl>
      {capped ? (
        <Notice tone="warn">
          {`The totals cover the newest ${formatNumber(tradeCap, 0)} of ${formatNumber(matchingTrades, 0)} matching trades (by exit time): the API analyses at most ${formatNumber(tradeCap, 0)} per request.`}
        </Notice>
      ) : null}
    </>
  );
}

// --- paging -----------------------------------------------------------------------------------------------------

export const PAGE_SIZES: readonly number[] = [25, 50, 100, 200];
const DEFAULT_PAGE_SIZE = 50;
/** Cursors of earlier pages a "Newer" link remembers; beyond that only the first page is a link away. */
const MAX_REMEMBERED_PAGES = 30;
const CURSOR = /^[A-Za-z0-9_-]{1,1024}$/;

/**
 * Where the visitor is in the newest-first list: the API cursor of this page (none on the first), its number, and the
 * cursors of the pages between the first and this one (oldest first), so that "Newer" can step back.
 */
interface Paging {
  readonly limit: number;
  readonly cursor: string | undefined;
  readonly page: number;
  readonly back: readonly string[];
}

function readPaging(c: DashboardContext): { paging: Paging; problems: FilterProblem[] } {
  const problems: FilterProblem[] = [];
  const limitText = c.req.query("limit") ?? "";
  const limit = limitText === "" ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!PAGE_SIZES.includes(limit)) problems.push({ field: "limit", message: `Trades per page: one of ${PAGE_SIZES.join(", ")}` });
  const cursorText = c.req.query("cursor") ?? "";
  if (cursorText !== "" && !CURSOR.test(cursorText)) problems.push({ field: "cursor", message: "Page: the link is not one of this page's (start again from the first page)" });
  const cursor = cursorText === "" || !CURSOR.test(cursorText) ? undefined : cursorText;
  const pageNumber = Number(c.req.query("page") ?? "");
  const page = cursor === undefined ? 1 : Number.isSafeInteger(pageNumber) && pageNumber >= 2 ? pageNumber : 2;
  const back = cursor === undefined ? [] : (c.req.query("back") ?? "").split(",").filter((part) => CURSOR.test(part)).slice(-MAX_REMEMBERED_PAGES);
  return { paging: { limit: PAGE_SIZES.includes(limit) ? limit : DEFAULT_PAGE_SIZE, cursor, page, back }, problems };
}

/** The query of a trades page: filters, then page size (if not the default) and position. */
function pageQuery(values: TradeFilterValues, limit: number, at: { cursor?: string; page?: number; back?: readonly string[] } = {}): Query {
  return {
    ...filterQuery(values),
    limit: limit === DEFAULT_PAGE_SIZE ? undefined : limit,
    cursor: at.cursor,
    page: at.cursor === undefined ? undefined : at.page,
    back: at.back !== undefined && at.back.length > 0 ? at.back.join(",") : undefined,
  };
}

const RESULTS_ID = "trade-results";

/** A link to another page of results: a full page without JavaScript, the results fragment with htmx. */
function PageLink(props: { query: Query; rel?: string; children: Child }) {
  return (
    <a class="button" href={withQuery("/trades", props.query)} hx-get={withQuery("/trades/rows", props.query)} hx-target={`#${RESULTS_ID}`} hx-swap={`outerHTML show:#${RESULTS_ID}:top`} rel={props.rel}>
      {props.children}
    </a>
  );
}

function Pager(props: { values: TradeFilterValues; paging: Paging; rows: number; nextCursor: string | null }) {
  const { values, paging } = props;
  const newer: Query | null =
    paging.page === 2
      ? pageQuery(values, paging.limit)
      : paging.page > 2 && paging.back.length > 0
        ? pageQuery(values, paging.limit, { cursor: paging.back.at(-1), page: paging.page - 1, back: paging.back.slice(0, -1) })
        : null;
  const older: Query | null =
    props.nextCursor === null
      ? null
      : pageQuery(values, paging.limit, {
          cursor: props.nextCursor,
          page: paging.page + 1,
          back: paging.cursor === undefined ? [] : [...paging.back, paging.cursor].slice(-MAX_REMEMBERED_PAGES),
        });
  return (
    <nav class="pager" aria-label="Pages of trades">
      <span class="muted">{`Page ${paging.page} · ${props.rows} trades shown, ${paging.limit} per page · newest exit first`}</span>
      {paging.page > 2 ? (
        <PageLink query={pageQuery(values, paging.limit)} rel="first">
          Newest trades
        </PageLink>
      ) : null}
      {newer ? (
        <PageLink query={newer} rel="prev">
          ← Newer
        </PageLink>
      ) : null}
      {older ? (
        <PageLink query={older} rel="next">
          Older →
        </PageLink>
      ) : null}
    </nav>
  );
}

// --- the trade table --------------------------------------------------------------------------------------------

const TRADE_COLUMNS = [
  "Trade",
  "Symbol",
  "Side",
  "Lots",
  "Entry time (UTC)",
  "Entry price",
  "Exit time (UTC)",
  "Exit price",
  "Exit reason",
  "Initial stop",
  "Stop at exit",
  "Target",
  "Gross P&L (USD)",
  "Commission (USD)",
  "Slippage (USD)",
  "Net P&L (USD)",
  "MAE (USD)",
  "MFE (USD)",
  "R multiple",
  "Holding time",
  "Strategy",
  "Model version",
  "Confidence",
  "Regime at entry",
] as const;
const NUMERIC_COLUMNS = [3, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22];

function TradeRow(props: { trade: Trade; digits: number }) {
  const t = props.trade;
  const price = (value: number | null) => <Num value={value} decimals={props.digits} />;
  return (
    <tr>
      <th scope="row">
        <code>{t.id}</code>
      </th>
      <td>{t.symbol}</td>
      <td>{SIDE_LABELS[t.side]}</td>
      <td class="num">{formatNumber(t.lots, 2)}</td>
      <td>
        <Time ms={t.entryTsMs} />
      </td>
      <td class="num">{price(t.entryPrice)}</td>
      <td>
        <Time ms={t.exitTsMs} />
      </td>
      <td class="num">{price(t.exitPrice)}</td>
      <td>{EXIT_REASON_LABELS[t.exitReason]}</td>
      <td class="num">{price(t.initialStopPrice)}</td>
      <td class="num">{price(t.stopPrice)}</td>
      <td class="num">{price(t.targetPrice)}</td>
      <td class="num">
        <Usd usd={t.grossPnlUsd} signed />
      </td>
      <td class="num">
        <Usd usd={t.commissionUsd} />
      </td>
      <td class="num">
        <Usd usd={t.slippageUsd} />
      </td>
      <td class="num">
        <strong>
          <Usd usd={t.netPnlUsd} signed />
        </strong>
      </td>
      <td class="num">
        <Usd usd={t.maeUsd} signed />
      </td>
      <td class="num">
        <Usd usd={t.mfeUsd} signed />
      </td>
      <td class="num">
        <Num value={t.rMultiple} decimals={2} unit="R" signed />
      </td>
      <td class="num">{formatDuration(t.holdingMs)}</td>
      <td>{STRATEGY_LABELS[t.strategy]}</td>
      <td>{t.modelVersion ?? <span class="muted">—</span>}</td>
      <td class="num">
        <Pct fraction={t.confidence} decimals={1} />
      </td>
      <td>{REGIME_LABELS[t.regime]}</td>
    </tr>
  );
}

/** Price decimals of a symbol: the instrument's digits (5 for a symbol no longer declared). */
function priceDigits(c: DashboardContext): (symbol: string) => number {
  const instruments = c.get("platform").instruments;
  return (symbol) => instruments.find(symbol)?.digits ?? 5;
}

// --- the results fragment ---------------------------------------------------------------------------------------

interface Results {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422 | 500 | 502;
  readonly body: HtmlEscapedString | Promise<HtmlEscapedString>;
}

/** Reads the filters and paging, asks the API, and renders the results panel (the fragment htmx swaps). */
async function tradeResults(c: DashboardContext, filters: TradeFilters, paging: Paging, pagingProblems: readonly FilterProblem[]): Promise<Results> {
  const problems = [...filters.problems, ...pagingProblems];
  const exportHref = withQuery("/trades/export", filterQuery(filters.values));
  const panel = (content: Child, withExport: boolean) => (
    <Panel
      title="Closed trades"
      id={RESULTS_ID}
      wide
      actions={
        withExport ? (
          <a class="button" href={exportHref} download>
            Download CSV
          </a>
        ) : undefined
      }
    >
      {content}
    </Panel>
  );
  if (problems.length > 0) return { status: 400, body: panel(<FilterProblems problems={problems} />, false) };

  const api = c.get("api");
  const [page, analytics] = await Promise.all([
    api.get("/api/v1/trades", TradesPageSchema, { ...filters.api, limit: paging.limit, cursor: paging.cursor }),
    api.get("/api/v1/analytics/trades", TradeAnalyticsResponseSchema, filters.api),
  ]);
  if (!page.ok) {
    const refused = refusedFilters(page);
    return { status: pageStatus(page.status), body: panel(refused ? <FilterProblems problems={refused} /> : <ApiError failure={page} what="the trades" />, false) };
  }
  return { status: 200, body: panel(<TradeList c={c} values={filters.values} paging={paging} page={page.value} analytics={analytics} />, true) };
}

function TradeList(props: { c: DashboardContext; values: TradeFilterValues; paging: Paging; page: TradesPage; analytics: ApiResult<TradeAnalyticsResponse> }) {
  const digits = priceDigits(props.c);
  const filtered = hasFilters(props.values);
  const empty =
    props.paging.cursor !== undefined
      ? "No older trades match these filters."
      : filtered
        ? "No trades match these filters."
        : "No closed trades yet: a trade is listed here once its position closes.";
  return (
    <>
      {props.analytics.ok ? <TradeTotals analytics={props.analytics.value} /> : <ApiError failure={props.analytics} what="the totals of the matching trades" />}
      <p class="muted">
        Amounts in US dollars; prices in the instrument's quote currency; times UTC (+00:00). MAE and MFE: the worst and best
        unrealised P&L while the position was open. The CSV download holds every matching trade, not just this page.
      </p>
      <Table
        id="trade-table"
        caption="Closed trades, newest exit first"
        head={TRADE_COLUMNS}
        numeric={NUMERIC_COLUMNS}
        empty={empty}
        rows={props.page.trades.map((trade) => <TradeRow trade={trade} digits={digits(trade.symbol)} />)}
      />
      <Pager values={props.values} paging={props.paging} rows={props.page.trades.length} nextCursor={props.page.nextCursor} />
    </>
  );
}

// --- routes -----------------------------------------------------------------------------------------------------

export function tradesPages(pages: Pages): void {
  pages.get("/trades", READ_TRADES, async (c) => {
    const filters = readTradeFilters(c);
    const { paging, problems } = readPaging(c);
    const results = await tradeResults(c, filters, paging, problems);
    return render(
      c,
      {
        title: "Trades",
        active: "trades",
        body: (
          <div class="grid">
            <Panel title="Filters" id="filters" wide>
              <TradeFilterForm
                action="/trades"
                values={filters.values}
                symbols={symbolsOf(c)}
                problems={[...filters.problems, ...problems]}
                htmx={{ get: "/trades/rows", target: `#${RESULTS_ID}` }}
                pageSize={{ value: paging.limit, options: PAGE_SIZES }}
              />
            </Panel>
            {results.body}
          </div>
        ),
      },
      results.status,
    );
  });

  // The results panel alone, for the filter form and the pager; the browser's address becomes the page's own URL.
  pages.get("/trades/rows", READ_TRADES, async (c) => {
    const filters = readTradeFilters(c);
    const { paging, problems } = readPaging(c);
    const results = await tradeResults(c, filters, paging, problems);
    if (isHtmx(c)) c.header("HX-Push-Url", withQuery("/trades", pageQuery(filters.values, paging.limit, { cursor: paging.cursor, page: paging.page, back: paging.back })));
    return c.html(results.body, results.status);
  });

  // Every matching trade as CSV: the API's own export (same columns, quoting and filters), streamed through.
  pages.get("/trades/export", READ_TRADES, async (c) => {
    const filters = readTradeFilters(c);
    const failed = (body: Child, status: Results["status"]) => render(c, { title: "Trades", active: "trades", body }, status);
    if (filters.problems.length > 0) return failed(<FilterProblems problems={filters.problems} />, 400);
    const answer = await c.get("api").request("GET", withQuery("/api/v1/trades", { ...filters.api, format: "csv" }));
    if (!answer.ok) {
      const failure = await failureOf(answer);
      const refused = refusedFilters(failure);
      return failed(refused ? <FilterProblems problems={refused} /> : <ApiError failure={failure} what="the CSV export" />, pageStatus(failure.status));
    }
    const headers = new Headers();
    for (const name of ["content-type", "content-disposition", "cache-control"]) {
      const value = answer.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(answer.body, { status: 200, headers });
  });
}
