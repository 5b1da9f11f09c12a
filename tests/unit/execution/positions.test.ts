/**
 * Paper positions: which quote side exits a long and a short, stop and target fills at the level within a minute and
 * at the gapped price on a minute's first tick, stop before target, stop reasons, MAE / MFE, R-multiple and P&L.
 */
import { describe, expect, it } from "vitest";
import { closePosition, exitTrigger, trackExcursion, unrealisedPnlUsd } from "../../../core/execution/positions.js";
import { ExecutionConfigSchema, type Position } from "../../../core/schemas/trading.js";
import { makePosition, MINUTE_MS, T0_MS } from "../trading/trading-builders.js";

const NO_COSTS = ExecutionConfigSchema.parse({});
const WITHIN_MINUTE = false;
const GAPPED = true;

/** A long at 2300 (stop 2295, target 2310) and a short at 2300 (stop 2305, target 2290). */
const long = (overrides: Partial<Position> = {}) => makePosition(overrides);
const short = (overrides: Partial<Position> = {}) => makePosition({ side: "sell", stopPrice: 2305, targetPrice: 2290, ...overrides });

describe("exitTrigger: quote sides", () => {
  it("triggers a long's stop on the bid, even though the ask is still above the stop", () => {
    expect(exitTrigger(long(), 2294.9, 2295.1, WITHIN_MINUTE)).toEqual({ reason: "stop-loss", quotePrice: 2295, slipped: true });
    expect(exitTrigger(long(), 2295, 2295.2, WITHIN_MINUTE)).toEqual({ reason: "stop-loss", quotePrice: 2295, slipped: true });
  });

  it("does not stop a long whose bid is above the stop, however low the quote's other side", () => {
    expect(exitTrigger(long(), 2295.01, 2295.21, WITHIN_MINUTE)).toBeNull();
  });

  it("takes a long's profit on the bid only: an ask at the target is not enough", () => {
    expect(exitTrigger(long(), 2309.9, 2310.1, WITHIN_MINUTE)).toBeNull();
    expect(exitTrigger(long(), 2310, 2310.2, WITHIN_MINUTE)).toEqual({ reason: "take-profit", quotePrice: 2310, slipped: false });
  });

  it("triggers a short's stop on the ask, even though the bid is still below the stop", () => {
    expect(exitTrigger(short(), 2304.9, 2305.1, WITHIN_MINUTE)).toEqual({ reason: "stop-loss", quotePrice: 2305, slipped: true });
    expect(exitTrigger(short(), 2304.79, 2304.99, WITHIN_MINUTE)).toBeNull();
  });

  it("takes a short's profit on the ask only: a bid at the target is not enough", () => {
    expect(exitTrigger(short(), 2289.9, 2290.1, WITHIN_MINUTE)).toBeNull();
    expect(exitTrigger(short(), 2289.8, 2290, WITHIN_MINUTE)).toEqual({ reason: "take-profit", quotePrice: 2290, slipped: false });
  });

  it("never triggers without levels", () => {
    const bare = long({ stopPrice: null, targetPrice: null });
    expect(exitTrigger(bare, 1, 1.2, GAPPED)).toBeNull();
    expect(exitTrigger(bare, 9_999, 9_999.2, GAPPED)).toBeNull();
  });
});

describe("exitTrigger: fills at the level within a minute, at the gapped price on a minute's first tick", () => {
  it("fills a long's stop crossed between two ticks of a minute at the stop, and a gap through it at the bid", () => {
    expect(exitTrigger(long(), 2293, 2293.2, WITHIN_MINUTE)?.quotePrice).toBe(2295);
    expect(exitTrigger(long(), 2293, 2293.2, GAPPED)).toEqual({ reason: "stop-loss", quotePrice: 2293, slipped: true });
  });

  it("fills a long's target at the target within a minute, and a gap beyond it at the (better) bid", () => {
    expect(exitTrigger(long(), 2312, 2312.2, WITHIN_MINUTE)?.quotePrice).toBe(2310);
    expect(exitTrigger(long(), 2312, 2312.2, GAPPED)).toEqual({ reason: "take-profit", quotePrice: 2312, slipped: false });
  });

  it("fills a short's stop at the stop within a minute, and a gap through it at the ask", () => {
    expect(exitTrigger(short(), 2306.8, 2307, WITHIN_MINUTE)?.quotePrice).toBe(2305);
    expect(exitTrigger(short(), 2306.8, 2307, GAPPED)).toEqual({ reason: "stop-loss", quotePrice: 2307, slipped: true });
  });

  it("fills a short's target at the target within a minute, and a gap beyond it at the (better) ask", () => {
    expect(exitTrigger(short(), 2287.8, 2288, WITHIN_MINUTE)?.quotePrice).toBe(2290);
    expect(exitTrigger(short(), 2287.8, 2288, GAPPED)).toEqual({ reason: "take-profit", quotePrice: 2288, slipped: false });
  });

  it("ignores a minute's first tick that reaches no level", () => {
    expect(exitTrigger(long(), 2300, 2300.2, GAPPED)).toBeNull();
    expect(exitTrigger(short(), 2300, 2300.2, GAPPED)).toBeNull();
  });
});

