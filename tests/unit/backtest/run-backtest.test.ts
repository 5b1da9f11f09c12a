/**
 * The backtest loop on real XAUUSD M1 bars (the shipped demo file) with the README's ema-cross rules, checked against
 * an independent reading of the same bars: entries on the first tick of the bar after a cross, at its open (plus the
 * spread for a buy), stops and targets placed from the signal bar's ATR and filled where the standard tick path first
 * reaches them (at the level, or at the price a minute's first tick gapped to), one entry or reversal per cross, and an
 * equity point per bar and per fill. Also: the loop drives the kernel exactly as the test harness does, and its
 * end-of-data close.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { computeMetrics } from "../../../core/backtest/metrics.js";
import { runBacktest, type BacktestInput, type BacktestResult } from "../../../core/backtest/run-backtest.js";
import { AverageTrueRange, ExponentialMovingAverage, runBatch } from "../../../core/indicators/index.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../../core/instruments/catalog.js";
import { barToTicks, type SourceBar } from "../../../core/market/tick-path.js";
import { roundTo } from "../../../core/market/tick.js";
import { InstrumentTradingConfigSchema, RiskLimitsSchema, type Side, type Trade } from "../../../core/schemas/trading.js";
import { demoBars } from "../../support/node/demo-data.js";
import { crossScenario, ENTRY_BAR, makeLimits, makeTrading, REVERSE_BAR, TraderHarness, walkBars, XAUUSD as SMALL_XAUUSD } from "../trading/trading-builders.js";

const BAR_COUNT = 5_000;
const INSTRUMENT = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find("XAUUSD")!;
const { pointSize, digits } = INSTRUMENT;
/** The README's rules: EMA 12/26, ATR 14, stop 2 ATR, target 3 ATR, 1 lot, no costs. */
const TRADING = InstrumentTradingConfigSchema.parse({ symbol: "XAUUSD", strategy: { kind: "ema-cross" } });
const LIMITS = RiskLimitsSchema.parse({ maxDrawdownPct: 100, maxDailyLossPct: 100 });

let bars: SourceBar[];
let result: BacktestResult;
let input: BacktestInput;
const indexOfMs = new Map<number, number>();
/** The cross of each bar from EMA(12) and EMA(26) of the closes, computed here; null when none. */
let crossAt: (Side | null)[];
let atr: (number | undefined)[];

beforeAll(() => {
  bars = demoBars().slice(0, BAR_COUNT);
  bars.forEach((bar, index) => indexOfMs.set(bar.tsMs, index));
  input = { bars, instrument: INSTRUMENT, trading: TRADING, limits: LIMITS, initialBalanceUsd: 100_000 };
  result = runBacktest(input);
  const closes = bars.map((bar) => bar.close);
  const fast = runBatch(new ExponentialMovingAverage({ period: 12 }), closes);
  const slow = runBatch(new ExponentialMovingAverage({ period: 26 }), closes);
  crossAt = bars.map((_, i) => {
    const [f, s, pf, ps] = [fast[i], slow[i], fast[i - 1], slow[i - 1]];
    if (f === undefined || s === undefined || pf === undefined || ps === undefined) return null;
    if (f > s && pf <= ps) return "buy";
    if (f < s && pf >= ps) return "sell";
    return null;
  });
  atr = runBatch(new AverageTrueRange({ period: 14 }), bars);
});

function barIndex(tsMs: number): number {
  const index = indexOfMs.get(tsMs);
  if (index === undefined) throw new Error(`no bar opens at ${new Date(tsMs).toISOString()}`);
  return index;
}

const askOf = (bid: number, source: SourceBar) => roundTo(bid + source.spreadPoints * pointSize, digits);

/**
 * Where the standard tick path first reaches the trade's stop (checked first) or target after its entry tick: the
 * bid for a long, the ask for a short; at the level within a minute, at the tick's price on a minute's first tick.
 */
function firstLevelHit(trade: Trade): { tsMs: number; reason: "stop-loss" | "take-profit"; price: number } | null {
  const long = trade.side === "buy";
  const stop = trade.initialStopPrice!;
  const target = trade.targetPrice!;
  for (let b = barIndex(trade.entryTsMs); b < bars.length; b++) {
    const source = bars[b]!;
    for (const tick of barToTicks(source, INSTRUMENT)) {
      if (tick.tsMs <= trade.entryTsMs) continue;
      const price = long ? tick.bid : tick.ask;
      const gapped = tick.tsMs === source.tsMs;
      if (long ? price <= stop : price >= stop) return { tsMs: tick.tsMs, reason: "stop-loss", price: gapped ? price : stop };
      if (long ? price >= target : price <= target) return { tsMs: tick.tsMs, reason: "take-profit", price: gapped ? price : target };
    }
  }
  return null;
}

