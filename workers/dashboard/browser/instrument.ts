/**
 * /app/instrument.js: the instrument page's live candlestick chart (lightweight-charts 5).
 *
 * On every (re)connection the stream's hello starts a sync: messages are held back while the closed bars are read
 * from the API (the newest page the first time, from the last closed bar held after a reconnect, so bars missed while
 * away are filled in) and the newest tick from the feed status, the hello's forming bar is taken, then the held
 * messages are applied in order. Ticks move the
 * forming bar with the platform's own aggregation rule (core/live/live-bars.ts), `bar` messages replace it with the
 * closed bar, `signal` messages add markers and reload the model panel.
 *
 * The live contract on the chart element (#live-chart), for tests and the latency benchmark:
 * - `data-live-socket`: connecting | connected | reconnecting;
 * - `data-live-last-tick-ts`: time (epoch ms) of the newest tick shown (server-rendered first, then from the stream);
 * - `data-live-last-bar-ts`: open time (epoch ms) of the newest closed bar on the chart ("" before any);
 * - `data-live-ready`: "true" once the first sync has drawn the bars.
 * Events on window: `aurum:tick-rendered` { symbol, tsMs, bid, ask } once a streamed tick is applied to the chart and
 * the quote; `aurum:bar-rendered` { symbol, timeframe, tsMs } once a closed bar of the chart's timeframe is drawn (from
 * a `bar` message, or found by the resync after a reconnect).
 */
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  type CandlestickData,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { formatNumber } from "../../../core/display/format.js";
import { LiveBarSeries } from "../../../core/live/live-bars.js";
import { signalMarkers, sortMarkers, tradeMarkers, type ChartMarker } from "../../../core/live/markers.js";
import type { LiveInstrument, LivePageConfig } from "../../../core/live/page-config.js";
import { judgeLive, socketStateText, type SocketState } from "../../../core/live/staleness.js";
import { spreadPoints } from "../../../core/market/tick.js";
import { TIMEFRAME_MS, type Timeframe } from "../../../core/market/timeframe.js";
import { BarsResponseSchema, MarketStatusResponseSchema, MAX_BARS_PER_QUERY, type BarOutput, type BarsResponse, type StreamMessage } from "../../../core/schemas/market-data.js";
import { SignalsResponseSchema, type Signal } from "../../../core/schemas/serving.js";
import { TradesPageSchema } from "../../../core/schemas/trading-api.js";
import type { Trade } from "../../../core/schemas/trading.js";
import { getJson } from "./lib/api-fetch.js";
import { LiveStream } from "./lib/live-stream.js";
import { readLiveConfig, setText, showAge, showFreshness, showTime } from "./lib/live-view.js";

/** Bars read on the first load (the chart scrolls back over them). */
const INITIAL_BARS = 1_000;
/** Bars shown when the chart opens (the newest ones). */
const VISIBLE_BARS = 150;
/** Most pages a resync reads before it gives up filling the gap and reloads the newest bars instead. */
const MAX_RESYNC_PAGES = 4;
/** Closed trades read for markers. */
const TRADE_MARKER_LIMIT = 1_000;
/** Champion signals read for markers (newest first). */
const SIGNAL_MARKER_LIMIT = 5_000;

/** The dashboard's palette (public/css/dashboard.css). */
const COLORS = { background: "#171e26", text: "#e6edf3", grid: "#222c38", line: "#2c3846", up: "#3fb950", down: "#ff7b72", info: "#79c0ff", accent: "#f0b429", muted: "#9fb0c0" };

interface Quote {
  readonly ts: number;
  readonly bid: number;
  readonly ask: number;
}

const toCandle = (bar: BarOutput): CandlestickData<Time> => ({ time: (bar.ts / 1_000) as UTCTimestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close });

function toChartMarker(marker: ChartMarker): SeriesMarker<Time> {
  const time = (marker.barTs / 1_000) as UTCTimestamp;
  if (marker.kind === "signal") {
    if (marker.action === "buy") return { id: marker.id, time, position: "belowBar", shape: "arrowUp", color: COLORS.up, text: marker.text };
    if (marker.action === "sell") return { id: marker.id, time, position: "aboveBar", shape: "arrowDown", color: COLORS.down, text: marker.text };
    return { id: marker.id, time, position: "inBar", shape: "circle", color: COLORS.muted, text: marker.text };
  }
  const color = marker.kind === "entry" ? COLORS.info : COLORS.accent;
  return { id: marker.id, time, position: "atPriceMiddle", price: marker.price, shape: "circle", color, text: marker.text };
}

