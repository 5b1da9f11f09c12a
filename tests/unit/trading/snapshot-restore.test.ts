/**
 * InstrumentTrader state: a snapshot taken anywhere (an open position, an approved reversal waiting for its quote, a
 * moved stop), sent through JSON as Durable Object storage does, resumes into a trader that behaves exactly like the
 * one that never stopped.
 */
import { describe, expect, it } from "vitest";
import type { SourceBar } from "../../../core/market/tick-path.js";
import type { InstrumentTradingConfigInput } from "../../../core/schemas/trading.js";
import { InstrumentTrader } from "../../../core/trading/instrument-trader.js";
import { crossScenario, makeSignal, makeTrading, REVERSE_BAR, SELL_SIGNAL, TraderHarness, walkBars, XAUUSD } from "./trading-builders.js";

/** The cross scenario, then 240 random-walk minutes: stops, targets and crosses of both kinds. */
const BARS: SourceBar[] = [...crossScenario(), ...walkBars(240, { startIndex: REVERSE_BAR + 1, startPrice: 2299.2, seed: 3 })];

/** Everything reported from `from` on. */
function reportedSince(h: TraderHarness, from: { fills: number; trades: number; events: number; risk: number }) {
  return {
    fills: h.fills.slice(from.fills),
    trades: h.trades.slice(from.trades),
    accountEvents: h.accountEvents.slice(from.events),
    riskEvents: h.riskEvents.slice(from.risk),
  };
}

const CONFIGS: Record<string, Partial<InstrumentTradingConfigInput>> = {
  "ema-cross, no costs": {},
  "ema-cross with trailing, break-even, volatility slippage and commission": {
    exits: { stopAtr: 2, targetAtr: 4, trailingAtr: 2, breakEvenAtr: 1 },
    execution: { slippage: { kind: "volatility", atrFraction: 0.1 }, commissionPerLotUsd: 7 },
  },
};

describe("snapshot → JSON → new InstrumentTrader(state)", () => {
  it.each(Object.entries(CONFIGS))("resumes mid-reversal with identical behaviour (%s)", (_name, overrides) => {
    const original = new TraderHarness(makeTrading(overrides));
    original.play(BARS.slice(0, SELL_SIGNAL + 1));
    // Between the sell cross's close and the next quote: a long open, its close queued, the short approved.
    expect(original.trader.positions()).toHaveLength(1);
    expect(original.trader.pendingOrders().map((order) => [order.kind, order.status])).toEqual([
      ["close", "approved"],
      ["open", "approved"],
    ]);

    const resumed = original.restarted();
    expect(resumed.trader.snapshot()).toEqual(original.trader.snapshot());
    const split = { fills: original.fills.length, trades: original.trades.length, events: original.accountEvents.length, risk: original.riskEvents.length };
    const rest = BARS.slice(SELL_SIGNAL + 1);
    original.play(rest);
    resumed.play(rest);

    const expected = reportedSince(original, split);
    expect(reportedSince(resumed, { fills: 0, trades: 0, events: 0, risk: 0 })).toEqual(expected);
    // The comparison is worth something: the remaining bars trade, and exit in more than one way.
    expect(expected.trades.length).toBeGreaterThanOrEqual(5);
    expect(new Set(expected.trades.map((trade) => trade.exitReason)).size).toBeGreaterThanOrEqual(2);
    expect(resumed.trader.snapshot()).toEqual(original.trader.snapshot());
    expect(resumed.book.state()).toEqual(original.book.state());
  });

  it("resumes at any bar (every 7th of the first 80) with the same trades as an uninterrupted run", () => {
    const trading = makeTrading(CONFIGS["ema-cross with trailing, break-even, volatility slippage and commission"]);
    const reference = new TraderHarness(trading);
    reference.play(BARS);
    expect(reference.trades.length).toBeGreaterThanOrEqual(5);
    const bars = BARS.slice(0, 80);
    for (let split = 1; split < bars.length; split += 7) {
      const first = new TraderHarness(trading);
      first.play(bars.slice(0, split));
      const resumed = first.restarted();
      resumed.play(BARS.slice(split));
      expect([...first.trades, ...resumed.trades]).toEqual(reference.trades);
    }
  });

  it("keeps the snapshot plain JSON, a copy the trader never writes to", () => {
    const h = new TraderHarness();
    h.play(BARS.slice(0, SELL_SIGNAL + 1));
    const snapshot = h.trader.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    const frozen = structuredClone(snapshot);
    h.play(BARS.slice(SELL_SIGNAL + 1, SELL_SIGNAL + 40));
    expect(snapshot).toEqual(frozen);
  });

  it("does not share state with the snapshot it was built from", () => {
    const h = new TraderHarness();
    h.play(BARS.slice(0, SELL_SIGNAL + 1));
    const state = h.trader.snapshot();
    const copy = structuredClone(state);
    const resumed = new InstrumentTrader({ accountId: "test", instrument: XAUUSD, trading: makeTrading() }, state);
    resumed.onQuote(BARS[REVERSE_BAR]!.tsMs, 2299.1, 2299.3, { accountEvent: () => undefined, record: () => undefined });
    expect(state).toEqual(copy);
  });

  it("resumes a model strategy's holding count", () => {
    const trading = makeTrading({ strategy: { kind: "model", entryConfidence: 0.6, exitConfidence: 0.5, minHoldingBars: 3, atrPeriod: 3 } });
    const signalAt = (source: SourceBar) => makeSignal(source.tsMs % 7 === 0 ? 0.3 : 0.75);
    const quiet = crossScenario().slice(0, 7);
    const a = new TraderHarness(trading);
    a.play(quiet, () => makeSignal(0.7));
    const b = a.restarted();
    const more = walkBars(60, { startIndex: 7, startPrice: 2300, seed: 5 });
    a.play(more, signalAt);
    b.play(more, signalAt);
    expect(a.trades.length).toBeGreaterThanOrEqual(2);
    expect(b.trades).toEqual(a.trades);
    expect(b.trader.snapshot()).toEqual(a.trader.snapshot());
  });
});
