/**
 * Position and trade accounting for paper execution: opening a position from a fill, finding the tick that exits it
 * (stop or target on the correct side of the quote, gaps filled at the gapped price), tracking its excursions, and
 * closing it into a trade with its post-mortem (P&L, costs, MAE, MFE, R-multiple).
 *
 * Quote sides: a long is valued and closed at the bid, a short at the ask. Within one minute the standard tick path
 * stands for continuous trading, so a level crossed between two ticks of the same minute fills at the level; a level
 * the first tick of a minute has already crossed (the price gapped from the previous bar) fills at that tick's price.
 */
import type { EntryContext, ExecutionConfig, ExitReason, Fill, Position, Side, Trade } from "../schemas/trading.js";
import { commissionUsd, direction, marketFillPrice, opposite } from "./fill-model.js";

/** What opening needs to know beyond the quote. */
export interface OpenOrder {
  readonly id: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly lots: number;
  readonly contractSize: number;
  readonly stopPrice: number | null;
  readonly targetPrice: number | null;
  readonly entry: EntryContext;
}

/** Fills an order at the quote (plus slippage) and returns the new position and its fill. */
export function openPosition(
  order: OpenOrder,
  tsMs: number,
  bid: number,
  ask: number,
  slippage: number,
  execution: ExecutionConfig,
): { position: Position; fill: Fill } {
  const quotePrice = order.side === "buy" ? ask : bid;
  const price = marketFillPrice(order.side, bid, ask, slippage);
  const units = order.lots * order.contractSize;
  const commission = commissionUsd(order.lots, execution);
  const slippageUsd = slippage * units;
  const position: Position = {
    id: order.id,
    accountId: order.accountId,
    symbol: order.symbol,
    side: order.side,
    lots: order.lots,
    units,
    entryTsMs: tsMs,
    entryPrice: price,
    stopPrice: order.stopPrice,
    stopReason: "initial",
    initialStopPrice: order.stopPrice,
    targetPrice: order.targetPrice,
    entryCommissionUsd: commission,
    entrySlippageUsd: slippageUsd,
    worstPrice: price,
    bestPrice: price,
    entry: order.entry,
  };
  const fill: Fill = {
    id: `${order.id}:open`,
    positionId: order.id,
    accountId: order.accountId,
    symbol: order.symbol,
    side: order.side,
    kind: "open",
    lots: order.lots,
    tsMs,
    quotePrice,
    price,
    slippageUsd,
    commissionUsd: commission,
    reason: "entry",
  };
  return { position, fill };
}

/** A stop or target the quote has reached: the reason and the level (or gapped price) it fills at. */
export interface ExitTrigger {
  readonly reason: ExitReason;
  /** Price before slippage: the level, or the tick's price when the tick gapped through it. */
  readonly quotePrice: number;
  /** Stops pay slippage (they become market orders); targets fill at their limit. */
  readonly slipped: boolean;
}

/**
 * The exit this quote triggers, or null. The stop is checked before the target (a tick that crosses both, which only
 * a gap can do, is a loss-side exit). `gapped` is true for the first tick of a minute.
 */
export function exitTrigger(position: Position, bid: number, ask: number, gapped: boolean): ExitTrigger | null {
  const long = position.side === "buy";
  const price = long ? bid : ask;
  const stop = position.stopPrice;
  if (stop !== null && (long ? price <= stop : price >= stop)) {
    return { reason: stopExitReason(position), quotePrice: gapped ? price : stop, slipped: true };
  }
  const target = position.targetPrice;
  if (target !== null && (long ? price >= target : price <= target)) {
    return { reason: "take-profit", quotePrice: gapped ? price : target, slipped: false };
  }
  return null;
}

function stopExitReason(position: Position): ExitReason {
  switch (position.stopReason) {
    case "initial":
      return "stop-loss";
    case "break-even":
      return "break-even-stop";
    case "trailing":
      return "trailing-stop";
  }
}

/** Records the quote's exit-side price as the position's worst or best so far (MAE / MFE). Mutates `position`. */
export function trackExcursion(position: Position, bid: number, ask: number): void {
  const long = position.side === "buy";
  const price = long ? bid : ask;
  if (long ? price < position.worstPrice : price > position.worstPrice) position.worstPrice = price;
  if (long ? price > position.bestPrice : price < position.bestPrice) position.bestPrice = price;
}

/** Unrealised P&L at a quote, USD (before the exit's commission and slippage). */
export function unrealisedPnlUsd(position: Position, bid: number, ask: number): number {
  const exitPrice = position.side === "buy" ? bid : ask;
  return (exitPrice - position.entryPrice) * position.units * direction(position.side);
}

/**
 * Closes a position at `quotePrice` (worse by `slippage`) and returns the trade with its post-mortem and the fill.
 * @example closePosition(long, tsMs, 2301.5, 0, "take-profit", execution)
 */
export function closePosition(
  position: Position,
  tsMs: number,
  quotePrice: number,
  slippage: number,
  reason: ExitReason,
  execution: ExecutionConfig,
): { trade: Trade; fill: Fill } {
  const side = opposite(position.side);
  const price = side === "buy" ? quotePrice + slippage : quotePrice - slippage;
  const dir = direction(position.side);
  const units = position.units;
  const exitCommission = commissionUsd(position.lots, execution);
  const exitSlippageUsd = slippage * units;
  const worst = dir === 1 ? Math.min(position.worstPrice, price) : Math.max(position.worstPrice, price);
  const best = dir === 1 ? Math.max(position.bestPrice, price) : Math.min(position.bestPrice, price);
  const grossPnlUsd = (price - position.entryPrice) * units * dir;
  const commission = position.entryCommissionUsd + exitCommission;
  const netPnlUsd = grossPnlUsd - commission;
  const riskUsd = position.initialStopPrice === null ? 0 : Math.abs(position.entryPrice - position.initialStopPrice) * units;
  const trade: Trade = {
    id: position.id,
    accountId: position.accountId,
    symbol: position.symbol,
    side: position.side,
    lots: position.lots,
    units,
    entryTsMs: position.entryTsMs,
    entryPrice: position.entryPrice,
    exitTsMs: tsMs,
    exitPrice: price,
    exitReason: reason,
    stopPrice: position.stopPrice,
    initialStopPrice: position.initialStopPrice,
    targetPrice: position.targetPrice,
    grossPnlUsd,
    commissionUsd: commission,
    slippageUsd: position.entrySlippageUsd + exitSlippageUsd,
    netPnlUsd,
    maeUsd: Math.min(0, (worst - position.entryPrice) * units * dir),
    mfeUsd: Math.max(0, (best - position.entryPrice) * units * dir),
    rMultiple: riskUsd > 0 ? netPnlUsd / riskUsd : null,
    holdingMs: tsMs - position.entryTsMs,
    strategy: position.entry.strategy,
    signalTsMs: position.entry.signalTsMs,
    modelVersion: position.entry.modelVersion,
    confidence: position.entry.confidence,
    regime: position.entry.regime,
  };
  const fill: Fill = {
    id: `${position.id}:close`,
    positionId: position.id,
    accountId: position.accountId,
    symbol: position.symbol,
    side,
    kind: "close",
    lots: position.lots,
    tsMs,
    quotePrice,
    price,
    slippageUsd: exitSlippageUsd,
    commissionUsd: exitCommission,
    reason,
  };
  return { trade, fill };
}