class LiveChart {
  private readonly symbol: string;
  private readonly timeframe: Timeframe;
  private readonly series: LiveBarSeries;
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<"Candlestick">;
  private readonly markers: ISeriesMarkersPluginApi<Time>;
  private readonly stream: LiveStream;
  private chartNewestTs: number | null = null;
  /** Time of the newest tick known (rendered by the server, then from the stream), epoch ms. */
  private lastTickTsMs: number | null;
  private signals: Signal[] = [];
  private trades: Trade[] = [];
  /** Incremented by every hello: a sync overtaken by a newer connection drops its results. */
  private syncGeneration = 0;
  /** Messages held back while a sync reads the API; null when none is running. */
  private held: StreamMessage[] | null = null;
  private loaded = false;
  private tradesTimer: number | undefined;

  constructor(
    private readonly element: HTMLElement,
    private readonly instrument: LiveInstrument,
    private readonly config: LivePageConfig,
  ) {
    this.symbol = instrument.symbol;
    this.timeframe = config.timeframe ?? "M1";
    this.series = new LiveBarSeries(this.timeframe, instrument.pointSize);
    const serverTs = Number(element.dataset["liveLastTickTs"]);
    this.lastTickTsMs = element.dataset["liveLastTickTs"] && Number.isFinite(serverTs) ? serverTs : null;
    const chart = createChart(element, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: COLORS.background }, textColor: COLORS.text, fontFamily: "system-ui, sans-serif", attributionLogo: false },
      grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
      rightPriceScale: { borderColor: COLORS.line },
      timeScale: { borderColor: COLORS.line, timeVisible: true, secondsVisible: false },
    });
    this.chart = chart;
    this.candles = chart.addSeries(CandlestickSeries, {
      upColor: COLORS.up,
      downColor: COLORS.down,
      borderVisible: false,
      wickUpColor: COLORS.up,
      wickDownColor: COLORS.down,
      priceFormat: { type: "price", precision: instrument.digits, minMove: instrument.pointSize },
    });
    this.markers = createSeriesMarkers(this.candles, []);
    this.stream = new LiveStream(this.symbol, {
      onMessage: (message) => this.receive(message),
      onState: (state) => this.showSocket(state),
    });
    this.showSocket(this.stream.state);
    window.setInterval(() => this.showFreshness(), 1_000);
    window.addEventListener("pagehide", () => this.stream.close());
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) window.location.reload();
    });
  }

  private receive(message: StreamMessage): void {
    if (message.type === "hello") {
      void this.sync(message.forming.filter((bar) => bar.timeframe === this.timeframe));
      return;
    }
    if (this.held !== null) this.held.push(message);
    else this.apply(message);
  }

  private apply(message: StreamMessage): void {
    if (message.type === "tick") this.applyTick(message.tick);
    else if (message.type === "bar" && message.timeframe === this.timeframe) this.applyBar(message.bar);
    else if (message.type === "signal" && message.signal.role === "champion") {
      this.signals.push(message.signal);
      this.drawMarkers();
      document.body.dispatchEvent(new CustomEvent("aurum-signal", { detail: { symbol: this.symbol } }));
    }
  }

  /** Reads the closed bars this connection may have missed, takes the hello's forming bar, then replays what came meanwhile. */
  private async sync(forming: readonly BarOutput[]): Promise<void> {
    const generation = ++this.syncGeneration;
    this.held = [];
    try {
      // Ticks pushed before this connection are not replayed: the newest one comes from the feed status.
      const feedRead = getJson("/api/v1/market/status", MarketStatusResponseSchema);
      // Awaited below; a failure of the bars first must not leave this rejection unhandled.
      feedRead.catch(() => undefined);
      const lastClosedTs = this.series.lastClosedTs();
      const firstLoad = !this.loaded || lastClosedTs === null;
      let added: BarOutput[] = [];
      let reloaded = firstLoad;
      if (firstLoad) {
        const bars = await this.newestClosedBars();
        if (generation !== this.syncGeneration) return;
        this.series.load(bars);
      } else {
        const missed = await this.closedBarsSince(lastClosedTs);
        if (generation !== this.syncGeneration) return;
        if (missed === null) {
          // Away too long to fill the gap bar by bar: start again from the newest bars.
          const bars = await this.newestClosedBars();
          if (generation !== this.syncGeneration) return;
          this.series.load(bars);
          reloaded = true;
        } else {
          added = this.series.merge(missed);
        }
      }
      const feed = (await feedRead).instruments.find((status) => status.symbol === this.symbol);
      if (generation !== this.syncGeneration) return;
      const newest = feed?.lastTick ?? null;
      if (newest !== null && (this.lastTickTsMs === null || newest.ts > this.lastTickTsMs)) {
        this.lastTickTsMs = newest.ts;
        this.showQuote(newest);
      }
      this.series.merge(forming.map((bar) => ({ ...bar, closed: false })), this.lastTickTsMs);
      this.drawAll();
      const count = this.series.bars().length;
      if (reloaded) {
        this.chart.timeScale().setVisibleLogicalRange({ from: Math.max(0, count - VISIBLE_BARS), to: count + 3 });
        this.status(count === 0 ? "No bars yet: the chart fills in as ticks arrive." : `${formatNumber(count, 0)} bars loaded; following the live stream.`);
      } else {
        this.status(added.length === 0 ? "Reconnected; no bars were missed." : `Reconnected; ${added.length} missed ${added.length === 1 ? "bar" : "bars"} filled in.`);
      }
      const held = this.held;
      this.held = null;
      for (const bar of added) this.barRendered(bar.ts);
      for (const message of held) this.apply(message);
      this.loaded = true;
      this.element.dataset["liveReady"] = "true";
      void this.loadMarkers(generation);
    } catch (error: unknown) {
      if (generation !== this.syncGeneration) return;
      this.held = null;
      this.status(`Could not load the bars (${error instanceof Error ? error.message : String(error)}); trying again.`);
      this.stream.restart();
    }
  }

  private async newestClosedBars(): Promise<BarOutput[]> {
    const page = await getJson("/api/v1/market/data", BarsResponseSchema, { symbol: this.symbol, timeframe: this.timeframe, limit: INITIAL_BARS });
    return page.bars.filter((bar) => bar.closed);
  }

  /** Closed bars from `fromTs` (inclusive) on, page by page; null when the gap is too long to fill (reload instead). */
  private async closedBarsSince(fromTs: number): Promise<BarOutput[] | null> {
    const bars: BarOutput[] = [];
    let from: number | null = fromTs;
    for (let page = 0; page < MAX_RESYNC_PAGES && from !== null; page++) {
      const answer: BarsResponse = await getJson("/api/v1/market/data", BarsResponseSchema, { symbol: this.symbol, timeframe: this.timeframe, from, limit: MAX_BARS_PER_QUERY });
      bars.push(...answer.bars.filter((bar) => bar.closed));
      from = answer.next;
    }
    return from === null ? bars : null;
  }

  private applyTick(tick: Quote): void {
    const bar = this.series.applyTick({ tsMs: tick.ts, bid: tick.bid, ask: tick.ask });
    if (bar !== null) this.drawBar(bar);
    if (this.lastTickTsMs === null || tick.ts >= this.lastTickTsMs) {
      this.lastTickTsMs = tick.ts;
      this.showQuote(tick);
    }
    window.dispatchEvent(new CustomEvent("aurum:tick-rendered", { detail: { symbol: this.symbol, tsMs: tick.ts, bid: tick.bid, ask: tick.ask } }));
  }

  private applyBar(bar: BarOutput): void {
    if (this.series.applyClosedBar(bar)) {
      this.drawBar(bar);
      this.scheduleTradeMarkers();
    }
    this.barRendered(bar.ts);
  }

  private barRendered(tsMs: number): void {
    this.element.dataset["liveLastBarTs"] = String(this.series.lastClosedTs() ?? "");
    window.dispatchEvent(new CustomEvent("aurum:bar-rendered", { detail: { symbol: this.symbol, timeframe: this.timeframe, tsMs } }));
  }

  /** Draws one bar: an update of the newest candle or a new one; anything older redraws the series (rare: late ticks). */
  private drawBar(bar: BarOutput): void {
    if (this.chartNewestTs !== null && bar.ts < this.chartNewestTs) {
      this.drawAll();
      return;
    }
    this.candles.update(toCandle(bar));
    this.chartNewestTs = bar.ts;
  }

  private drawAll(): void {
    const bars = this.series.bars();
    this.candles.setData(bars.map(toCandle));
    this.chartNewestTs = bars.at(-1)?.ts ?? null;
    this.element.dataset["liveLastBarTs"] = String(this.series.lastClosedTs() ?? "");
    this.drawMarkers();
  }

  private async loadMarkers(generation: number): Promise<void> {
    const first = this.series.bars()[0];
    if (first === undefined) return;
    try {
      const [signals, trades] = await Promise.all([
        getJson(`/api/v1/signals/${this.symbol}`, SignalsResponseSchema, { role: "champion", from: first.ts, limit: SIGNAL_MARKER_LIMIT }),
        getJson("/api/v1/trades", TradesPageSchema, { symbol: this.symbol, from: first.ts, limit: TRADE_MARKER_LIMIT }),
      ]);
      if (generation !== this.syncGeneration) return;
      // Signals pushed while these were read are kept (the list is deduplicated by bar time).
      const known = new Map(signals.signals.map((signal) => [signal.ts, signal]));
      for (const signal of this.signals) if (!known.has(signal.ts)) known.set(signal.ts, signal);
      this.signals = [...known.values()];
      this.trades = trades.trades;
      this.drawMarkers();
    } catch (error: unknown) {
      this.status(`The bars are live, but the markers could not be loaded (${error instanceof Error ? error.message : String(error)}).`);
    }
  }

  /** Closed trades change only when positions close: read them again shortly after a bar closes. */
  private scheduleTradeMarkers(): void {
    window.clearTimeout(this.tradesTimer);
    this.tradesTimer = window.setTimeout(() => void this.loadMarkers(this.syncGeneration), 2_000);
  }

  private drawMarkers(): void {
    const bars = this.series.bars();
    const first = bars[0];
    const last = bars.at(-1);
    if (first === undefined || last === undefined) {
      this.markers.setMarkers([]);
      return;
    }
    const range = { fromTs: first.ts, toTs: last.ts + TIMEFRAME_MS[this.timeframe] - 1 };
    const markers = sortMarkers([...signalMarkers(this.signals, this.timeframe, range), ...tradeMarkers(this.trades, this.timeframe, range)]);
    this.markers.setMarkers(markers.filter((marker) => marker.barTs <= last.ts).map(toChartMarker));
  }

  private showQuote(quote: Quote): void {
    const { digits, pointSize } = this.instrument;
    setText(liveCell("bid"), formatNumber(quote.bid, digits));
    setText(liveCell("ask"), formatNumber(quote.ask, digits));
    setText(liveCell("spread"), `${formatNumber(spreadPoints(quote, pointSize), 1)} points`);
    const lastTick = liveCell("last-tick");
    if (lastTick !== null) showTime(lastTick, quote.ts);
    const age = liveCell("age");
    if (age !== null) showAge(age, quote.ts, Date.now());
    this.element.dataset["liveLastTickTs"] = String(quote.ts);
    this.showFreshness();
  }

  private showSocket(state: SocketState): void {
    this.element.dataset["liveSocket"] = state;
    this.showFreshness();
  }

  /** The feed badge and the socket indicator, judged again (every second and on every change). */
  private showFreshness(): void {
    const nowMs = Date.now();
    const badge = liveCell("freshness");
    const judgement = judgeLive({ instrument: this.instrument, lastTickTsMs: this.lastTickTsMs, lastHeardAtMs: this.stream.lastHeardAtMs, nowMs, feedMaxAgeMs: this.config.feedMaxAgeMs });
    if (badge !== null) showFreshness(badge, judgement);
    setText(liveCell("socket"), socketStateText(this.stream.state, this.stream.retryAtMs, nowMs));
  }

  private status(text: string): void {
    setText(document.querySelector('[data-live="chart-status"]'), text);
  }
}

const liveCell = (name: string): HTMLElement | null => document.querySelector<HTMLElement>(`[data-live="${name}"]`);

const element = document.getElementById("live-chart");
const config = readLiveConfig();
const instrument = config?.instruments[0];
if (element !== null && config !== null && instrument !== undefined) new LiveChart(element, instrument, config);
