/**
 * Builders for the execution, trading and backtest tests: an XAUUSD-like instrument, trading configs, source bars,
 * positions, model signals, and a harness that drives an InstrumentTrader with an in-process AccountBook in the same
 * order core/backtest/run-backtest.ts does (a bar's close and its decisions before the next bar's first quote).
 */
import { pathBar } from "../../../core/backtest/path-bar.js";
import type { Bar } from "../../../core/market/bar.js";
import { barToTicks, type SourceBar } from "../../../core/market/tick-path.js";
import { AccountBook, type AccountBookState, type AccountEvent } from "../../../core/risk/account-book.js";
import {
  InstrumentTradingConfigSchema,
  RiskLimitsSchema,
  type EntryContext,
  type Fill,
  type InstrumentTradingConfig,
  type InstrumentTradingConfigInput,
  type OrderRequest,
  type Position,
  type RiskDecision,
  type RiskEvent,
  type RiskLimits,
  type RiskLimitsInput,
  type Trade,
} from "../../../core/schemas/trading.js";
import {
  InstrumentTrader,
  type InstrumentTraderState,
  type ModelSignalInput,
  type TraderSink,
} from "../../../core/trading/instrument-trader.js";
import { mulberry32 } from "../../../training/models/random.js";

/** 2026-03-24 14:00:00 UTC, a Tuesday inside XAUUSD trading hours. */
export const T0_MS = Date.UTC(2026, 2, 24, 14, 0, 0);
export const MINUTE_MS = 60_000;
/** 20 points: the XAUUSD spread used by every hand-made bar. */
export const SPREAD_POINTS = 20;
export const SPREAD = 0.2;

/** XAUUSD as the catalogue ships it: 2 digits, 0.01 point, 100 oz per lot. */
export const XAUUSD = Object.freeze({ symbol: "XAUUSD", digits: 2, pointSize: 0.01, contractSize: 100 });

/**
 * EMA(3)/EMA(7) weigh the newest close by 1/2 and 1/4, so every EMA of the hand-made bars is exact in binary floating
 * point and a cross can be checked by hand; ATR(3) warms up in four bars.
 */
export const SMALL_EMA_CROSS = Object.freeze({ kind: "ema-cross", fastPeriod: 3, slowPeriod: 7, atrPeriod: 3 } as const);

/** A parsed XAUUSD trading config: the small EMA cross, no costs, stop 2 ATR, target 3 ATR, unless overridden. */
export function makeTrading(overrides: Partial<InstrumentTradingConfigInput> = {}): InstrumentTradingConfig {
  return InstrumentTradingConfigSchema.parse({ symbol: "XAUUSD", strategy: SMALL_EMA_CROSS, ...overrides });
}

/** Risk limits: the schema's defaults (fixed 1 lot, one position per symbol) plus `overrides`. */
export function makeLimits(overrides: RiskLimitsInput = {}): RiskLimits {
  return RiskLimitsSchema.parse(overrides);
}

/** A source bar (bid OHLC, 20-point spread) at minute `index` after T0. */
export function makeSource(index: number, ohlc: { open: number; high: number; low: number; close: number }, spreadPoints = SPREAD_POINTS): SourceBar {
  return { tsMs: T0_MS + index * MINUTE_MS, ...ohlc, tickVolume: 4, spreadPoints };
}

/** Seven quiet bars (open = close = 2300, range 2299.5–2300.5, so true range 1 and ATR(3) exactly 1). */
export function quietBars(count = 7, startIndex = 0): SourceBar[] {
  return Array.from({ length: count }, (_, i) => makeSource(startIndex + i, { open: 2300, high: 2300.5, low: 2299.5, close: 2300 }));
}

