/**
 * InstrumentTrader with the ema-cross strategy, driven by hand-made bars and an in-process AccountBook: an entry on the
 * next bar's first quote (buy at the ask, sell at the bid), stop and target from the entry with the signal bar's ATR,
 * one position at a time, a reversal closing and opening on one quote, and a denied request dropping its order.
 */
import { describe, expect, it } from "vitest";
import { pathBar } from "../../../core/backtest/path-bar.js";
import { AverageTrueRange, runBatch } from "../../../core/indicators/index.js";
import type { SourceBar } from "../../../core/market/tick-path.js";
import { AccountBook } from "../../../core/risk/account-book.js";
import { EmaCrossStrategy } from "../../../core/strategy/index.js";
import {
  BUY_SIGNAL,
  crossScenario,
  ENTRY_BAR,
  makeLimits,
  makeSource,
  MINUTE_MS,
  quietBars,
  REVERSE_BAR,
  roundTrip,
  SELL_SIGNAL,
  SMALL_EMA_CROSS,
  TraderHarness,
  XAUUSD,
} from "./trading-builders.js";

const BARS = crossScenario();
const bar = (index: number): SourceBar => BARS[index]!;

/** ATR(3) after each source bar, from core/indicators directly (not through the trader). */
function atrSeries(sources: readonly SourceBar[]): (number | undefined)[] {
  return runBatch(new AverageTrueRange({ period: SMALL_EMA_CROSS.atrPeriod }), sources.map((source) => pathBar(source, XAUUSD)));
}

const cents = (price: number) => Math.round(price * 100) / 100;

describe("ema-cross entry", () => {
  it("requests a buy on the cross bar's close and fills it at the next bar's first ask, not before", () => {
    const h = new TraderHarness();
    h.play(BARS.slice(0, BUY_SIGNAL));
    expect(h.decided).toEqual([]);

    const decisions = h.playBar(bar(BUY_SIGNAL));
    expect(decisions).toEqual([
      {
        request: {
          requestId: "XAUUSD-1",
          symbol: "XAUUSD",
          side: "buy",
          intent: "open",
          tsMs: bar(BUY_SIGNAL).tsMs + MINUTE_MS,
          referencePrice: 2302.2, // the ask of the signal bar's last quote
          stopDistance: 4, // 2 × ATR 2
          contractSize: 100,
          requestedLots: null,
          replacesPositionId: null,
          source: "strategy",
        },
        decision: { approved: true, requestId: "XAUUSD-1", lots: 1 },
      },
    ]);
    expect(h.fills).toEqual([]);
    expect(h.trader.pendingOrders()).toMatchObject([{ requestId: "XAUUSD-1", kind: "open", side: "buy", status: "approved", lots: 1 }]);

    h.firstQuote(bar(ENTRY_BAR));
    expect(h.fills).toEqual([
      {
        id: "XAUUSD-1:open",
        positionId: "XAUUSD-1",
        accountId: "test",
        symbol: "XAUUSD",
        side: "buy",
        kind: "open",
        lots: 1,
        tsMs: bar(ENTRY_BAR).tsMs,
        quotePrice: 2302.3,
        price: 2302.3,
        slippageUsd: 0,
        commissionUsd: 0,
        reason: "entry",
      },
    ]);
    expect(h.trader.pendingOrders()).toEqual([]);
  });

  it("places the stop 2 ATR and the target 3 ATR from the entry price, with the signal bar's ATR", () => {
    const h = new TraderHarness();
    h.play(BARS.slice(0, ENTRY_BAR));
    h.firstQuote(bar(ENTRY_BAR));
    expect(atrSeries(BARS)[BUY_SIGNAL]).toBe(2); // (1 · 2 + 4) / 3
    expect(h.trader.positions()).toEqual([
      expect.objectContaining({
        id: "XAUUSD-1",
        side: "buy",
        lots: 1,
        units: 100,
        entryTsMs: bar(ENTRY_BAR).tsMs,
        entryPrice: 2302.3,
        stopPrice: 2298.3,
        initialStopPrice: 2298.3,
        stopReason: "initial",
        targetPrice: 2308.3,
        entry: { strategy: "ema-cross", signalTsMs: bar(BUY_SIGNAL).tsMs, modelVersion: null, confidence: null, regime: "unknown", atr: 2 },
      }),
    ]);
    // The account holds it, marked at its entry until the next bar closes.
    expect(h.book.openPositions()).toMatchObject([{ positionId: "XAUUSD-1", side: "buy", lots: 1, entryPrice: 2302.3, markPrice: 2302.3 }]);
    expect(h.book.state().reservations).toEqual([]);
  });

  it("sells a cross down at the next bar's first bid", () => {
    const h = new TraderHarness();
    // Close 2298 after the quiet bars: fast 2299 < slow 2299.5; true range 4 → ATR 2.
    const sells = [...quietBars(7), makeSource(7, { open: 2300, high: 2300.5, low: 2296.5, close: 2298 }), makeSource(8, { open: 2297.9, high: 2298.4, low: 2297.5, close: 2298 })];
    h.play(sells.slice(0, 7));
    const [decided] = h.playBar(sells[7]!);
    expect(decided?.request).toMatchObject({ side: "sell", referencePrice: 2298, stopDistance: 4 });
    h.firstQuote(sells[8]!);
    expect(h.fills).toMatchObject([{ side: "sell", kind: "open", quotePrice: 2297.9, price: 2297.9, tsMs: sells[8]!.tsMs }]);
    expect(h.trader.positions()).toMatchObject([{ side: "sell", entryPrice: 2297.9, stopPrice: 2301.9, targetPrice: 2291.9 }]);
  });

  it("holds one position: a second buy cross while long requests nothing", () => {
    const h = new TraderHarness();
    // Entry bar closing at 2299.5 brings both EMAs to 2300.25 (a touch); the next close of 2301 leaves upwards: a buy.
    const touch = [
      ...BARS.slice(0, ENTRY_BAR),
      makeSource(ENTRY_BAR, { open: 2300.1, high: 2300.6, low: 2299.4, close: 2299.5 }),
      makeSource(9, { open: 2299.6, high: 2301.2, low: 2299.5, close: 2301 }),
    ];
    const strategy = new EmaCrossStrategy(SMALL_EMA_CROSS);
    const crosses = touch.map((source) => {
      strategy.update(pathBar(source, XAUUSD));
      return strategy.cross();
    });
    expect(crosses.slice(BUY_SIGNAL)).toEqual(["buy", null, "buy"]);

    h.play(touch.slice(0, 9));
    expect(h.trader.positions()).toHaveLength(1);
    expect(h.playBar(touch[9]!)).toEqual([]);
    expect(h.trader.pendingOrders()).toEqual([]);
    expect(h.decided).toHaveLength(1);
  });
});