describe("exitTrigger: stop before target, and the stop's reason", () => {
  it("checks the stop first when one quote is beyond both levels (a stop moved past the target)", () => {
    // A long whose stop was trailed to 2311 above a 2310 target: a bid of 2310.5 is at both.
    expect(exitTrigger(long({ stopPrice: 2311, stopReason: "trailing" }), 2310.5, 2310.7, WITHIN_MINUTE)).toEqual({
      reason: "trailing-stop",
      quotePrice: 2311,
      slipped: true,
    });
    expect(exitTrigger(short({ stopPrice: 2289, stopReason: "trailing" }), 2289.3, 2289.5, GAPPED)).toEqual({
      reason: "trailing-stop",
      quotePrice: 2289.5,
      slipped: true,
    });
  });

  it("names a stop exit after what set the stop: initial → stop-loss, break-even → break-even-stop, trailing → trailing-stop", () => {
    const reasons = (["initial", "break-even", "trailing"] as const).map(
      (stopReason) => exitTrigger(long({ stopPrice: 2300, stopReason }), 2299.9, 2300.1, WITHIN_MINUTE)?.reason,
    );
    expect(reasons).toEqual(["stop-loss", "break-even-stop", "trailing-stop"]);
  });
});

describe("trackExcursion and unrealised P&L", () => {
  it("tracks a long's worst and best bid, ignoring the ask", () => {
    const position = long();
    for (const [bid, ask] of [[2298.5, 2298.7], [2303.2, 2303.4], [2301, 2301.2], [2299, 2304]] as const) trackExcursion(position, bid, ask);
    expect([position.worstPrice, position.bestPrice]).toEqual([2298.5, 2303.2]);
  });

  it("tracks a short's worst and best ask, ignoring the bid", () => {
    const position = short();
    for (const [bid, ask] of [[2301.3, 2301.5], [2295.8, 2296], [2290, 2298]] as const) trackExcursion(position, bid, ask);
    expect([position.worstPrice, position.bestPrice]).toEqual([2301.5, 2296]);
  });

  it("values a long at the bid and a short at the ask", () => {
    expect(unrealisedPnlUsd(long(), 2301, 2301.2)).toBeCloseTo(100, 9);
    expect(unrealisedPnlUsd(short(), 2298.8, 2299)).toBeCloseTo(100, 9);
    expect(unrealisedPnlUsd(short(), 2300, 2300.2)).toBeCloseTo(-20, 9);
  });
});

