/**
 * InstrumentTrader outside the strategy: manual orders (explicit or ATR levels) through the account's checks,
 * `requestClose`, and the emergency stop (`halt`) that hands approved orders back to the account and flattens every
 * position on the next quote.
 */
import { describe, expect, it } from "vitest";
import {
  crossScenario,
  ENTRY_BAR,
  makeLimits,
  MINUTE_MS,
  quietBars,
  REVERSE_BAR,
  SELL_SIGNAL,
  T0_MS,
  TraderHarness,
  walkBars,
} from "./trading-builders.js";

/** After the quiet bars: ATR 1, last quote 2300.00 / 2300.20, next minute starts at T0 + 7 min. */
function quietHarness(limits = makeLimits()): TraderHarness {
  const h = new TraderHarness(undefined, limits);
  h.play(quietBars(7));
  return h;
}
const NEXT_MS = T0_MS + 7 * MINUTE_MS;

describe("manual orders", () => {
  it("go through the account with the asked size and explicit levels, fill on the next quote, and exit at their target", () => {
    const h = quietHarness();
    const request = h.trader.placeManualOrder({ side: "buy", lots: 0.5, stopPrice: 2297, targetPrice: 2303 }, NEXT_MS - 1);
    expect(request).toEqual({
      requestId: "XAUUSD-1",
      symbol: "XAUUSD",
      side: "buy",
      intent: "open",
      tsMs: NEXT_MS - 1,
      referencePrice: 2300.2,
      stopDistance: expect.closeTo(3.2, 9), // last ask to the stop
      contractSize: 100,
      requestedLots: 0.5,
      replacesPositionId: null,
      source: "manual",
    });
    expect(h.submit(request).decision).toEqual({ approved: true, requestId: "XAUUSD-1", lots: 0.5 });
    expect(h.fills).toEqual([]);

    h.quote(NEXT_MS, 2300.1, 2300.3);
    expect(h.trader.positions()).toEqual([
      expect.objectContaining({
        id: "XAUUSD-1",
        side: "buy",
        lots: 0.5,
        units: 50,
        entryPrice: 2300.3,
        stopPrice: 2297,
        initialStopPrice: 2297,
        targetPrice: 2303,
        entry: { strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, regime: "unknown", atr: 1 },
      }),
    ]);

    h.quote(NEXT_MS + 15_000, 2303.4, 2303.6); // within the minute: fills at the target itself
    expect(h.trades).toMatchObject([{ id: "XAUUSD-1", exitReason: "take-profit", exitPrice: 2303, exitTsMs: NEXT_MS + 15_000, strategy: "manual" }]);
    expect(h.trades[0]!.grossPnlUsd).toBeCloseTo(2.7 * 50, 6);
  });

  it("take the strategy's ATR multiples when no levels are given", () => {
    const h = quietHarness();
    const request = h.trader.placeManualOrder({ side: "sell", lots: 1 }, NEXT_MS - 1);
    expect(request).toMatchObject({ side: "sell", referencePrice: 2300, stopDistance: 2, requestedLots: 1 });
    h.submit(request);
    h.quote(NEXT_MS, 2300.1, 2300.3);
    expect(h.trader.positions()).toMatchObject([{ side: "sell", entryPrice: 2300.1, stopPrice: 2302.1, targetPrice: 2297.1 }]);
  });

  it("are refused like any order: a denied manual order never fills", () => {
    const h = quietHarness(makeLimits({ maxPositionsPerSymbol: 0 }));
    const { decision } = h.submit(h.trader.placeManualOrder({ side: "buy", lots: 1 }, NEXT_MS - 1));
    expect(decision).toMatchObject({ approved: false, code: "MAX_POSITIONS_PER_SYMBOL" });
    h.quote(NEXT_MS, 2300.1, 2300.3);
    expect(h.fills).toEqual([]);
  });

  it("need a quote to be priced", () => {
    const h = new TraderHarness();
    expect(() => h.trader.placeManualOrder({ side: "buy", lots: 1 }, T0_MS)).toThrow(RangeError);
  });
});

describe("requestClose", () => {
  it("closes the position at the next quote's exit side with reason manual, once", () => {
    const h = quietHarness();
    h.submit(h.trader.placeManualOrder({ side: "sell", lots: 1 }, NEXT_MS - 1));
    h.quote(NEXT_MS, 2300.1, 2300.3);
    expect(h.trader.requestClose("XAUUSD-404")).toBe(false);
    expect(h.trader.requestClose("XAUUSD-1")).toBe(true);
    expect(h.trader.requestClose("XAUUSD-1")).toBe(true); // already queued: not twice
    expect(h.trader.pendingOrders()).toMatchObject([{ kind: "close", positionId: "XAUUSD-1", exitReason: "manual", status: "approved" }]);
    expect(h.fills).toHaveLength(1);

    h.quote(NEXT_MS + 15_000, 2299.4, 2299.6);
    expect(h.fills.slice(1)).toEqual([
      expect.objectContaining({ id: "XAUUSD-1:close", side: "buy", kind: "close", quotePrice: 2299.6, price: 2299.6, reason: "manual" }),
    ]);
    expect(h.trades).toMatchObject([{ exitReason: "manual", exitPrice: 2299.6 }]);
    expect(h.trades[0]!.grossPnlUsd).toBeCloseTo(50, 6); // short 2300.10 → 2299.60
    expect(h.trader.positions()).toEqual([]);
    expect(h.trader.pendingOrders()).toEqual([]);
    expect(h.book.openPositions()).toEqual([]);
    expect(h.trader.requestClose("XAUUSD-1")).toBe(false);
  });
});