describe("ema-cross reversal", () => {
  it("closes the long and opens the short on the same quote, the account approving with maxPositionsPerSymbol 1", () => {
    const h = new TraderHarness(undefined, makeLimits({ maxPositionsPerSymbol: 1 }));
    h.play(BARS.slice(0, SELL_SIGNAL));
    const bookBefore = roundTrip(h.book.state());
    const atr = atrSeries(BARS)[SELL_SIGNAL]!;

    const decisions = h.playBar(bar(SELL_SIGNAL));
    expect(decisions).toHaveLength(1);
    const { request, decision } = decisions[0]!;
    expect(request).toMatchObject({ requestId: "XAUUSD-3", side: "sell", intent: "open", referencePrice: 2299, replacesPositionId: "XAUUSD-1", source: "strategy" });
    expect(request.stopDistance).toBeCloseTo(2 * atr, 12);
    expect(decision).toEqual({ approved: true, requestId: "XAUUSD-3", lots: 1 });
    // The closing leg is queued without asking the account; the opening leg waits for the quote.
    expect(h.trader.pendingOrders()).toMatchObject([
      { requestId: "XAUUSD-2", kind: "close", positionId: "XAUUSD-1", exitReason: "reverse-signal", status: "approved" },
      { requestId: "XAUUSD-3", kind: "open", side: "sell", status: "approved", lots: 1 },
    ]);
    // The same request without replacesPositionId is a second position on the symbol: denied.
    const without = new AccountBook("test", 1, roundTrip(bookBefore)).evaluate({ ...request, replacesPositionId: null }, h.limits);
    expect(without.decision).toMatchObject({ approved: false, code: "MAX_POSITIONS_PER_SYMBOL" });

    const fillsBefore = h.fills.length;
    h.firstQuote(bar(REVERSE_BAR));
    const at = bar(REVERSE_BAR).tsMs;
    expect(h.fills.slice(fillsBefore)).toEqual([
      expect.objectContaining({ id: "XAUUSD-1:close", side: "sell", kind: "close", tsMs: at, quotePrice: 2299.1, price: 2299.1, reason: "reverse-signal" }),
      expect.objectContaining({ id: "XAUUSD-3:open", side: "sell", kind: "open", tsMs: at, quotePrice: 2299.1, price: 2299.1, reason: "entry" }),
    ]);
    expect(h.trades).toHaveLength(1);
    const trade = h.trades[0]!;
    expect(trade).toMatchObject({ id: "XAUUSD-1", side: "buy", entryPrice: 2302.3, exitPrice: 2299.1, exitTsMs: at, exitReason: "reverse-signal", signalTsMs: bar(BUY_SIGNAL).tsMs });
    expect(trade.grossPnlUsd).toBeCloseTo(-320, 6);
    // Worst bid while held 2298.90 (bar 9), best 2302.50 (bar 8): the entry quote itself is not an excursion.
    expect(trade.maeUsd).toBeCloseTo(-340, 6);
    expect(trade.mfeUsd).toBeCloseTo(20, 6);
    expect(trade.rMultiple).toBeCloseTo(-320 / 400, 9);

    // The short: levels from its own entry with the sell signal bar's ATR, rounded to the instrument's 2 digits.
    expect(h.trader.positions()).toEqual([
      expect.objectContaining({
        id: "XAUUSD-3",
        side: "sell",
        entryPrice: 2299.1,
        stopPrice: cents(2299.1 + 2 * atr),
        targetPrice: cents(2299.1 - 3 * atr),
        entry: expect.objectContaining({ strategy: "ema-cross", signalTsMs: bar(SELL_SIGNAL).tsMs, atr }),
      }),
    ]);
    expect(h.trader.positions()[0]).toMatchObject({ stopPrice: 2303.52, targetPrice: 2292.47 }); // ATR 2.2111…

    // The account saw the close before the open, holds only the short and no reservation.
    const tail = h.accountEvents.filter((event) => event.kind === "open" || event.kind === "close").slice(-2);
    expect(tail.map((event) => event.kind)).toEqual(["close", "open"]);
    expect(h.book.openPositions()).toMatchObject([{ positionId: "XAUUSD-3", side: "sell" }]);
    expect(h.book.state().reservations).toEqual([]);
    expect(h.book.balanceUsd()).toBeCloseTo(100_000 - 320, 6);
    expect(h.riskEvents).toEqual([]);
  });
});

