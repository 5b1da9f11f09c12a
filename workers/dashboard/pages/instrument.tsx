/**
 * The instrument view `/instruments/{symbol}?timeframe=`: a live candlestick chart (bars from the API, then the
 * stream; drawn by /app/instrument.js with lightweight-charts) with signal and trade markers, a timeframe switch,
 * the newest quote with its spread and freshness, the market regime, and the champion model's latest signal with its
 * class probabilities (an htmx fragment, refreshed on every live signal and every 10 s).
 */
import { formatNumber, formatPercent } from "../../../core/display/format.js";
import type { Instrument } from "../../../core/instruments/instrument.js";
import { TIMEFRAMES, TimeframeSchema, type Timeframe } from "../../../core/market/timeframe.js";
import { MarketStatusResponseSchema, type InstrumentMarketStatus, type MarketStatusResponse } from "../../../core/schemas/market-data.js";
import { LatestSignalResponseSchema, type Signal } from "../../../core/schemas/serving.js";
import type { ApiResult } from "../api-client.js";
import { Age, ApiError, Badge, Loaded, Notice, Panel, Stat, Time } from "../components.js";
import type { DashboardContext } from "../page-access.js";
import { render, symbolsOf, type Pages } from "../pages.js";
import { ACTION_TONES, FreshnessBadge, freshnessReason, LiveConfig, liveConfigOf, READ } from "./overview.js";

const PAGE_PATH = "/instruments/:symbol";

/** The element the chart is drawn in; its data-live-* attributes are the page's live contract (see instrument.ts). */
export const LIVE_CHART_ID = "live-chart";

/** The model's latest signal and the regime, as the fragment and the page show them. */
function ModelSummary(props: { signal: ApiResult<{ signal: Signal | null }>; status: InstrumentMarketStatus | null; nowMs: number }) {
  const regime = props.status?.regime ?? null;
  return (
    <>
      <dl class="stats">
        <Stat label="Regime" hint={regime === null ? "judged at each signal bar" : undefined}>
          {regime === null ? <span class="muted">not judged yet</span> : <span>{regime.regime}</span>}
        </Stat>
        {regime === null ? null : (
          <Stat label="Regime judged at">
            <Time ms={regime.barTs} seconds={false} />
          </Stat>
        )}
      </dl>
      <Loaded result={props.signal} what="the latest signal" ok={(value) => <SignalSummary signal={value.signal} nowMs={props.nowMs} />} />
    </>
  );
}

function SignalSummary(props: { signal: Signal | null; nowMs: number }) {
  const signal = props.signal;
  if (signal === null) {
    return <p class="muted">No signal yet: signals need a deployed champion model and features warmed up on closed M1 bars.</p>;
  }
  const entries = Object.entries(signal.probabilities);
  return (
    <>
      <dl class="stats">
        <Stat label="Action">
          <Badge tone={ACTION_TONES[signal.action]} label={`Model action ${signal.action}`}>
            {signal.action}
          </Badge>
        </Stat>
        <Stat label="Confidence">{formatPercent(signal.confidence, 1)}</Stat>
        <Stat label="Signal bar (M1)">
          <Time ms={signal.ts} seconds={false} />
        </Stat>
        <Stat label="Made">
          <Age ms={signal.createdAtMs} nowMs={props.nowMs} />
        </Stat>
      </dl>
      <h3>Class probabilities</h3>
      <div class="bars">
        {entries.map(([label, probability]) => (
          <>
            <span>{label}</span>
            <span class="bar-track" aria-hidden="true">
              <span class={`bar-fill ${probability === signal.confidence ? "positive" : "neutral"}`} style={`left:0;width:${(Math.min(1, Math.max(0, probability)) * 100).toFixed(1)}%`}></span>
            </span>
            <span class="num">{formatPercent(probability, 1)}</span>
          </>
        ))}
      </div>
      <p class="muted">
        Model <code>{signal.modelVersion}</code> (champion).
      </p>
    </>
  );
}

/** The newest quote: filled in by the server, then kept current by the stream. */
function QuoteStats(props: { instrument: Instrument; status: InstrumentMarketStatus; market: MarketStatusResponse }) {
  const tick = props.status.lastTick;
  const digits = props.instrument.digits;
  return (
    <dl class="stats">
      <Stat label="Bid">
        <span class="num" data-live="bid">
          {formatNumber(tick?.bid, digits)}
        </span>
      </Stat>
      <Stat label="Ask">
        <span class="num" data-live="ask">
          {formatNumber(tick?.ask, digits)}
        </span>
      </Stat>
      <Stat label="Spread">
        <span class="num" data-live="spread">
          {props.status.spreadPoints === null ? "—" : `${formatNumber(props.status.spreadPoints, 1)} points`}
        </span>
      </Stat>
      <Stat label="Last tick">
        <span data-live="last-tick">
          <Time ms={tick?.ts} />
        </span>
      </Stat>
      <Stat label="Tick age">
        <span data-live="age">
          <Age ms={tick?.ts} nowMs={props.market.nowMs} />
        </span>
      </Stat>
      <Stat label="Feed">
        <FreshnessBadge status={props.status.freshness.status} reason={freshnessReason(props.instrument, props.status, props.market)} live="freshness" />
      </Stat>
      <Stat label="Live stream">
        <span data-live="socket">connecting…</span>
      </Stat>
    </dl>
  );
}

