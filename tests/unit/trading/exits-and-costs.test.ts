/**
 * InstrumentTrader exits and costs: break-even and trailing stops moving on the quotes, stop and target fills from the
 * tick path, volatility slippage scaled by the latest ATR, fixed slippage on market fills and stops (never on a
 * take-profit), and commission on both fills.
 */
import { describe, expect, it } from "vitest";
import { pathBar } from "../../../core/backtest/path-bar.js";
import { AverageTrueRange, runBatch } from "../../../core/indicators/index.js";
import type { SourceBar } from "../../../core/market/tick-path.js";
import type { ExecutionConfig, ExitConfig } from "../../../core/schemas/trading.js";
import {
  crossScenario,
  ENTRY_BAR,
  makeSource,
  makeTrading,
  MINUTE_MS,
  REVERSE_BAR,
  SELL_SIGNAL,
  SMALL_EMA_CROSS,
  TraderHarness,
  XAUUSD,
} from "./trading-builders.js";

const BARS = crossScenario();
const THROUGH_ENTRY = BARS.slice(0, ENTRY_BAR + 1);
/** After the long's entry at 2302.30 (ATR 2): up to a best bid of 2304.60 (9), then back down to 2302.00 (10). */
const RISE = makeSource(9, { open: 2302, high: 2304.6, low: 2301.9, close: 2304.5 });
const FALL = makeSource(10, { open: 2304.4, high: 2304.5, low: 2302, close: 2302.2 });

function harness(exits: Partial<ExitConfig> = {}, execution: Partial<ExecutionConfig> = {}): TraderHarness {
  return new TraderHarness(makeTrading({ exits, execution }));
}

function atrAfter(sources: readonly SourceBar[]): number {
  return runBatch(new AverageTrueRange({ period: SMALL_EMA_CROSS.atrPeriod }), sources.map((source) => pathBar(source, XAUUSD))).at(-1)!;
}

describe("break-even stop", () => {
  it("moves the stop to the entry once the best bid is 1 ATR up, and exits there with reason break-even-stop", () => {
    const h = harness({ breakEvenAtr: 1 });
    h.play(THROUGH_ENTRY);
    // Best bid 2302.50: 0.20 up, below 1 ATR (2.00): the stop stays.
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2298.3, stopReason: "initial" });
    h.playBar(RISE);
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2302.3, stopReason: "break-even", initialStopPrice: 2298.3, bestPrice: 2304.6 });
    h.playBar(FALL);
    expect(h.trades).toHaveLength(1);
    const trade = h.trades[0]!;
    expect(trade).toMatchObject({ exitReason: "break-even-stop", exitPrice: 2302.3, exitTsMs: FALL.tsMs + 30_000, stopPrice: 2302.3, initialStopPrice: 2298.3 });
    expect(trade.grossPnlUsd).toBeCloseTo(0, 6);
    expect(trade.mfeUsd).toBeCloseTo(230, 6);
  });

  it("fills a break-even stop gapped through at the first tick's bid", () => {
    const h = harness({ breakEvenAtr: 1 });
    h.play([...THROUGH_ENTRY, RISE]);
    h.playBar(makeSource(10, { open: 2301.8, high: 2302.4, low: 2301.5, close: 2302 }));
    expect(h.trades).toMatchObject([{ exitReason: "break-even-stop", exitPrice: 2301.8, exitTsMs: FALL.tsMs }]);
  });
});

describe("trailing stop", () => {
  it("trails 1 ATR behind the best bid once in profit, only forward, and exits with reason trailing-stop", () => {
    const h = harness({ trailingAtr: 1 });
    h.play(BARS.slice(0, ENTRY_BAR));
    h.firstQuote(BARS[ENTRY_BAR]!);
    // Not moved by the quote that opened it.
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2298.3, stopReason: "initial" });
    h.quote(BARS[ENTRY_BAR]!.tsMs + 15_000, 2302.5);
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2300.5, stopReason: "trailing" });
    h.quote(BARS[ENTRY_BAR]!.tsMs + 20_000, 2301.5); // a lower bid never moves it back
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2300.5, stopReason: "trailing" });
    h.finishBar(BARS[ENTRY_BAR]!); // its last quote (2302.00) again leaves the stop alone
    h.playBar(RISE);
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2302.6, stopReason: "trailing", initialStopPrice: 2298.3 });
    h.playBar(FALL);
    const trade = h.trades[0]!;
    expect(trade).toMatchObject({ exitReason: "trailing-stop", exitPrice: 2302.6, exitTsMs: FALL.tsMs + 30_000, stopPrice: 2302.6, initialStopPrice: 2298.3 });
    expect(trade.grossPnlUsd).toBeCloseTo(30, 6);
    expect(trade.rMultiple).toBeCloseTo(30 / 400, 9);
  });

  it("takes the tighter of trailing and break-even", () => {
    const h = harness({ trailingAtr: 1, breakEvenAtr: 1 });
    h.play([...THROUGH_ENTRY, RISE]);
    // Break-even would be 2302.30, the trail 2304.60 − 2.00 = 2302.60.
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2302.6, stopReason: "trailing" });
  });
});

