/**
 * The overview `/`: system health (the latest health check), the account (trading state, equity, balance, daily
 * P&L), open positions and pending orders, the latest signal per instrument, and data freshness per instrument.
 * Every section is read through the API and refreshed by an htmx fragment (`/overview/*`); the markets table is
 * also kept live by /app/overview.js from each instrument's stream (price, spread, last tick, a STALE badge when
 * the feed or the socket is late).
 */
import type { Child } from "hono/jsx";
import { formatNumber, formatPercent, formatUsd } from "../../../core/display/format.js";
import type { Instrument } from "../../../core/instruments/instrument.js";
import { LIVE_CONFIG_ELEMENT_ID, serializeLiveConfig, type LivePageConfig } from "../../../core/live/page-config.js";
import { FRESHNESS_BADGES, judgeLive } from "../../../core/live/staleness.js";
import type { FreshnessStatus } from "../../../core/market/freshness.js";
import type { Timeframe } from "../../../core/market/timeframe.js";
import { HealthHistoryPageSchema, type HealthReport } from "../../../core/schemas/health.js";
import { MarketStatusResponseSchema, type InstrumentMarketStatus, type MarketStatusResponse } from "../../../core/schemas/market-data.js";
import { PortfolioSchema, PositionsResponseSchema, type Portfolio, type PositionsResponse } from "../../../core/schemas/portfolio-api.js";
import { LatestSignalResponseSchema, type Signal } from "../../../core/schemas/serving.js";
import type { Requirement } from "../../auth/roles.js";
import { allows, DECLARED_ACCESS } from "../../http/access.js";
import type { ApiResult } from "../api-client.js";
import { Age, Badge, HEALTH_TONES, Loaded, Num, Panel, Stat, Table, Time, TRADING_STATE_TONES, Usd, type Tone } from "../components.js";
import type { DashboardContext } from "../page-access.js";
import { render, symbolsOf, type Pages } from "../pages.js";

/** What every overview route needs: a viewer with the read scope (as every API call it makes). */
export const READ: Requirement = { role: "viewer", scope: "read" };

/** How often the fragments refresh (the live cells move faster, from the streams). */
const FAST_REFRESH = "every 5s";
const SLOW_REFRESH = "every 10s";

// --- shared with the instrument page ------------------------------------------------------------------------------

/** A freshness badge as the browser scripts render it too (core/live/staleness.ts), with the reason as its title. */
export function FreshnessBadge(props: { status: FreshnessStatus; reason: string; live?: string }) {
  const badge = FRESHNESS_BADGES[props.status];
  return (
    <span class={`badge badge-${badge.tone}`} data-live={props.live} data-status={props.status} title={props.reason}>
      {badge.label}
    </span>
  );
}

/** The words of a server-side freshness judgement (the feed alone: the page has no socket yet). */
export function freshnessReason(instrument: Instrument, status: InstrumentMarketStatus, market: MarketStatusResponse): string {
  return judgeLive({ instrument, lastTickTsMs: status.lastTick?.ts ?? null, lastHeardAtMs: market.nowMs, nowMs: market.nowMs, feedMaxAgeMs: market.feedMaxAgeMs }).reason;
}

/** The config a live page's script reads: the instruments it follows and the feed threshold. */
export function liveConfigOf(c: DashboardContext, symbols: readonly string[], feedMaxAgeMs: number, timeframe?: Timeframe): LivePageConfig {
  const instruments = symbols.map((symbol) => {
    const instrument = instrumentOf(c, symbol);
    return { symbol, digits: instrument.digits, pointSize: instrument.pointSize, tradingHours: instrument.tradingHours };
  });
  return timeframe === undefined ? { instruments, feedMaxAgeMs } : { instruments, feedMaxAgeMs, timeframe };
}

/** The config as a JSON script element (never executed: CSP allows only our own script files). */
export function LiveConfig(props: { config: LivePageConfig }) {
  return <script type="application/json" id={LIVE_CONFIG_ELEMENT_ID} dangerouslySetInnerHTML={{ __html: serializeLiveConfig(props.config) }}></script>;
}

export function instrumentOf(c: DashboardContext, symbol: string): Instrument {
  const instrument = c.get("platform").instruments.find(symbol);
  if (instrument === undefined) throw new Error(`instrument ${symbol} is not declared`);
  return instrument;
}

/** True when the visitor may open a dashboard route that exists (a page not built is absent, never a dead link). */
export function mayOpen(c: DashboardContext, key: string): boolean {
  return DECLARED_ACCESS.has(key) && allows(c.get("principal"), key);
}

export const ACTION_TONES: Readonly<Record<Signal["action"], Tone>> = { buy: "ok", sell: "bad", hold: "neutral" };

