/** Builders for the risk tests: limits, requests, positions and trades with defaults, and a seeded PRNG. */
import { RiskLimitsSchema, type OrderRequest, type Position, type RiskLimits, type RiskLimitsInput, type Trade } from "../../../core/schemas/trading.js";
import { mulberry32 } from "../../../training/models/random.js";

/** 2026-03-24 00:00:00 UTC (a Tuesday): the start of a UTC day. */
export const DAY0_MS = Date.UTC(2026, 2, 24);
/** 14:00 on DAY0. */
export const T0_MS = DAY0_MS + 14 * 3_600_000;
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Instruments the tests trade: price and lot size roughly as quoted. */
export const INSTRUMENTS = {
  XAUUSD: { price: 2300, spread: 0.2, contractSize: 100 },
  XAGUSD: { price: 28, spread: 0.02, contractSize: 5_000 },
  EURUSD: { price: 1.08, spread: 0.0001, contractSize: 100_000 },
} as const;
export type TestSymbol = keyof typeof INSTRUMENTS;

/** Risk limits with the schema's defaults and `overrides`. */
export function makeLimits(overrides: RiskLimitsInput = {}): RiskLimits {
  return RiskLimitsSchema.parse(overrides);
}

/** An XAUUSD buy to open, 1 lot by the default fixed-lots sizing, at 2300.20 with a 5.0 stop, at T0. */
export function makeRequest(overrides: Partial<OrderRequest> = {}): OrderRequest {
  const symbol = (overrides.symbol ?? "XAUUSD") as TestSymbol;
  const instrument = INSTRUMENTS[symbol] ?? INSTRUMENTS.XAUUSD;
  return {
    requestId: "r1",
    symbol,
    side: "buy",
    intent: "open",
    tsMs: T0_MS,
    referencePrice: instrument.price,
    stopDistance: 5,
    contractSize: instrument.contractSize,
    requestedLots: null,
    replacesPositionId: null,
    source: "strategy",
    ...overrides,
  };
}

/** The position an approved request fills as: `lots` at `entryPrice` (default the reference price). */
export function positionFor(request: OrderRequest, lots: number, overrides: Partial<Position> = {}): Position {
  const entryPrice = overrides.entryPrice ?? request.referencePrice;
  return {
    id: request.requestId,
    accountId: "test",
    symbol: request.symbol,
    side: request.side,
    lots,
    units: lots * request.contractSize,
    entryTsMs: request.tsMs,
    entryPrice,
    stopPrice: null,
    stopReason: "initial",
    initialStopPrice: null,
    targetPrice: null,
    entryCommissionUsd: 0,
    entrySlippageUsd: 0,
    worstPrice: entryPrice,
    bestPrice: entryPrice,
    entry: { strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, regime: "unknown", atr: null },
    ...overrides,
  };
}

/** The trade closing `position` at `exitTsMs` with `netPnlUsd` (no commission). */
export function tradeFor(position: Position, exitTsMs: number, netPnlUsd: number): Trade {
  const direction = position.side === "buy" ? 1 : -1;
  return {
    id: position.id,
    accountId: position.accountId,
    symbol: position.symbol,
    side: position.side,
    lots: position.lots,
    units: position.units,
    entryTsMs: position.entryTsMs,
    entryPrice: position.entryPrice,
    exitTsMs,
    exitPrice: position.entryPrice + (direction * netPnlUsd) / position.units,
    exitReason: "manual",
    stopPrice: position.stopPrice,
    initialStopPrice: position.initialStopPrice,
    targetPrice: position.targetPrice,
    grossPnlUsd: netPnlUsd,
    commissionUsd: 0,
    slippageUsd: 0,
    netPnlUsd,
    maeUsd: Math.min(0, netPnlUsd),
    mfeUsd: Math.max(0, netPnlUsd),
    rMultiple: null,
    holdingMs: exitTsMs - position.entryTsMs,
    strategy: position.entry.strategy,
    signalTsMs: position.entry.signalTsMs,
    modelVersion: position.entry.modelVersion,
    confidence: position.entry.confidence,
    regime: position.entry.regime,
  };
}

/** The project's seeded generator (the trainer's), re-exported for the tests that build on these helpers. */
export { mulberry32 };