describe("stops and targets on the tick path", () => {
  it("takes a long's profit at the target when a tick inside the minute reaches it", () => {
    const h = harness();
    h.play(THROUGH_ENTRY);
    h.playBar(makeSource(9, { open: 2302, high: 2308.6, low: 2301.9, close: 2308.5 }));
    expect(h.trades).toMatchObject([{ exitReason: "take-profit", exitPrice: 2308.3, exitTsMs: BARS[9]!.tsMs + 30_000 }]);
    expect(h.trades[0]!.grossPnlUsd).toBeCloseTo(600, 6);
  });

  it("stops a short when the ask reaches the stop while the bid is still below it", () => {
    const h = harness();
    h.play(BARS.slice(0, REVERSE_BAR + 1)); // the short XAUUSD-3 from 2299.10, stop 2303.52
    const spread = 40; // 0.40: ask = bid + 0.40
    h.playBar(makeSource(11, { open: 2299.2, high: 2303.2, low: 2299.1, close: 2303 }, spread));
    expect(h.trades.at(-1)).toMatchObject({ id: "XAUUSD-3", side: "sell", exitReason: "stop-loss", exitPrice: 2303.52, exitTsMs: BARS[10]!.tsMs + MINUTE_MS + 30_000 });
  });
});

describe("slippage and commission", () => {
  it("slips volatility-scaled fills by the latest closed bar's ATR: the entry by the signal bar's, a later stop by its own bar's", () => {
    const h = harness({}, { slippage: { kind: "volatility", atrFraction: 0.5 } });
    h.play(BARS.slice(0, ENTRY_BAR));
    h.firstQuote(BARS[ENTRY_BAR]!);
    // ATR of the signal bar 2 → 1.00 slippage: the buy fills at 2302.30 + 1.00 and its levels follow the fill.
    expect(h.fills[0]).toMatchObject({ quotePrice: 2302.3, price: 2303.3 });
    expect(h.fills[0]!.slippageUsd).toBeCloseTo(100, 9);
    expect(h.trader.positions()[0]).toMatchObject({ entryPrice: 2303.3, stopPrice: 2299.3, targetPrice: 2309.3 });

    // Bar 9 dips to 2298.90 within the minute: the stop fills at 2299.30 less half the ATR after bar 8 (5/3), not bar 7's.
    h.finishBar(BARS[ENTRY_BAR]!);
    h.playBar(BARS[SELL_SIGNAL]!);
    const atrAtStop = atrAfter(BARS.slice(0, ENTRY_BAR + 1));
    expect(atrAtStop).toBeCloseTo(5 / 3, 12);
    const stopFill = h.fills.find((fill) => fill.kind === "close")!;
    expect(stopFill).toMatchObject({ reason: "stop-loss", quotePrice: 2299.3, tsMs: BARS[SELL_SIGNAL]!.tsMs + 30_000 });
    expect(stopFill.price).toBeCloseTo(2299.3 - 0.5 * atrAtStop, 9);
    expect(stopFill.slippageUsd).toBeCloseTo(50 * atrAtStop, 9);
    expect(h.trades[0]!.slippageUsd).toBeCloseTo(100 + 50 * atrAtStop, 9);

    // Flat after the stop, the sell cross of bar 9 enters short at bar 10's bid less half of bar 9's ATR.
    h.firstQuote(BARS[REVERSE_BAR]!);
    const atr9 = atrAfter(BARS.slice(0, SELL_SIGNAL + 1));
    expect(h.fills.at(-1)).toMatchObject({ kind: "open", side: "sell", quotePrice: 2299.1 });
    expect(h.fills.at(-1)!.price).toBeCloseTo(2299.1 - 0.5 * atr9, 9);
  });

  it("charges fixed slippage on market fills and commission on both, but fills a take-profit at its level", () => {
    const h = harness({}, { slippage: { kind: "fixed", points: 5 }, commissionPerLotUsd: 7 });
    h.play(THROUGH_ENTRY);
    expect(h.trader.positions()[0]).toMatchObject({ entryPrice: expect.closeTo(2302.35, 9), stopPrice: 2298.35, targetPrice: 2308.35, entryCommissionUsd: 7 });
    h.playBar(makeSource(9, { open: 2302, high: 2308.6, low: 2301.9, close: 2308.5 }));
    const exit = h.fills.at(-1)!;
    expect(exit).toMatchObject({ kind: "close", reason: "take-profit", quotePrice: 2308.35, price: 2308.35, slippageUsd: 0, commissionUsd: 7 });
    const trade = h.trades[0]!;
    expect(trade.grossPnlUsd).toBeCloseTo(600, 6);
    expect(trade.commissionUsd).toBe(14);
    expect(trade.netPnlUsd).toBeCloseTo(586, 6);
    expect(trade.slippageUsd).toBeCloseTo(5, 9);
    expect(h.book.balanceUsd()).toBeCloseTo(100_586, 6);
  });

  it("slips both legs of a reversal (they are market fills) and charges each its commission", () => {
    const h = harness({}, { slippage: { kind: "fixed", points: 5 }, commissionPerLotUsd: 7 });
    h.play(BARS.slice(0, REVERSE_BAR));
    h.firstQuote(BARS[REVERSE_BAR]!);
    const [close, open] = h.fills.slice(-2);
    expect(close).toMatchObject({ kind: "close", reason: "reverse-signal", quotePrice: 2299.1, commissionUsd: 7 });
    expect(close!.price).toBeCloseTo(2299.05, 9);
    expect(open).toMatchObject({ kind: "open", side: "sell", quotePrice: 2299.1, commissionUsd: 7 });
    expect(open!.price).toBeCloseTo(2299.05, 9);
    const trade = h.trades[0]!;
    expect(trade.grossPnlUsd).toBeCloseTo(-330, 6); // 2302.35 → 2299.05
    expect(trade.netPnlUsd).toBeCloseTo(-344, 6);
    expect(trade.slippageUsd).toBeCloseTo(10, 9);
  });
});