/**
 * Class probabilities in the model's order, as percentages.
 * @example probabilitiesText({ down: 0.38, up: 0.62 }) // "down 38.0 % · up 62.0 %"
 */
export function probabilitiesText(probabilities: Record<string, number>): string {
  return Object.entries(probabilities).map(([label, p]) => `${label} ${formatPercent(p, 1)}`).join(" · ");
}

// --- sections ---------------------------------------------------------------------------------------------------

function HealthSummary(props: { report: HealthReport | null; nowMs: number }) {
  const report = props.report;
  if (report === null) {
    return <p>No health check has run yet. It runs every 5 minutes; the first report appears here when it has.</p>;
  }
  const failing = report.results.filter((result) => result.status !== "ok");
  return (
    <>
      <p>
        <Badge tone={HEALTH_TONES[report.status]} label={`Health ${report.status}`}>
          {report.status}
        </Badge>{" "}
        checked <Time ms={report.checkedAtMs} /> (<Age ms={report.checkedAtMs} nowMs={props.nowMs} />)
      </p>
      {failing.length === 0 ? (
        <p>All {report.results.length} checks passed.</p>
      ) : (
        <ul class="check-list">
          {failing.map((result) => (
            <li>
              <Badge tone={HEALTH_TONES[result.status]}>{result.status}</Badge> <strong>{result.name}</strong>
              {result.code ? <span class="muted"> {result.code}</span> : null}: {result.detail}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function AccountSummary(props: { portfolio: Portfolio; positions: PositionsResponse; digitsOf: (symbol: string) => number }) {
  const { portfolio, positions } = props;
  const flattening = portfolio.instruments.filter((book) => book.flattening);
  return (
    <>
      <dl class="stats">
        <Stat label="Trading state">
          <Badge tone={TRADING_STATE_TONES[portfolio.tradingState]} label={`Trading state ${portfolio.tradingState}`}>
            {portfolio.tradingState}
          </Badge>
        </Stat>
        <Stat label="Equity">
          <Usd usd={portfolio.equityUsd} />
        </Stat>
        <Stat label="Balance">
          <Usd usd={portfolio.balanceUsd} />
        </Stat>
        <Stat label="Daily P&L" hint={`since the UTC day began, from ${formatUsd(portfolio.dayStartEquityUsd)} equity`}>
          <Usd usd={portfolio.dailyPnlUsd} signed />
        </Stat>
        <Stat label="Unrealised P&L">
          <Usd usd={portfolio.unrealisedPnlUsd} signed />
        </Stat>
        <Stat label="Drawdown" hint="below peak equity">
          <Num value={portfolio.drawdownPct} decimals={2} unit="%" />
        </Stat>
        <Stat label="Trades today">
          <Num value={portfolio.tradesToday} decimals={0} />
        </Stat>
        <Stat label="Margin used">
          <Usd usd={portfolio.marginUsedUsd} />
        </Stat>
      </dl>
      <p class="muted">
        {portfolio.stateReason}
        {/* A state held since the account began has no moment to name. */}
        {portfolio.stateSinceMs > 0 ? (
          <>
            {" "}— since <Time ms={portfolio.stateSinceMs} />
          </>
        ) : null}
      </p>
      {flattening.map((book) => (
        <div class="alert alert-warn" role="status">
          {book.symbol}: the emergency stop closes every position on the next tick.
        </div>
      ))}
      <h3>Open positions</h3>
      <Table
        caption="Open positions"
        head={["Instrument", "Side", "Lots", "Entry price", "Entered", "Mark price", "Unrealised P&L", "Stop", "Target", "Opened by"]}
        numeric={[2, 3, 5, 6, 7, 8]}
        empty="No open positions."
        rows={positions.positions.map((position) => {
          const digits = props.digitsOf(position.symbol);
          return (
            <tr>
              <th scope="row">{position.symbol}</th>
              <td>
                <Badge tone={position.side === "buy" ? "ok" : "bad"}>{position.side === "buy" ? "long" : "short"}</Badge>
              </td>
              <td class="num">{formatNumber(position.lots, 2)}</td>
              <td class="num">{formatNumber(position.entryPrice, digits)}</td>
              <td>
                <Time ms={position.entryTsMs} />
              </td>
              <td class="num">{formatNumber(position.markPrice, digits)}</td>
              <td class="num">
                <Usd usd={position.unrealisedPnlUsd} signed />
              </td>
              <td class="num">{formatNumber(position.stopPrice, digits)}</td>
              <td class="num">{formatNumber(position.targetPrice, digits)}</td>
              <td>{position.entry.strategy}</td>
            </tr>
          );
        })}
      />
      {positions.pending.length > 0 ? (
        <>
          <h3>Pending orders</h3>
          <Table
            caption="Pending orders"
            head={["Instrument", "Order", "Side", "Lots", "Status"]}
            numeric={[3]}
            empty="No pending orders."
            rows={positions.pending.map((order) => (
              <tr>
                <th scope="row">{order.symbol}</th>
                <td>{order.kind === "open" ? "open" : `close ${order.positionId ?? ""}`}</td>
                <td>{order.side}</td>
                <td class="num">{formatNumber(order.lots, 2)}</td>
                <td>{order.status === "approved" ? "approved, fills on the next tick" : "awaiting the account's approval"}</td>
              </tr>
            ))}
          />
        </>
      ) : null}
    </>
  );
}

/** Data freshness per instrument; the cells marked data-live are kept current by /app/overview.js. */
function MarketsTable(props: { c: DashboardContext; market: MarketStatusResponse }) {
  const { c, market } = props;
  const instrumentLinks = mayOpen(c, "GET /instruments/{symbol}");
  return (
    <>
      <Table
        caption="Data freshness per instrument"
        head={["Instrument", "Bid", "Ask", "Spread", "Last tick", "Age", "Feed", "Live stream", "Regime"]}
        numeric={[1, 2, 3]}
        empty="No instruments are declared."
        rows={market.instruments.map((status) => {
          const instrument = instrumentOf(c, status.symbol);
          const tick = status.lastTick;
          return (
            <tr data-live-row={status.symbol} data-last-tick-ts={tick === null ? "" : String(tick.ts)} data-bid={tick === null ? "" : String(tick.bid)} data-ask={tick === null ? "" : String(tick.ask)}>
              <th scope="row">{instrumentLinks ? <a href={`/instruments/${status.symbol}`}>{status.symbol}</a> : status.symbol}</th>
              <td class="num" data-live="bid">
                {formatNumber(tick?.bid, instrument.digits)}
              </td>
              <td class="num" data-live="ask">
                {formatNumber(tick?.ask, instrument.digits)}
              </td>
              <td class="num" data-live="spread">
                {status.spreadPoints === null ? "—" : `${formatNumber(status.spreadPoints, 1)} points`}
              </td>
              <td data-live="last-tick">
                <Time ms={tick?.ts} />
              </td>
              <td data-live="age">
                <Age ms={tick?.ts} nowMs={market.nowMs} />
              </td>
              <td>
                <FreshnessBadge status={status.freshness.status} reason={freshnessReason(instrument, status, market)} live="freshness" />
              </td>
              <td data-live="socket">connecting…</td>
              <td>{status.regime === null ? <span class="muted">not judged yet</span> : <span title={`at the bar of ${new Date(status.regime.barTs).toISOString()}`}>{status.regime.regime}</span>}</td>
            </tr>
          );
        })}
      />
      <p class="muted">
        Prices are bids and asks of the newest tick; spreads in points. A feed is stale when its market is open and its
        newest tick is older than {Math.round(market.feedMaxAgeMs / 60_000)} min, or when this page's live stream has
        gone silent. Regime: of the newest signal bar.
      </p>
    </>
  );
}

function SignalsTable(props: { c: DashboardContext; results: readonly { symbol: string; result: ApiResult<{ signal: Signal | null }> }[] }) {
  return (
    <Table
      caption="Latest champion signal per instrument"
      head={["Instrument", "Action", "Confidence", "Probabilities", "Bar", "Model"]}
      numeric={[2]}
      empty="No instruments are declared."
      rows={props.results.map(({ symbol, result }) => {
        if (!result.ok) {
          return (
            <tr>
              <th scope="row">{symbol}</th>
              <td colspan={5} class="negative">
                Could not load: {result.error.message}
              </td>
            </tr>
          );
        }
        const signal = result.value.signal;
        if (signal === null) {
          return (
            <tr>
              <th scope="row">{symbol}</th>
              <td colspan={5} class="muted">
                No signal yet: signals need a deployed champion model and features warmed up on closed M1 bars.
              </td>
            </tr>
          );
        }
        return (
          <tr>
            <th scope="row">{symbol}</th>
            <td>
              <Badge tone={ACTION_TONES[signal.action]}>{signal.action}</Badge>
            </td>
            <td class="num">{formatPercent(signal.confidence, 1)}</td>
            <td>{probabilitiesText(signal.probabilities)}</td>
            <td>
              <Time ms={signal.ts} seconds={false} />
            </td>
            <td>
              <code>{signal.modelVersion}</code>
            </td>
          </tr>
        );
      })}
    />
  );
}

// --- data -------------------------------------------------------------------------------------------------------

const readHealth = (c: DashboardContext) => c.get("api").get("/api/v1/health/history", HealthHistoryPageSchema, { limit: 1 });
const readPortfolio = (c: DashboardContext) => c.get("api").get("/api/v1/portfolio", PortfolioSchema);
const readPositions = (c: DashboardContext) => c.get("api").get("/api/v1/positions", PositionsResponseSchema);
const readMarket = (c: DashboardContext) => c.get("api").get("/api/v1/market/status", MarketStatusResponseSchema);
const readSignals = (c: DashboardContext) =>
  Promise.all(symbolsOf(c).map(async (symbol) => ({ symbol, result: await c.get("api").get(`/api/v1/signals/${symbol}/latest`, LatestSignalResponseSchema) })));

function HealthSection(props: { result: Awaited<ReturnType<typeof readHealth>>; nowMs: number }) {
  return <Loaded result={props.result} what="the latest health check" ok={(page) => <HealthSummary report={page.reports[0] ?? null} nowMs={props.nowMs} />} />;
}

function AccountSection(props: { c: DashboardContext; portfolio: Awaited<ReturnType<typeof readPortfolio>>; positions: Awaited<ReturnType<typeof readPositions>> }) {
  const digitsOf = (symbol: string): number => props.c.get("platform").instruments.find(symbol)?.digits ?? 2;
  return (
    <Loaded
      result={props.portfolio}
      what="the account"
      ok={(portfolio) => <Loaded result={props.positions} what="the open positions" ok={(positions) => <AccountSummary portfolio={portfolio} positions={positions} digitsOf={digitsOf} />} />}
    />
  );
}

function MarketsSection(props: { c: DashboardContext; result: Awaited<ReturnType<typeof readMarket>> }) {
  return <Loaded result={props.result} what="the feeds" ok={(market) => <MarketsTable c={props.c} market={market} />} />;
}

/** A section refreshed by its fragment route: the polling container keeps its attributes, the content is swapped. */
function Refreshing(props: { id: string; path: string; trigger: string; children: Child }) {
  return (
    <div id={props.id} hx-get={props.path} hx-trigger={props.trigger} hx-swap="innerHTML">
      {props.children}
    </div>
  );
}

export function overviewPages(pages: Pages): void {
  pages.get("/", READ, async (c) => {
    const nowMs = Date.now();
    const [health, portfolio, positions, market, signals] = await Promise.all([readHealth(c), readPortfolio(c), readPositions(c), readMarket(c), readSignals(c)]);
    const feedMaxAgeMs = market.ok ? market.value.feedMaxAgeMs : null;
    return render(c, {
      title: "Overview",
      active: "overview",
      scripts: feedMaxAgeMs === null ? [] : ["/app/overview.js"],
      body: (
        <div class="grid">
          <Panel title="System health" id="health" wide actions={mayOpen(c, "GET /system/health") ? <a href="/system/health">Health history</a> : undefined}>
            <Refreshing id="overview-health" path="/overview/health" trigger={SLOW_REFRESH}>
              <HealthSection result={health} nowMs={nowMs} />
            </Refreshing>
          </Panel>
          <Panel title="Account" id="account" wide>
            <Refreshing id="overview-account" path="/overview/account" trigger={FAST_REFRESH}>
              <AccountSection c={c} portfolio={portfolio} positions={positions} />
            </Refreshing>
          </Panel>
          <Panel title="Data freshness" id="markets" wide>
            <Refreshing id="overview-markets" path="/overview/markets" trigger={FAST_REFRESH}>
              <MarketsSection c={c} result={market} />
            </Refreshing>
            {feedMaxAgeMs === null ? null : <LiveConfig config={liveConfigOf(c, symbolsOf(c), feedMaxAgeMs)} />}
          </Panel>
          <Panel title="Latest signals" id="signals" wide>
            <Refreshing id="overview-signals" path="/overview/signals" trigger={`${SLOW_REFRESH}, aurum-signal from:body`}>
              <SignalsTable c={c} results={signals} />
            </Refreshing>
          </Panel>
        </div>
      ),
    });
  });

  pages.get("/overview/health", READ, async (c) => c.html(<HealthSection result={await readHealth(c)} nowMs={Date.now()} />));

  pages.get("/overview/account", READ, async (c) => {
    const [portfolio, positions] = await Promise.all([readPortfolio(c), readPositions(c)]);
    return c.html(<AccountSection c={c} portfolio={portfolio} positions={positions} />);
  });

  pages.get("/overview/markets", READ, async (c) => c.html(<MarketsSection c={c} result={await readMarket(c)} />));

  pages.get("/overview/signals", READ, async (c) => c.html(<SignalsTable c={c} results={await readSignals(c)} />));
}