describe(`runBacktest on the first ${BAR_COUNT} demo bars (ema-cross 12/26, ATR 14)`, () => {
  it("trades in an account that stays ACTIVE and refuses nothing", () => {
    expect(result.trades.length).toBeGreaterThan(100);
    expect(result.deniedByCode).toEqual({});
    expect(result.riskEvents.filter((event) => event.kind === "state-changed" || event.kind === "order-denied")).toEqual([]);
    expect(result.trades.every((trade) => trade.strategy === "ema-cross" && trade.lots === 1 && trade.units === 100)).toBe(true);
    expect(result.fills).toHaveLength(2 * result.trades.length);
    expect([result.bars, result.ticks]).toEqual([BAR_COUNT, 4 * BAR_COUNT]);
  });

  it("enters on the first tick of the bar after a cross bar, at its open (plus the spread for a buy)", () => {
    for (const trade of result.trades) {
      const signal = barIndex(trade.signalTsMs!);
      expect(crossAt[signal], `cross on the signal bar of ${trade.id}`).toBe(trade.side);
      const next = bars[signal + 1]!;
      expect(trade.entryTsMs).toBe(next.tsMs);
      expect(trade.entryPrice).toBe(trade.side === "buy" ? askOf(next.open, next) : next.open);
    }
  });

  it("places the stop 2 ATR and the target 3 ATR from the entry with the signal bar's ATR(14), rounded to cents", () => {
    for (const trade of result.trades) {
      const signalAtr = atr[barIndex(trade.signalTsMs!)]!;
      const dir = trade.side === "buy" ? 1 : -1;
      expect(trade.initialStopPrice).toBe(roundTo(trade.entryPrice - dir * 2 * signalAtr, digits));
      expect(trade.targetPrice).toBe(roundTo(trade.entryPrice + dir * 3 * signalAtr, digits));
      expect(trade.stopPrice).toBe(trade.initialStopPrice); // no trailing, no break-even
    }
  });

  it("exits where the tick path first reaches the stop or the target, unless a reversal came first", () => {
    const reasons = new Set<string>();
    result.trades.forEach((trade, index) => {
      reasons.add(trade.exitReason);
      const hit = firstLevelHit(trade);
      if (trade.exitReason === "stop-loss" || trade.exitReason === "take-profit") {
        expect(hit, `level hit of ${trade.id}`).toEqual({ tsMs: trade.exitTsMs, reason: trade.exitReason, price: trade.exitPrice });
        const bar = bars[barIndex(Math.floor(trade.exitTsMs / 60_000) * 60_000)]!;
        const gapped = trade.exitTsMs === bar.tsMs;
        const long = trade.side === "buy";
        // The bar-level reading of the same rule: the level is inside the bar's (bid or ask) range, and filled there
        // or at the open that had already passed it.
        const open = long ? bar.open : askOf(bar.open, bar);
        if (trade.exitReason === "stop-loss") {
          const stop = trade.initialStopPrice!;
          if (long) expect(bar.low).toBeLessThanOrEqual(stop);
          else expect(askOf(bar.high, bar)).toBeGreaterThanOrEqual(stop);
          expect(trade.exitPrice).toBe(gapped ? open : stop);
          if (gapped) expect(long ? open <= stop : open >= stop).toBe(true);
        } else {
          const target = trade.targetPrice!;
          if (long) expect(bar.high).toBeGreaterThanOrEqual(target);
          else expect(askOf(bar.low, bar)).toBeLessThanOrEqual(target);
          expect(trade.exitPrice).toBe(gapped ? open : target);
          if (gapped) expect(long ? open >= target : open <= target).toBe(true);
        }
      } else if (trade.exitReason === "reverse-signal") {
        // Closed on the quote the opposite entry filled on, before any level was reached.
        const next = result.trades[index + 1]!;
        expect(next.entryTsMs).toBe(trade.exitTsMs);
        expect(next.side).not.toBe(trade.side);
        expect(hit === null || hit.tsMs > trade.exitTsMs).toBe(true);
        const bar = bars[barIndex(trade.exitTsMs)]!;
        expect(trade.exitPrice).toBe(trade.side === "buy" ? bar.open : askOf(bar.open, bar));
      } else {
        expect(trade.exitReason).toBe("end-of-data");
        expect(index).toBe(result.trades.length - 1);
        expect(hit).toBeNull();
      }
    });
    expect([...reasons].sort()).toEqual(expect.arrayContaining(["reverse-signal", "stop-loss", "take-profit"]));
  });

  it("turns every cross into an entry or a reversal, except a cross to the side already held", () => {
    const bySignal = new Map(result.trades.map((trade) => [trade.signalTsMs!, trade]));
    let crosses = 0;
    let alreadyHeld = 0;
    // The last bar's cross could only fill on a quote after the data.
    for (let i = 0; i < bars.length - 1; i++) {
      const side = crossAt[i];
      if (side === null || side === undefined) continue;
      crosses += 1;
      // Held at the decision: entered by the bar's last tick and not exited before the next bar's first.
      const decisionMs = bars[i + 1]!.tsMs;
      const held = result.trades.find((trade) => trade.entryTsMs < decisionMs && trade.exitTsMs >= decisionMs);
      const trade = bySignal.get(bars[i]!.tsMs);
      if (held?.side === side) {
        alreadyHeld += 1;
        expect(trade).toBeUndefined();
      } else {
        expect(trade, `entry for the ${side} cross at ${new Date(bars[i]!.tsMs).toISOString()}`).toMatchObject({ side });
        if (held !== undefined) expect(["reverse-signal", "stop-loss", "take-profit"]).toContain(held.exitReason);
      }
    }
    expect(crosses).toBeGreaterThan(100);
    expect(result.trades).toHaveLength(crosses - alreadyHeld);
  });

  it("keeps one position at a time", () => {
    for (let i = 1; i < result.trades.length; i++) {
      expect(result.trades[i]!.entryTsMs).toBeGreaterThanOrEqual(result.trades[i - 1]!.exitTsMs);
    }
  });

  it("records equity after every bar and every fill, in time order, ending at the deposit plus the net P&L", () => {
    expect(result.equity).toHaveLength(bars.length + result.fills.length);
    for (let i = 1; i < result.equity.length; i++) expect(result.equity[i]!.tsMs).toBeGreaterThanOrEqual(result.equity[i - 1]!.tsMs);
    const net = result.trades.reduce((sum, trade) => sum + trade.netPnlUsd, 0);
    expect(result.equity.at(-1)!.balanceUsd).toBeCloseTo(100_000 + net, 6);
    expect(result.equity.at(-1)!.equityUsd).toBeCloseTo(100_000 + net, 6);
    expect(() => computeMetrics(result.trades, result.equity, 100_000)).not.toThrow();
  });

  it("is deterministic: a second run deep-equals the first", () => {
    expect(runBacktest(input)).toEqual(result);
  });
});

