/**
 * InstrumentTrader with the model strategy, fed synthetic champion signals: entry at `entryConfidence`, the hysteresis
 * exit below `exitConfidence`, the minimum holding time, reversals, and the signal's context on the trade.
 */
import { describe, expect, it } from "vitest";
import type { ModelSignalInput } from "../../../core/trading/instrument-trader.js";
import { toModelSignalInput } from "../../../core/trading/instrument-trader.js";
import { makeSignal, makeSource, makeTrading, quietBars, TraderHarness } from "./trading-builders.js";

/** Flat bars at 2300 (range 1, ATR(3) exactly 1): quotes 2300.00–2300.50 bid, 20 points spread. */
const BARS = quietBars(16);
const MODEL = { kind: "model", entryConfidence: 0.6, exitConfidence: 0.5, minHoldingBars: 2, atrPeriod: 3 } as const;

function modelHarness(): TraderHarness {
  return new TraderHarness(makeTrading({ strategy: MODEL }));
}

/** Plays bars `from`…`to` (inclusive) with the signal `signals[i]` on bar i (null when absent). */
function playWith(h: TraderHarness, from: number, to: number, signals: Record<number, ModelSignalInput>): void {
  for (let i = from; i <= to; i++) h.playBar(BARS[i]!, signals[i] ?? null);
}

describe("model strategy entries", () => {
  it("opens from entryConfidence on, with the model's version and confidence on the position", () => {
    const h = modelHarness();
    playWith(h, 0, 4, {});
    expect(h.playBar(BARS[5]!, makeSignal(0.58))).toEqual([]); // below 0.60: LOW_CONFIDENCE
    const [decided] = h.playBar(BARS[6]!, makeSignal(0.6)); // exactly at it: enough
    expect(decided?.request).toMatchObject({ requestId: "XAUUSD-1", side: "buy", referencePrice: 2300.2, stopDistance: 2, source: "strategy" });
    h.firstQuote(BARS[7]!);
    expect(h.trader.positions()).toEqual([
      expect.objectContaining({
        side: "buy",
        entryPrice: 2300.2,
        stopPrice: 2298.2,
        targetPrice: 2303.2,
        entry: { strategy: "model", signalTsMs: BARS[6]!.tsMs, modelVersion: "v1", confidence: 0.6, regime: "unknown", atr: 1 },
      }),
    ]);
  });

  it("opens a short on the sell probability and records it as the confidence", () => {
    const h = modelHarness();
    playWith(h, 0, 5, { 5: makeSignal(0.3) });
    h.firstQuote(BARS[6]!);
    expect(h.trader.positions()).toMatchObject([{ side: "sell", entryPrice: 2300, entry: { confidence: 0.7 } }]);
  });

  it("needs no signal to do nothing: a null signal never trades", () => {
    const h = modelHarness();
    playWith(h, 0, 15, {});
    expect(h.decided).toEqual([]);
    expect(h.fills).toEqual([]);
  });
});

describe("model strategy exits", () => {
  it("holds through the minimum holding time and the hysteresis band, then exits below exitConfidence", () => {
    const h = modelHarness();
    playWith(h, 0, 6, { 6: makeSignal(0.65) });
    // Filled at bar 7's first quote. Bar 7 closes with buy 0.40 (< exit 0.50) after 1 bar held: held back (MIN_HOLDING).
    expect(h.playBar(BARS[7]!, makeSignal(0.4))).toEqual([]);
    expect(h.trader.pendingOrders()).toEqual([]);
    // Bar 8: buy 0.55, between exit and entry confidence: kept (hysteresis).
    h.playBar(BARS[8]!, makeSignal(0.55));
    expect(h.trader.pendingOrders()).toEqual([]);
    // Bar 9: buy 0.45 after 3 bars: close on the next quote, no new order to approve.
    expect(h.playBar(BARS[9]!, makeSignal(0.45))).toEqual([]);
    expect(h.trader.pendingOrders()).toMatchObject([{ kind: "close", exitReason: "exit-signal", positionId: "XAUUSD-1" }]);
    h.firstQuote(BARS[10]!);
    expect(h.trades).toMatchObject([
      { id: "XAUUSD-1", exitReason: "exit-signal", exitPrice: 2300, exitTsMs: BARS[10]!.tsMs, strategy: "model", modelVersion: "v1", confidence: 0.65 },
    ]);
    expect(h.trader.positions()).toEqual([]);
  });

  it("reverses on the opposite entry side once the minimum holding time has passed", () => {
    const h = modelHarness();
    playWith(h, 0, 5, { 5: makeSignal(0.3) });
    // Short from bar 6's first quote. A strong buy after 1 bar is held back, after 2 bars it reverses.
    expect(h.playBar(BARS[6]!, makeSignal(0.8))).toEqual([]);
    const [decided] = h.playBar(BARS[7]!, makeSignal(0.8));
    expect(decided?.request).toMatchObject({ side: "buy", replacesPositionId: "XAUUSD-1" });
    expect(decided?.decision.approved).toBe(true);
    h.firstQuote(BARS[8]!);
    expect(h.trades).toMatchObject([{ id: "XAUUSD-1", side: "sell", exitReason: "reverse-signal", exitPrice: 2300.2 }]);
    expect(h.trader.positions()).toMatchObject([{ side: "buy", entryPrice: 2300.2, entry: { confidence: 0.8, signalTsMs: BARS[7]!.tsMs } }]);
  });

  it("may enter again on the bar whose quotes stopped the position out", () => {
    const h = modelHarness();
    playWith(h, 0, 6, { 6: makeSignal(0.65) });
    // Bar 7 fills the long at 2300.20 (stop 2298.20), then dips to 2298.10: stopped within the minute.
    const dip = makeSource(7, { open: 2300, high: 2300.5, low: 2298.1, close: 2299 });
    const [decided] = h.playBar(dip, makeSignal(0.7));
    expect(h.trades).toMatchObject([{ exitReason: "stop-loss", exitPrice: 2298.2, exitTsMs: dip.tsMs + 30_000 }]);
    // Flat again, so a confident buy is a fresh entry: no holding time, nothing to replace.
    expect(decided?.request).toMatchObject({ side: "buy", replacesPositionId: null });
    expect(decided?.decision.approved).toBe(true);
  });
});

describe("toModelSignalInput", () => {
  it("reads up/buy as the buy probability and down/sell as the sell probability", () => {
    expect(toModelSignalInput({ modelVersion: "v1", action: "buy", confidence: 0.6, probabilities: { down: 0.4, up: 0.6 } })).toEqual({
      modelVersion: "v1",
      action: "buy",
      confidence: 0.6,
      buyProbability: 0.6,
      sellProbability: 0.4,
    });
    expect(toModelSignalInput({ modelVersion: "v2", action: "sell", confidence: 0.5, probabilities: { sell: 0.5, hold: 0.3, buy: 0.2 } })).toMatchObject({
      buyProbability: 0.2,
      sellProbability: 0.5,
    });
  });
});