/**
 * The ema-cross scenario every trader test starts from (EMA 3/7, ATR 3, 20-point spread):
 * - bars 0–6: quiet at 2300 (both EMAs 2300, ATR 1);
 * - bar 7 (BUY_SIGNAL): close 2302 → fast 2301 > slow 2300.5, true range 4 → ATR (1·2 + 4)/3 = 2;
 * - bar 8 (ENTRY_BAR): opens at bid 2302.1 / ask 2302.3, where the long fills (stop 2298.3, target 2308.3); its path
 *   2302.1 → 2302.5 → 2301.5 → 2302 touches neither level;
 * - bar 9 (SELL_SIGNAL): path 2302 → 2302.2 → 2298.9 → 2299 (above the long's stop); close 2299 → fast 2300.25 <
 *   slow 2300.40625 (the bar before: 2301.5 ≥ 2300.875);
 * - bar 10 (REVERSE_BAR): opens at bid 2299.1 / ask 2299.3, where the reversal fills.
 */
export const BUY_SIGNAL = 7;
export const ENTRY_BAR = 8;
export const SELL_SIGNAL = 9;
export const REVERSE_BAR = 10;
export function crossScenario(): SourceBar[] {
  return [
    ...quietBars(7),
    makeSource(BUY_SIGNAL, { open: 2300, high: 2303.5, low: 2299.5, close: 2302 }),
    makeSource(ENTRY_BAR, { open: 2302.1, high: 2302.5, low: 2301.5, close: 2302 }),
    makeSource(SELL_SIGNAL, { open: 2302, high: 2302.2, low: 2298.9, close: 2299 }),
    makeSource(REVERSE_BAR, { open: 2299.1, high: 2299.6, low: 2298.8, close: 2299.2 }),
  ];
}

/** The project's seeded generator (the trainer's), re-exported for the tests that build on these helpers. */
export { mulberry32 };

/** `count` contiguous bars of a seeded random walk from `startPrice`, prices on the 0.01 grid, minutes from `startIndex`. */
export function walkBars(count: number, options: { seed?: number; startIndex?: number; startPrice?: number } = {}): SourceBar[] {
  const { seed = 7, startIndex = 0, startPrice = 2300 } = options;
  const random = mulberry32(seed);
  const cents = (value: number) => Math.round(value * 100) / 100;
  let close = startPrice;
  return Array.from({ length: count }, (_, i) => {
    const open = cents(close + (random() - 0.5) * 0.4);
    close = cents(open + (random() - 0.5) * 3);
    const high = cents(Math.max(open, close) + random() * 1.2);
    const low = cents(Math.min(open, close) - random() * 1.2);
    return makeSource(startIndex + i, { open, high, low, close });
  });
}

/** A model signal with buy probability `buy` (sell = 1 − buy) from model "v1". */
export function makeSignal(buy: number, modelVersion = "v1"): ModelSignalInput {
  const sell = 1 - buy;
  return {
    modelVersion,
    action: buy > sell ? "buy" : sell > buy ? "sell" : "hold",
    confidence: Math.max(buy, sell),
    buyProbability: buy,
    sellProbability: sell,
  };
}

/** A manual entry's context (no ATR unless given). */
export function makeEntry(overrides: Partial<EntryContext> = {}): EntryContext {
  return { strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, regime: "unknown", atr: null, ...overrides };
}

/** An open XAUUSD long of 1 lot (100 oz) at 2300 with stop 2295 and target 2310, at T0, no costs. */
export function makePosition(overrides: Partial<Position> = {}): Position {
  const entryPrice = overrides.entryPrice ?? 2300;
  return {
    id: "XAUUSD-1",
    accountId: "test",
    symbol: "XAUUSD",
    side: "buy",
    lots: 1,
    units: 100,
    entryTsMs: T0_MS,
    entryPrice,
    stopPrice: 2295,
    stopReason: "initial",
    initialStopPrice: overrides.stopPrice === undefined ? 2295 : overrides.stopPrice,
    targetPrice: 2310,
    entryCommissionUsd: 0,
    entrySlippageUsd: 0,
    worstPrice: entryPrice,
    bestPrice: entryPrice,
    entry: makeEntry(),
    ...overrides,
  };
}