describe("runBacktest's event loop", () => {
  it("drives the trader and the account exactly as the test harness does", () => {
    const sources = [...crossScenario(), ...walkBars(300, { startIndex: REVERSE_BAR + 1, startPrice: 2299.2, seed: 19 })];
    const trading = makeTrading({ exits: { trailingAtr: 2, breakEvenAtr: 1 }, execution: { slippage: { kind: "fixed", points: 3 }, commissionPerLotUsd: 5 } });
    const limits = makeLimits();
    const backtest = runBacktest({ bars: sources, instrument: SMALL_XAUUSD, trading, limits, initialBalanceUsd: 100_000, accountId: "test" });
    const h = new TraderHarness(trading, limits);
    h.play(sources);
    const last = sources.at(-1)!;
    const lastTick = barToTicks(last, SMALL_XAUUSD).at(-1)!;
    h.trader.closeAll(lastTick.tsMs, lastTick.bid, lastTick.ask, "end-of-data", h.sink);
    expect(h.trades.length).toBeGreaterThan(5);
    expect(backtest.trades).toEqual(h.trades);
    expect(backtest.fills).toEqual(h.fills);
  });

  it("reports progress every progressEveryBars bars and at the end", () => {
    const seen: number[] = [];
    runBacktest({ bars: walkBars(25), instrument: SMALL_XAUUSD, trading: makeTrading(), limits: makeLimits(), initialBalanceUsd: 100_000, onProgress: (done) => seen.push(done), progressEveryBars: 10 });
    expect(seen).toEqual([10, 20, 25]);
  });

  it("closes what is still open at the last quote with reason end-of-data", () => {
    const sources = crossScenario().slice(0, ENTRY_BAR + 1); // ends with the long from bar 8 open
    const backtest = runBacktest({ bars: sources, instrument: SMALL_XAUUSD, trading: makeTrading(), limits: makeLimits(), initialBalanceUsd: 100_000 });
    const last = sources.at(-1)!;
    expect(backtest.trades).toMatchObject([{ side: "buy", entryPrice: 2302.3, exitReason: "end-of-data", exitTsMs: last.tsMs + 45_000, exitPrice: last.close }]);
    expect(backtest.equity).toHaveLength(sources.length + 2);
  });

  // The end-of-data close (at the last quote, +45 s) comes before the last bar's close (+60 s) on the equity curve.
  it("keeps the equity curve in time order when a position is still open at the end of the data", () => {
    const sources = crossScenario().slice(0, ENTRY_BAR + 1);
    const backtest = runBacktest({ bars: sources, instrument: SMALL_XAUUSD, trading: makeTrading(), limits: makeLimits(), initialBalanceUsd: 100_000 });
    const times = backtest.equity.map((point) => point.tsMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(() => computeMetrics(backtest.trades, backtest.equity, 100_000)).not.toThrow();
  });
});