describe("closePosition: the trade's post-mortem", () => {
  it("a long: P&L at the exit, MAE / MFE from the worst and best bids, R-multiple against the initial stop", () => {
    const position = long();
    for (const [bid, ask] of [[2298.5, 2298.7], [2303.2, 2303.4], [2301, 2301.2]] as const) trackExcursion(position, bid, ask);
    const { trade, fill } = closePosition(position, T0_MS + 5 * MINUTE_MS, 2302, 0, "manual", NO_COSTS);
    expect(fill).toMatchObject({ id: "XAUUSD-1:close", positionId: "XAUUSD-1", side: "sell", kind: "close", quotePrice: 2302, price: 2302, reason: "manual" });
    expect(trade).toMatchObject({ id: "XAUUSD-1", side: "buy", entryPrice: 2300, exitPrice: 2302, exitReason: "manual", holdingMs: 5 * MINUTE_MS });
    expect(trade.grossPnlUsd).toBeCloseTo(200, 6); // +2.00 × 100 oz
    expect(trade.netPnlUsd).toBeCloseTo(200, 6);
    expect(trade.maeUsd).toBeCloseTo(-150, 6); // worst bid 2298.50
    expect(trade.mfeUsd).toBeCloseTo(320, 6); // best bid 2303.20
    expect(trade.rMultiple).toBeCloseTo(0.4, 9); // 200 ÷ (5.00 × 100)
  });

  it("a short: P&L, MAE / MFE from the asks, and costs inside net P&L and R", () => {
    const execution = ExecutionConfigSchema.parse({ commissionPerLotUsd: 7 });
    const position = short({ entryCommissionUsd: 7 });
    for (const [bid, ask] of [[2301.3, 2301.5], [2295.8, 2296]] as const) trackExcursion(position, bid, ask);
    const { trade, fill } = closePosition(position, T0_MS + MINUTE_MS, 2297, 0, "take-profit", execution);
    expect(fill).toMatchObject({ side: "buy", price: 2297, commissionUsd: 7 });
    expect(trade.grossPnlUsd).toBeCloseTo(300, 6);
    expect(trade.commissionUsd).toBe(14);
    expect(trade.netPnlUsd).toBeCloseTo(286, 6);
    expect(trade.maeUsd).toBeCloseTo(-150, 6); // worst ask 2301.50
    expect(trade.mfeUsd).toBeCloseTo(400, 6); // best ask 2296.00
    expect(trade.rMultiple).toBeCloseTo(286 / 500, 9);
  });

  it("counts the exit fill in the excursions: a gapped stop is the trade's worst price", () => {
    const position = long();
    trackExcursion(position, 2296, 2296.2);
    const trigger = exitTrigger(position, 2293, 2293.2, GAPPED)!;
    const { trade } = closePosition(position, T0_MS + MINUTE_MS, trigger.quotePrice, 0, trigger.reason, NO_COSTS);
    expect(trade).toMatchObject({ exitPrice: 2293, exitReason: "stop-loss", stopPrice: 2295, initialStopPrice: 2295 });
    expect(trade.maeUsd).toBeCloseTo(-700, 6);
    expect(trade.mfeUsd).toBe(0);
    expect(trade.rMultiple).toBeCloseTo(-1.4, 9);
  });

  it("slips a stop exit adversely (a long's sell lower, a short's buy higher) and reports the exit's slippage in USD", () => {
    const execution = ExecutionConfigSchema.parse({ slippage: { kind: "fixed", points: 10 } });
    const longExit = closePosition(long({ entrySlippageUsd: 10 }), T0_MS, 2295, 0.1, "stop-loss", execution);
    expect(longExit.fill.price).toBeCloseTo(2294.9, 9);
    expect(longExit.fill.slippageUsd).toBeCloseTo(10, 9);
    expect(longExit.trade.slippageUsd).toBeCloseTo(20, 9);
    expect(longExit.trade.grossPnlUsd).toBeCloseTo(-510, 6);
    const shortExit = closePosition(short(), T0_MS, 2305, 0.1, "stop-loss", execution);
    expect(shortExit.fill.price).toBeCloseTo(2305.1, 9);
    expect(shortExit.trade.grossPnlUsd).toBeCloseTo(-510, 6);
    expect(shortExit.trade.rMultiple).toBeCloseTo(-1.02, 9);
  });

  it("keeps the initial stop for R when the stop has moved, and has no R without a stop", () => {
    const moved = long({ stopPrice: 2301, stopReason: "break-even", initialStopPrice: 2295 });
    const { trade } = closePosition(moved, T0_MS, 2301, 0, "break-even-stop", NO_COSTS);
    expect(trade).toMatchObject({ stopPrice: 2301, initialStopPrice: 2295, exitReason: "break-even-stop" });
    expect(trade.rMultiple).toBeCloseTo(0.2, 9);
    const bare = long({ stopPrice: null, initialStopPrice: null });
    expect(closePosition(bare, T0_MS, 2301, 0, "manual", NO_COSTS).trade.rMultiple).toBeNull();
  });

  it("copies the entry context onto the trade", () => {
    const position = long({ entry: { strategy: "model", signalTsMs: T0_MS - MINUTE_MS, modelVersion: "v3", confidence: 0.7, regime: "trending", atr: 2.5 } });
    const { trade } = closePosition(position, T0_MS, 2300, 0, "exit-signal", NO_COSTS);
    expect(trade).toMatchObject({ strategy: "model", signalTsMs: T0_MS - MINUTE_MS, modelVersion: "v3", confidence: 0.7, regime: "trending" });
  });
});