/** A JSON round trip, as Durable Object storage does it. */
export function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** One order request the harness passed to the account, with the account's decision. */
export interface Decided {
  readonly request: OrderRequest;
  readonly decision: RiskDecision;
}

/**
 * An InstrumentTrader wired to an AccountBook as the backtester wires them: account events are applied to the book at
 * once, requests returned by a bar close are evaluated by the book and decided before the next quote. Everything the
 * trader reports is kept, in order, for the tests to read.
 */
export class TraderHarness {
  readonly trader: InstrumentTrader;
  readonly book: AccountBook;
  readonly fills: Fill[] = [];
  readonly trades: Trade[] = [];
  readonly accountEvents: AccountEvent[] = [];
  readonly riskEvents: RiskEvent[] = [];
  readonly decided: Decided[] = [];
  readonly sink: TraderSink;

  constructor(
    readonly trading: InstrumentTradingConfig = makeTrading(),
    readonly limits: RiskLimits = makeLimits(),
    resume: { trader?: InstrumentTraderState; book?: AccountBookState } = {},
  ) {
    this.trader = new InstrumentTrader({ accountId: "test", instrument: XAUUSD, trading }, resume.trader);
    this.book = new AccountBook("test", 100_000, resume.book);
    this.sink = {
      accountEvent: (event) => {
        this.accountEvents.push(event);
        this.riskEvents.push(...this.book.apply(event, this.limits));
      },
      record: (record) => {
        if (record.kind === "fill") this.fills.push(record.fill);
        else if (record.kind === "trade") this.trades.push(record.trade);
      },
    };
  }

  /** A harness resumed from this one's trader and book state after a JSON round trip (a Durable Object restart). */
  restarted(): TraderHarness {
    return new TraderHarness(this.trading, this.limits, { trader: roundTrip(this.trader.snapshot()), book: roundTrip(this.book.state()) });
  }

  quote(tsMs: number, bid: number, ask: number = Math.round((bid + SPREAD) * 100) / 100): void {
    this.trader.onQuote(tsMs, bid, ask, this.sink);
  }

  /** Hands the closed bar to the trader and has the account decide what it requests; returns those decisions. */
  closeBar(bar: Bar, signal: ModelSignalInput | null = null): Decided[] {
    const requests = this.trader.onBarClosed(bar, signal, this.sink);
    return requests.map((request) => this.submit(request));
  }

  /** Has the account evaluate `request` and passes the decision to the trader. */
  submit(request: OrderRequest): Decided {
    const { decision, events } = this.book.evaluate(request, this.limits);
    this.riskEvents.push(...events);
    this.trader.decide(decision);
    const decided = { request, decision };
    this.decided.push(decided);
    return decided;
  }

  /** The source bar's standard tick path as quotes, then its close; returns the close's decisions. */
  playBar(source: SourceBar, signal: ModelSignalInput | null = null): Decided[] {
    for (const tick of barToTicks(source, XAUUSD)) this.quote(tick.tsMs, tick.bid, tick.ask);
    return this.closeBar(pathBar(source, XAUUSD), signal);
  }

  /** Only the first quote of the source bar's path (the quote that fills what the previous close decided). */
  firstQuote(source: SourceBar): void {
    const [first] = barToTicks(source, XAUUSD);
    this.quote(first!.tsMs, first!.bid, first!.ask);
  }

  /** The rest of the source bar's path after its first quote, then its close; returns the close's decisions. */
  finishBar(source: SourceBar, signal: ModelSignalInput | null = null): Decided[] {
    for (const tick of barToTicks(source, XAUUSD).slice(1)) this.quote(tick.tsMs, tick.bid, tick.ask);
    return this.closeBar(pathBar(source, XAUUSD), signal);
  }

  play(sources: readonly SourceBar[], signalAt?: (source: SourceBar) => ModelSignalInput | null): void {
    for (const source of sources) this.playBar(source, signalAt ? signalAt(source) : null);
  }
}