describe("event order on one quote", () => {
  it("runs stops before the reversal's close: a gap through the stop is a stop-loss, and the short still opens", () => {
    const h = new TraderHarness();
    h.play(BARS.slice(0, REVERSE_BAR));
    // Bar 10 opens at 2298.00, below the long's 2298.30 stop: the first tick of a minute fills at its own price.
    h.firstQuote(makeSource(REVERSE_BAR, { open: 2298, high: 2298.6, low: 2297.8, close: 2298.2 }));
    const at = bar(REVERSE_BAR).tsMs;
    expect(h.trades).toMatchObject([{ id: "XAUUSD-1", exitReason: "stop-loss", exitPrice: 2298, exitTsMs: at }]);
    expect(h.fills.slice(-2)).toMatchObject([
      { id: "XAUUSD-1:close", reason: "stop-loss", quotePrice: 2298, tsMs: at },
      { id: "XAUUSD-3:open", side: "sell", price: 2298, tsMs: at },
    ]);
    expect(h.trader.positions()).toMatchObject([{ id: "XAUUSD-3", side: "sell", stopPrice: 2302.42, targetPrice: 2291.37 }]);
    expect(h.trader.pendingOrders()).toEqual([]);
    expect(h.book.openPositions()).toMatchObject([{ positionId: "XAUUSD-3" }]);
  });

  it("marks the account at each bar's close time with the bar's last quote", () => {
    const h = new TraderHarness();
    h.play(BARS.slice(0, ENTRY_BAR + 1));
    const marks = h.accountEvents.filter((event) => event.kind === "mark");
    expect(marks).toHaveLength(ENTRY_BAR + 1);
    expect(marks.at(-1)).toEqual({ kind: "mark", symbol: "XAUUSD", tsMs: bar(ENTRY_BAR).tsMs + MINUTE_MS, bid: 2302, ask: 2302.2 });
    // The long (entry 2302.30) is marked at the 2302.00 bid: −30 USD unrealised.
    expect(h.book.snapshot().unrealisedPnlUsd).toBeCloseTo(-30, 6);
  });
});

describe("a denied request", () => {
  it("drops the order: nothing fills and later crosses ask again", () => {
    const h = new TraderHarness(undefined, makeLimits({ maxTradesPerDay: 0 }));
    h.play(BARS.slice(0, BUY_SIGNAL));
    const [decided] = h.playBar(bar(BUY_SIGNAL));
    expect(decided?.decision).toMatchObject({ approved: false, requestId: "XAUUSD-1", code: "MAX_TRADES_PER_DAY" });
    expect(h.trader.pendingOrders()).toEqual([]);
    expect(h.riskEvents).toMatchObject([{ kind: "order-denied", code: "MAX_TRADES_PER_DAY", context: { requestId: "XAUUSD-1" } }]);

    h.playBar(bar(ENTRY_BAR));
    expect(h.fills).toEqual([]);
    expect(h.trader.positions()).toEqual([]);
    // Flat, the sell cross is a plain entry (nothing to replace), denied the same way.
    const [next] = h.playBar(bar(SELL_SIGNAL));
    expect(next?.request).toMatchObject({ side: "sell", replacesPositionId: null });
    expect(next?.decision).toMatchObject({ approved: false, code: "MAX_TRADES_PER_DAY" });
    h.playBar(bar(REVERSE_BAR));
    expect(h.fills).toEqual([]);
    expect(h.accountEvents.every((event) => event.kind === "mark")).toBe(true);
  });

  it("ignores a decision for an unknown or already decided request", () => {
    const h = new TraderHarness();
    h.play(BARS.slice(0, ENTRY_BAR));
    const pending = structuredClone(h.trader.pendingOrders());
    h.trader.decide({ approved: false, requestId: "XAUUSD-1", code: "VAR_LIMIT", message: "late", context: {} });
    h.trader.decide({ approved: true, requestId: "nope", lots: 3 });
    expect(h.trader.pendingOrders()).toEqual(pending);
  });
});