describe("halt", () => {
  /**
   * A strategy long (XAUUSD-1) and a manual short (XAUUSD-2) are open; the sell cross has queued the long's close
   * (XAUUSD-3) and an approved short (XAUUSD-4) when the emergency stop comes, before the next bar's first quote.
   */
  function haltedHarness(): { h: TraderHarness; haltMs: number } {
    const bars = crossScenario();
    const h = new TraderHarness(undefined, makeLimits({ maxPositionsPerSymbol: 2 }));
    h.play(bars.slice(0, ENTRY_BAR + 1));
    h.submit(h.trader.placeManualOrder({ side: "sell", lots: 1 }, bars[SELL_SIGNAL]!.tsMs - 1));
    const [reversal] = h.playBar(bars[SELL_SIGNAL]!);
    expect(reversal?.decision).toEqual({ approved: true, requestId: "XAUUSD-4", lots: 1 });
    expect(h.trader.positions().map((p) => p.id)).toEqual(["XAUUSD-1", "XAUUSD-2"]);
    const haltMs = bars[REVERSE_BAR]!.tsMs - 1;
    h.riskEvents.push(...h.book.halt("operator", haltMs));
    h.trader.halt(haltMs, h.sink);
    return { h, haltMs };
  }

  it("cancels approved pending orders with the account and waits to flatten", () => {
    const { h, haltMs } = haltedHarness();
    expect(h.accountEvents.at(-1)).toEqual({ kind: "cancel", requestId: "XAUUSD-4", tsMs: haltMs });
    expect(h.accountEvents.filter((event) => event.kind === "cancel")).toHaveLength(1);
    expect(h.trader.pendingOrders()).toEqual([]);
    expect(h.trader.isFlattening()).toBe(true);
    // The account no longer reserves capacity for it, and gives back the day's trade it counted.
    expect(h.book.state().reservations).toEqual([]);
    expect(h.book.snapshot().tradesToday).toBe(2);
  });

  it("flattens every position on the next quote with reason emergency-stop, and nothing fills after it", () => {
    const { h } = haltedHarness();
    const bars = crossScenario();
    const fillsBefore = h.fills.length;
    h.firstQuote(bars[REVERSE_BAR]!);
    const at = bars[REVERSE_BAR]!.tsMs;
    expect(h.fills.slice(fillsBefore)).toEqual([
      expect.objectContaining({ id: "XAUUSD-1:close", side: "sell", tsMs: at, price: 2299.1, reason: "emergency-stop" }),
      expect.objectContaining({ id: "XAUUSD-2:close", side: "buy", tsMs: at, price: 2299.3, reason: "emergency-stop" }),
    ]);
    expect(h.trades.map((trade) => [trade.id, trade.exitReason])).toEqual([
      ["XAUUSD-1", "emergency-stop"],
      ["XAUUSD-2", "emergency-stop"],
    ]);
    expect(h.trader.positions()).toEqual([]);
    expect(h.trader.isFlattening()).toBe(false);
    expect(h.book.openPositions()).toEqual([]);

    // The strategy keeps signalling, the halted account refuses every order, and no fill follows.
    const fillsAfterFlatten = h.fills.length;
    const decidedBefore = h.decided.length;
    h.play(walkBars(120, { startIndex: REVERSE_BAR + 1, startPrice: 2299.2, seed: 11 }));
    h.submit(h.trader.placeManualOrder({ side: "buy", lots: 1 }, T0_MS + 200 * MINUTE_MS));
    h.quote(T0_MS + 200 * MINUTE_MS, 2300, 2300.2);
    const afterHalt = h.decided.slice(decidedBefore);
    expect(afterHalt.filter((d) => d.request.source === "strategy").length).toBeGreaterThan(0);
    expect(afterHalt.every((d) => !d.decision.approved && d.decision.code === "TRADING_HALTED")).toBe(true);
    expect(h.fills).toHaveLength(fillsAfterFlatten);
    expect(h.trader.pendingOrders()).toEqual([]);
  });

  it("with nothing open, only drops the pending orders", () => {
    const h = quietHarness();
    h.submit(h.trader.placeManualOrder({ side: "buy", lots: 1 }, NEXT_MS - 1));
    h.trader.halt(NEXT_MS - 1, h.sink);
    expect(h.trader.isFlattening()).toBe(false);
    expect(h.accountEvents.at(-1)).toEqual({ kind: "cancel", requestId: "XAUUSD-1", tsMs: NEXT_MS - 1 });
    h.quote(NEXT_MS, 2300.1, 2300.3);
    expect(h.fills).toEqual([]);
  });
});
