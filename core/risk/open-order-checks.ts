/**
 * The pre-trade checks of an open order, in their fixed order (the first failure is the decision):
 * TRADING_HALTED → REDUCING_ONLY → LOSS_COOLDOWN → MAX_DAILY_LOSS → MAX_DRAWDOWN → MAX_TRADES_PER_DAY →
 * MAX_POSITIONS_PER_SYMBOL → MAX_POSITIONS_TOTAL → sizing (INVALID_STOP, SIZE_BELOW_MINIMUM) → MAX_NOTIONAL_EXPOSURE →
 * MAX_CORRELATED_EXPOSURE → INSUFFICIENT_MARGIN → VAR_LIMIT. Reserved (approved, unfilled) orders count as positions.
 */
import type { TradingState } from "../schemas/account.js";
import type { DenialCode, OrderRequest, RiskLimits } from "../schemas/trading.js";
import type { HeldPosition, Reservation } from "./account-book-state.js";
import {
  capacityInUse,
  dailyLossLimitUsd,
  drawdownPct,
  isDailyLossBreached,
  sideSign,
  symbolExposure,
  type SymbolExposure,
} from "./account-measures.js";
import type { ReturnHistory } from "./return-history.js";
import { sizeOrder } from "./sizing.js";
import {
  BARS_PER_DAY,
  correlationAdjustedExposureUsd,
  correlationMatrix,
  historicalVar,
  MIN_HISTORY_RETURNS,
  scenarioPnlUsd,
  unknownCorrelation,
} from "./var.js";

/** The values that decided a denial. */
export type DecisionContext = Record<string, number | string | boolean | null>;

/** The checks' verdict: the lots to approve, or the first failed check. */
export type OpenOrderVerdict =
  | { readonly approved: true; readonly lots: number }
  | { readonly approved: false; readonly code: DenialCode; readonly message: string; readonly context: DecisionContext };

/** What the checks read of the account. */
export interface AccountView {
  readonly tradingState: TradingState;
  readonly stateReason: string;
  readonly stateSinceMs: number;
  readonly equityUsd: number;
  readonly peakEquityUsd: number;
  readonly dayStartMs: number;
  readonly dayStartEquityUsd: number;
  /** Opens approved in the current UTC day (the request's day has been rolled to already). */
  readonly tradesToday: number;
  readonly cooldownUntilMs: number | null;
  readonly positions: readonly HeldPosition[];
  readonly reservations: readonly Reservation[];
  readonly history: ReturnHistory;
}

/**
 * Decides an open order against `limits`. Pure: reads `account`, changes nothing. Correlation and VaR use the M1
 * returns of the symbols held, reserved or ordered, aligned on their common bar times (see var.ts); with fewer than
 * {@link MIN_HISTORY_RETURNS} of them, correlations between distinct symbols count at their worst case and the VaR
 * check is skipped.
 * @example
 * const verdict = checkOpenOrder(view, request, limits);
 * if (!verdict.approved) console.log(verdict.code, verdict.context);
 */
