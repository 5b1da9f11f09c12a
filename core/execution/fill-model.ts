/**
 * The paper fill model: which side of the quote an order fills against, how much adverse slippage it pays and what
 * commission it costs. Market orders and stops pay slippage; take-profit levels (limit orders) fill at their price.
 */
import type { ExecutionConfig, Side } from "../schemas/trading.js";

/** +1 for a long position (or a buy), −1 for a short (or a sell). */
export function direction(side: Side): 1 | -1 {
  return side === "buy" ? 1 : -1;
}

/** The opposite side: a long is closed by a sell. */
export function opposite(side: Side): Side {
  return side === "buy" ? "sell" : "buy";
}

/**
 * Adverse slippage of one fill in price units: none, a fixed number of points, or a fraction of the latest closed
 * bar's ATR (volatility-scaled; 0 while the ATR is not known yet).
 * @example slippagePrice({ kind: "fixed", points: 5 }, 0.01, 1.2) // 0.05
 */
export function slippagePrice(slippage: ExecutionConfig["slippage"], pointSize: number, atr: number | undefined): number {
  switch (slippage.kind) {
    case "none":
      return 0;
    case "fixed":
      return slippage.points * pointSize;
    case "volatility":
      return atr !== undefined && Number.isFinite(atr) ? slippage.atrFraction * atr : 0;
  }
}

/**
 * Price of a market fill: a buy takes the ask, a sell hits the bid, both worse by the slippage.
 * @example marketFillPrice("buy", 2300.1, 2300.3, 0.05) // 2300.35
 */
export function marketFillPrice(side: Side, bid: number, ask: number, slippage: number): number {
  return side === "buy" ? ask + slippage : bid - slippage;
}

/** Commission of one fill, USD: per lot, charged on each side of a round trip. */
export function commissionUsd(lots: number, execution: ExecutionConfig): number {
  return lots * execution.commissionPerLotUsd;
}
