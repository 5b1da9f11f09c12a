/** Paper fill model: quote side, adverse slippage (fixed points or ATR fraction), commission per lot and side, costs in USD. */
import { describe, expect, it } from "vitest";
import { commissionUsd, direction, marketFillPrice, opposite, slippagePrice } from "../../../core/execution/fill-model.js";
import { closePosition, openPosition, type OpenOrder } from "../../../core/execution/positions.js";
import { ExecutionConfigSchema, type ExecutionConfig } from "../../../core/schemas/trading.js";
import { makeEntry, T0_MS } from "../trading/trading-builders.js";

const NO_COSTS: ExecutionConfig = ExecutionConfigSchema.parse({});
const POINT = 0.01;

/** A 1-lot XAUUSD order (100 oz) without levels. */
function order(overrides: Partial<OpenOrder> = {}): OpenOrder {
  return {
    id: "XAUUSD-1",
    accountId: "test",
    symbol: "XAUUSD",
    side: "buy",
    lots: 1,
    contractSize: 100,
    stopPrice: null,
    targetPrice: null,
    entry: makeEntry(),
    ...overrides,
  };
}

describe("sides", () => {
  it("a long (or a buy) counts +1 and is closed by a sell; a short the mirror", () => {
    expect([direction("buy"), direction("sell")]).toEqual([1, -1]);
    expect([opposite("buy"), opposite("sell")]).toEqual(["sell", "buy"]);
  });
});

describe("slippagePrice", () => {
  it("is zero without slippage, whatever the ATR", () => {
    expect(slippagePrice({ kind: "none" }, POINT, 3)).toBe(0);
  });

  it("is a fixed number of points in price units, independent of the ATR", () => {
    expect(slippagePrice({ kind: "fixed", points: 5 }, POINT, 1.2)).toBeCloseTo(0.05, 12);
    expect(slippagePrice({ kind: "fixed", points: 5 }, POINT, undefined)).toBeCloseTo(0.05, 12);
    expect(slippagePrice({ kind: "fixed", points: 30 }, 0.00001, 0.001)).toBeCloseTo(0.0003, 15);
  });

  it("is a fraction of the ATR when volatility-scaled, and zero while the ATR is unknown", () => {
    expect(slippagePrice({ kind: "volatility", atrFraction: 0.1 }, POINT, 2.5)).toBeCloseTo(0.25, 12);
    expect(slippagePrice({ kind: "volatility", atrFraction: 0.1 }, POINT, 5)).toBeCloseTo(0.5, 12);
    expect(slippagePrice({ kind: "volatility", atrFraction: 0.1 }, POINT, undefined)).toBe(0);
    expect(slippagePrice({ kind: "volatility", atrFraction: 0.1 }, POINT, Number.NaN)).toBe(0);
  });
});

describe("marketFillPrice", () => {
  it("fills a buy at the ask plus the slippage and a sell at the bid minus it", () => {
    expect(marketFillPrice("buy", 2300.1, 2300.3, 0.05)).toBeCloseTo(2300.35, 9);
    expect(marketFillPrice("sell", 2300.1, 2300.3, 0.05)).toBeCloseTo(2300.05, 9);
  });

  it("fills at the quote itself without slippage", () => {
    expect(marketFillPrice("buy", 2300.1, 2300.3, 0)).toBe(2300.3);
    expect(marketFillPrice("sell", 2300.1, 2300.3, 0)).toBe(2300.1);
  });
});

describe("commissionUsd", () => {
  it("charges per lot on each fill", () => {
    const execution = ExecutionConfigSchema.parse({ commissionPerLotUsd: 7 });
    expect(commissionUsd(1, execution)).toBe(7);
    expect(commissionUsd(0.5, execution)).toBe(3.5);
    expect(commissionUsd(3, NO_COSTS)).toBe(0);
  });
});

describe("openPosition fills", () => {
  const execution = ExecutionConfigSchema.parse({ slippage: { kind: "fixed", points: 5 }, commissionPerLotUsd: 7 });

  it("a buy takes the ask plus slippage, records the ask as its quote and the slippage cost in USD", () => {
    const { position, fill } = openPosition(order({ lots: 2 }), T0_MS, 2300.1, 2300.3, 0.05, execution);
    expect(fill).toMatchObject({ id: "XAUUSD-1:open", side: "buy", kind: "open", lots: 2, tsMs: T0_MS, quotePrice: 2300.3, reason: "entry" });
    expect(fill.price).toBeCloseTo(2300.35, 9);
    expect(fill.slippageUsd).toBeCloseTo(0.05 * 200, 9); // 2 lots × 100 oz × 0.05
    expect(fill.commissionUsd).toBe(14);
    expect(position).toMatchObject({ side: "buy", lots: 2, units: 200, entryTsMs: T0_MS, entryCommissionUsd: 14, stopReason: "initial" });
    expect(position.entryPrice).toBe(fill.price);
    expect(position.entrySlippageUsd).toBe(fill.slippageUsd);
    // Excursions start at the fill price.
    expect([position.worstPrice, position.bestPrice]).toEqual([fill.price, fill.price]);
  });

  it("a sell hits the bid minus slippage", () => {
    const { position, fill } = openPosition(order({ side: "sell" }), T0_MS, 2300.1, 2300.3, 0.05, execution);
    expect(fill.quotePrice).toBe(2300.1);
    expect(fill.price).toBeCloseTo(2300.05, 9);
    expect(fill.slippageUsd).toBeCloseTo(5, 9);
    expect(fill.commissionUsd).toBe(7);
    expect(position.entryPrice).toBe(fill.price);
  });

  it("costs nothing without slippage or commission", () => {
    const { fill } = openPosition(order(), T0_MS, 2300.1, 2300.3, 0, NO_COSTS);
    expect(fill).toMatchObject({ price: 2300.3, slippageUsd: 0, commissionUsd: 0 });
  });
});

describe("a round trip's costs", () => {
  it("charges commission on both sides and sums the adverse slippage of both fills in USD", () => {
    const execution = ExecutionConfigSchema.parse({ slippage: { kind: "fixed", points: 5 }, commissionPerLotUsd: 7 });
    const slip = slippagePrice(execution.slippage, POINT, undefined);
    const { position } = openPosition(order(), T0_MS, 2300.1, 2300.3, slip, execution);
    const { trade, fill } = closePosition(position, T0_MS + 60_000, 2302.1, slip, "manual", execution);
    // Entry 2300.35, exit (sell at the bid 2302.10) 2302.05: 1.70 × 100 oz gross.
    expect(fill).toMatchObject({ side: "sell", kind: "close", quotePrice: 2302.1, commissionUsd: 7, reason: "manual" });
    expect(fill.price).toBeCloseTo(2302.05, 9);
    expect(fill.slippageUsd).toBeCloseTo(5, 9);
    expect(trade.grossPnlUsd).toBeCloseTo(170, 6);
    expect(trade.commissionUsd).toBe(14);
    expect(trade.slippageUsd).toBeCloseTo(10, 9);
    expect(trade.netPnlUsd).toBeCloseTo(156, 6);
    // Slippage is inside the gross: without it the same quotes gross 180 (2300.30 → 2302.10).
    expect(trade.grossPnlUsd + trade.slippageUsd).toBeCloseTo(180, 6);
  });
});