export function checkOpenOrder(account: AccountView, request: OrderRequest, limits: RiskLimits): OpenOrderVerdict {
  const { equityUsd } = account;
  if (account.tradingState === "HALTED") {
    return deny("TRADING_HALTED", `trading is halted: ${account.stateReason}`, {
      tradingState: account.tradingState,
      stateReason: account.stateReason,
      stateSinceMs: account.stateSinceMs,
    });
  }
  if (account.tradingState === "REDUCING") {
    return deny("REDUCING_ONLY", `the account only reduces risk: ${account.stateReason}`, {
      tradingState: account.tradingState,
      stateReason: account.stateReason,
      stateSinceMs: account.stateSinceMs,
    });
  }
  if (account.cooldownUntilMs !== null && request.tsMs < account.cooldownUntilMs) {
    return deny("LOSS_COOLDOWN", `cooling down after consecutive losses until ${new Date(account.cooldownUntilMs).toISOString()}`, {
      cooldownUntilMs: account.cooldownUntilMs,
      requestTsMs: request.tsMs,
      remainingMs: account.cooldownUntilMs - request.tsMs,
      cooldownAfterLosses: limits.cooldownAfterLosses,
    });
  }
  if (isDailyLossBreached(equityUsd, account.dayStartEquityUsd, limits.maxDailyLossPct)) {
    const dailyPnlUsd = equityUsd - account.dayStartEquityUsd;
    return deny("MAX_DAILY_LOSS", `today's P&L ${usd(dailyPnlUsd)} has reached the daily loss limit of ${limits.maxDailyLossPct} %`, {
      dailyPnlUsd,
      dayStartEquityUsd: account.dayStartEquityUsd,
      maxDailyLossPct: limits.maxDailyLossPct,
      maxDailyLossUsd: dailyLossLimitUsd(account.dayStartEquityUsd, limits.maxDailyLossPct),
      dayStartMs: account.dayStartMs,
    });
  }
  const drawdown = drawdownPct(account.peakEquityUsd, equityUsd);
  if (drawdown >= limits.maxDrawdownPct) {
    return deny("MAX_DRAWDOWN", `drawdown ${drawdown.toFixed(2)} % has reached the limit of ${limits.maxDrawdownPct} %`, {
      drawdownPct: drawdown,
      maxDrawdownPct: limits.maxDrawdownPct,
      peakEquityUsd: account.peakEquityUsd,
      equityUsd,
    });
  }
  if (account.tradesToday >= limits.maxTradesPerDay) {
    return deny("MAX_TRADES_PER_DAY", `${account.tradesToday} positions opened today, the limit is ${limits.maxTradesPerDay}`, {
      tradesToday: account.tradesToday,
      maxTradesPerDay: limits.maxTradesPerDay,
      dayStartMs: account.dayStartMs,
    });
  }
  const capacity = capacityInUse(account.positions, account.reservations, request.symbol);
  if (capacity.symbolCount >= limits.maxPositionsPerSymbol) {
    return deny("MAX_POSITIONS_PER_SYMBOL", `${capacity.symbolCount} positions open or pending on ${request.symbol}, the limit is ${limits.maxPositionsPerSymbol}`, {
      symbol: request.symbol,
      openPositions: capacity.symbolHeldCount,
      reservedPositions: capacity.symbolReservedCount,
      maxPositionsPerSymbol: limits.maxPositionsPerSymbol,
    });
  }
  const totalCount = capacity.heldCount + capacity.reservedCount;
  if (totalCount >= limits.maxPositionsTotal) {
    return deny("MAX_POSITIONS_TOTAL", `${totalCount} positions open or pending, the limit is ${limits.maxPositionsTotal}`, {
      openPositions: capacity.heldCount,
      reservedPositions: capacity.reservedCount,
      maxPositionsTotal: limits.maxPositionsTotal,
    });
  }
  const sized = sizeOrder(request, equityUsd, limits);
  if (!sized.ok) return deny(sized.code, sized.message, sized.context);
  const lots = sized.lots;
  const orderNotionalUsd = lots * request.contractSize * request.referencePrice;
  const totalNotionalUsd = capacity.heldNotionalUsd + capacity.reservedNotionalUsd + orderNotionalUsd;
  if (totalNotionalUsd > limits.maxNotionalUsd) {
    return deny("MAX_NOTIONAL_EXPOSURE", `notional ${usd(totalNotionalUsd)} with this order would exceed ${usd(limits.maxNotionalUsd)}`, {
      lots,
      openNotionalUsd: capacity.heldNotionalUsd,
      reservedNotionalUsd: capacity.reservedNotionalUsd,
      orderNotionalUsd,
      totalNotionalUsd,
      maxNotionalUsd: limits.maxNotionalUsd,
    });
  }

  const exposure = symbolExposure(account.positions, account.reservations, {
    symbol: request.symbol,
    signedNotionalUsd: orderNotionalUsd * sideSign(request.side),
  });
  const returns = lazyReturns(account.history, exposure);
  const correlated = correlatedExposure(exposure, returns, limits.maxCorrelatedNotionalUsd);
  if (correlated !== null && correlated.exposureUsd > limits.maxCorrelatedNotionalUsd) {
    return deny("MAX_CORRELATED_EXPOSURE", `correlation-adjusted exposure ${usd(correlated.exposureUsd)} with this order would exceed ${usd(limits.maxCorrelatedNotionalUsd)}`, {
      lots,
      correlatedExposureUsd: correlated.exposureUsd,
      maxCorrelatedNotionalUsd: limits.maxCorrelatedNotionalUsd,
      symbols: exposure.symbols.join(","),
      returnCount: correlated.returnCount,
      correlationEstimated: correlated.estimated,
    });
  }

  const marginUsedUsd = (capacity.heldNotionalUsd + capacity.reservedNotionalUsd) / limits.leverage;
  const orderMarginUsd = orderNotionalUsd / limits.leverage;
  if (marginUsedUsd + orderMarginUsd > equityUsd) {
    return deny("INSUFFICIENT_MARGIN", `margin ${usd(marginUsedUsd + orderMarginUsd)} with this order would exceed equity ${usd(equityUsd)}`, {
      lots,
      marginUsedUsd,
      orderMarginUsd,
      equityUsd,
      leverage: limits.leverage,
    });
  }

  if (limits.maxVarPct !== null) {
    const { returnSeries, returnCount } = returns();
    if (returnCount >= MIN_HISTORY_RETURNS) {
      const var99Usd = historicalVar(scenarioPnlUsd(exposure.signedNotionalsUsd, returnSeries), 0.99) * Math.sqrt(BARS_PER_DAY);
      const maxVarUsd = (limits.maxVarPct / 100) * equityUsd;
      if (var99Usd > maxVarUsd) {
        return deny("VAR_LIMIT", `one-day 99 % VaR ${usd(var99Usd)} with this order would exceed ${limits.maxVarPct} % of equity (${usd(maxVarUsd)})`, {
          lots,
          var99Usd,
          maxVarUsd,
          maxVarPct: limits.maxVarPct,
          equityUsd,
          returnCount,
        });
      }
    }
  }
  return { approved: true, lots };
}