function TimeframeSwitch(props: { symbol: string; current: Timeframe }) {
  return (
    <nav aria-label="Timeframe" class="timeframes">
      {TIMEFRAMES.map((timeframe) => (
        <a
          class={timeframe === props.current ? "button button-primary" : "button"}
          href={`/instruments/${props.symbol}?timeframe=${timeframe}`}
          aria-current={timeframe === props.current ? "page" : undefined}
        >
          {timeframe}
        </a>
      ))}
    </nav>
  );
}

function NotDeclared(props: { symbol: string; symbols: readonly string[] }) {
  return (
    <>
      <Notice tone="bad">No instrument '{props.symbol}' is declared.</Notice>
      <p>
        Declared instruments:{" "}
        {props.symbols.map((symbol, i) => (
          <>
            {i > 0 ? ", " : null}
            <a href={`/instruments/${symbol}`}>{symbol}</a>
          </>
        ))}
        .
      </p>
    </>
  );
}

function statusOf(market: MarketStatusResponse, symbol: string): InstrumentMarketStatus | null {
  return market.instruments.find((status) => status.symbol === symbol) ?? null;
}

const readMarket = (c: DashboardContext) => c.get("api").get("/api/v1/market/status", MarketStatusResponseSchema);
const readSignal = (c: DashboardContext, symbol: string) => c.get("api").get(`/api/v1/signals/${symbol}/latest`, LatestSignalResponseSchema);

export function instrumentPages(pages: Pages): void {
  pages.get(PAGE_PATH, READ, async (c) => {
    const requested = c.req.param("symbol") ?? "";
    const instrument = c.get("platform").instruments.find(requested);
    if (instrument === undefined) {
      const canonical = c.get("platform").instruments.find(requested.toUpperCase());
      if (canonical !== undefined) return c.redirect(`/instruments/${canonical.symbol}${new URL(c.req.url).search}`, 301);
      return render(c, { title: "Instrument not found", active: "", body: <NotDeclared symbol={requested} symbols={symbolsOf(c)} /> }, 404);
    }
    const symbol = instrument.symbol;
    const timeframeQuery = c.req.query("timeframe");
    const timeframe = TimeframeSchema.safeParse(timeframeQuery ?? "M1");
    if (!timeframe.success) {
      return render(
        c,
        {
          title: `${symbol}`,
          active: `instrument:${symbol}`,
          body: (
            <>
              <Notice tone="bad">'{timeframeQuery}' is not a timeframe. Choose one of {TIMEFRAMES.join(", ")}.</Notice>
              <TimeframeSwitch symbol={symbol} current="M1" />
            </>
          ),
        },
        400,
      );
    }
    const nowMs = Date.now();
    const [market, signal] = await Promise.all([readMarket(c), readSignal(c, symbol)]);
    const title = `${symbol} · ${instrument.description}`;
    if (!market.ok) return render(c, { title, active: `instrument:${symbol}`, body: <ApiError failure={market} what={`the ${symbol} feed`} /> }, 502);
    const status = statusOf(market.value, symbol);
    if (status === null) return render(c, { title, active: `instrument:${symbol}`, body: <Notice tone="bad">The feed status has no entry for {symbol}.</Notice> }, 502);
    const tf = timeframe.data;
    return render(c, {
      title,
      active: `instrument:${symbol}`,
      scripts: ["/app/instrument.js"],
      body: (
        <>
          <div class="toolbar">
            <TimeframeSwitch symbol={symbol} current={tf} />
          </div>
          <div class="grid">
            <Panel title={`${symbol} ${tf} candles`} id="chart" wide>
              <div
                id={LIVE_CHART_ID}
                class="chart"
                role="img"
                aria-label={`Candlestick chart of ${symbol} bids, ${tf} bars, times in UTC`}
                data-symbol={symbol}
                data-timeframe={tf}
                data-digits={String(instrument.digits)}
                data-point-size={String(instrument.pointSize)}
                data-live-socket="connecting"
                data-live-last-tick-ts={status.lastTick === null ? "" : String(status.lastTick.ts)}
                data-live-last-bar-ts=""
                data-live-ready="false"
              ></div>
              <p class="muted" data-live="chart-status" role="status">
                Loading bars…
              </p>
              <p class="muted">
                Candles of the bid, times in UTC (+00:00). Markers: arrows where the champion model's signal turned buy (up)
                or sell (down); circles at the entries and exits of closed trades, at their fill prices.
              </p>
            </Panel>
            <Panel title="Quote" id="quote" wide>
              <QuoteStats instrument={instrument} status={status} market={market.value} />
            </Panel>
            <Panel title="Model and market" id="model" wide>
              <div id="instrument-model" hx-get={`/instruments/${symbol}/model`} hx-trigger="every 10s, aurum-signal from:body" hx-swap="innerHTML">
                <ModelSummary signal={signal} status={status} nowMs={nowMs} />
              </div>
            </Panel>
          </div>
          <LiveConfig config={liveConfigOf(c, [symbol], market.value.feedMaxAgeMs, tf)} />
        </>
      ),
    });
  });

  pages.get(`${PAGE_PATH}/model`, READ, async (c) => {
    const instrument = c.get("platform").instruments.find(c.req.param("symbol") ?? "");
    if (instrument === undefined) return c.html(<Notice tone="bad">No such instrument.</Notice>, 404);
    const [market, signal] = await Promise.all([readMarket(c), readSignal(c, instrument.symbol)]);
    const status = market.ok ? statusOf(market.value, instrument.symbol) : null;
    return c.html(
      <>
        {market.ok ? null : <ApiError failure={market} what="the regime" />}
        <ModelSummary signal={signal} status={status} nowMs={Date.now()} />
      </>,
    );
  });
}