/** Aligned returns of the exposure's symbols, computed once on first use. */
function lazyReturns(history: ReturnHistory, exposure: SymbolExposure): () => { returnSeries: number[][]; returnCount: number } {
  let cached: { returnSeries: number[][]; returnCount: number } | null = null;
  return () => {
    if (cached === null) {
      const { returns } = history.alignedReturns(exposure.symbols);
      cached = { returnSeries: returns, returnCount: returns[0]?.length ?? 0 };
    }
    return cached;
  };
}

/**
 * The correlation-adjusted exposure, or null when it cannot exceed `maxUsd`: √(eᵀCe) ≤ Σ|e| for any correlations, so
 * a gross exposure within the limit needs no history.
 */
function correlatedExposure(
  exposure: SymbolExposure,
  returns: () => { returnSeries: number[][]; returnCount: number },
  maxUsd: number,
): { exposureUsd: number; returnCount: number; estimated: boolean } | null {
  let grossUsd = 0;
  for (const signed of exposure.signedNotionalsUsd) grossUsd += Math.abs(signed);
  if (grossUsd <= maxUsd) return null;
  if (exposure.symbols.length === 1) return { exposureUsd: grossUsd, returnCount: 0, estimated: false };
  const { returnSeries, returnCount } = returns();
  const estimated = returnCount >= MIN_HISTORY_RETURNS;
  const correlation = estimated ? correlationMatrix(returnSeries) : unknownCorrelation(exposure.symbols.length);
  return { exposureUsd: correlationAdjustedExposureUsd(exposure.signedNotionalsUsd, correlation), returnCount, estimated };
}

function deny(code: DenialCode, message: string, context: DecisionContext): OpenOrderVerdict {
  return { approved: false, code, message, context };
}

function usd(amount: number): string {
  return `${amount.toFixed(2)} USD`;
}
