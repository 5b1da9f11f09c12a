/** Backtest performance metrics from closed trades and the equity curve, with each definition written out to reproduce. */
import type { Trade } from "../schemas/trading.js";

/** One UTC day, ms. Daily returns are taken per UTC calendar day. */
export const DAY_MS = 86_400_000;

/** Trading days per year used to annualise the daily Sharpe and Sortino ratios (×√252). */
export const TRADING_DAYS_PER_YEAR = 252;

/**
 * A deviation of daily returns below this (a fraction) counts as zero: equal returns computed in floating point
 * differ by ~1e-17, which would otherwise give a meaningless ratio of ~1e15.
 */
export const ZERO_DEVIATION = 1e-12;

/**
 * One sample of the account, taken by the backtester at every closed M1 bar and at every fill. Points are in
 * non-decreasing time order.
 */
export interface EquityPoint {
  /** Sample time, epoch ms (UTC). */
  readonly tsMs: number;
  /** Balance plus unrealised P&L of open positions at the sample's marks, USD. */
  readonly equityUsd: number;
  /** Deposit plus realised net P&L, USD. */
  readonly balanceUsd: number;
}

/** One point of the drawdown curve. */
export interface DrawdownPoint {
  /** Sample time, epoch ms (UTC). */
  readonly tsMs: number;
  /** How far equity is below its running peak, percent of that peak (≥ 0; 0 at a new high). */
  readonly drawdownPct: number;
}

/**
 * The figures of one backtest. "Trade" always means a closed {@link Trade}; its `netPnlUsd` (gross P&L after
 * slippage, minus commission) is the P&L every trade statistic uses. A statistic that is undefined for the data
 * (no trades, no losing trade, fewer than two days…) is `null`, never 0 or NaN.
 */
export interface BacktestMetrics {
  /** The deposit the backtest started with, USD. */
  readonly initialBalanceUsd: number;
  /** Equity of the last equity point, USD; the initial balance plus Σ trade net P&L when there is no equity point. */
  readonly finalEquityUsd: number;
  /**
   * Σ `netPnlUsd` over all trades, USD. Equals finalEquityUsd − initialBalanceUsd when every position is closed by
   * the end of the data (the backtester closes them with `end-of-data`).
   */
  readonly netPnlUsd: number;
  /** Σ `netPnlUsd` of the winning trades (net P&L > 0), USD (≥ 0). "Gross" as in "before the losers", not "before costs". */
  readonly grossProfitUsd: number;
  /** |Σ `netPnlUsd`| of the losing trades (net P&L < 0), USD, as a positive number (≥ 0). */
  readonly grossLossUsd: number;
  /** (finalEquityUsd ÷ initialBalanceUsd − 1) × 100, percent. */
  readonly returnPct: number;
  /** Closed trades. */
  readonly trades: number;
  /** Trades with net P&L > 0. */
  readonly wins: number;
  /** Trades with net P&L < 0 (a trade at exactly 0 is neither a win nor a loss). */
  readonly losses: number;
  /** wins ÷ trades × 100, percent; null without trades. */
  readonly winRatePct: number | null;
  /** grossProfitUsd ÷ grossLossUsd (a ratio); null when there is no losing trade. */
  readonly profitFactor: number | null;
  /** Mean net P&L per trade (netPnlUsd ÷ trades), USD; null without trades. */
  readonly expectancyUsd: number | null;
  /** grossProfitUsd ÷ wins, USD (> 0); null without wins. */
  readonly averageWinUsd: number | null;
  /** grossLossUsd ÷ losses, USD, as a positive number; null without losses. */
  readonly averageLossUsd: number | null;
  /** Mean `rMultiple` over the trades that have one (a stop at entry); null when none has. */
  readonly averageRMultiple: number | null;
  /**
   * Annualised Sharpe ratio of daily returns, risk-free rate 0: mean(r) ÷ sd(r) × √252, where sd is the sample
   * standard deviation (divisor n − 1) and r are the {@link dailyReturns}. Null with fewer than 2 days or sd = 0
   * (below {@link ZERO_DEVIATION}).
   */
  readonly sharpe: number | null;
  /**
   * Annualised Sortino ratio of daily returns, target 0: mean(r) ÷ DD × √252 with the downside deviation
   * DD = √(Σ min(r, 0)² ÷ n) over all n days (not only the losing ones). Null with fewer than 2 days or DD = 0
   * (no losing day; below {@link ZERO_DEVIATION}).
   */
  readonly sortino: number | null;
  /**
   * Largest fall of equity from its running peak to a later point, USD (≥ 0). The peak is the highest equity point
   * so far (the initial balance counts only through the equity points the backtester sampled).
   */
  readonly maxDrawdownUsd: number;
  /** Largest (peak − equity) ÷ peak × 100 over the equity points, percent (≥ 0); may be a different episode than the USD one. */
  readonly maxDrawdownPct: number;
  /** Time of the peak the USD max drawdown fell from, epoch ms; null when equity never fell below a peak. */
  readonly maxDrawdownStartMs: number | null;
  /** Time of the trough of the USD max drawdown (its lowest point, not the recovery), epoch ms; null as above. */
  readonly maxDrawdownEndMs: number | null;
  /**
   * Share of the period with at least one position open, percent: length of the union of the trades'
   * [entryTsMs, exitTsMs] intervals (overlapping trades counted once), clipped to [firstTsMs, lastTsMs], ÷
   * (lastTsMs − firstTsMs) × 100. Null when the period is empty (fewer than two distinct equity times).
   */
  readonly exposurePct: number | null;
  /** Σ commission over the trades (both fills), USD. */
  readonly commissionUsd: number;
  /** Σ adverse slippage cost over the trades, USD (already inside their P&L; shown for attribution). */
  readonly slippageUsd: number;
  /** Trades that were long (side `buy`). */
  readonly longTrades: number;
  /** Trades that were short (side `sell`). */
  readonly shortTrades: number;
  /** Highest net P&L of one trade, USD; null without trades. */
  readonly bestTradeUsd: number | null;
  /** Lowest net P&L of one trade, USD; null without trades. */
  readonly worstTradeUsd: number | null;
  /** Mean `holdingMs` ÷ 60,000, minutes; null without trades. */
  readonly averageHoldingMinutes: number | null;
  /** Time of the first equity point, epoch ms; null without equity points. */
  readonly firstTsMs: number | null;
  /** Time of the last equity point, epoch ms; null without equity points. */
  readonly lastTsMs: number | null;
}

/** One day's close-to-close return of equity. */
export interface DailyReturn {
  /** Start of the UTC day, epoch ms. */
  readonly dayStartMs: number;
  /** Equity of the day's last equity point, USD. */
  readonly closeEquityUsd: number;
  /** closeEquityUsd ÷ previous close − 1 (the first day: ÷ the initial balance − 1), a fraction (0.01 = 1 %). */
  readonly returnFraction: number;
}

/** Refuses an equity series that is out of time order or holds non-finite numbers: corrupt input is never repaired. */
function requireValidEquity(name: string, equity: readonly EquityPoint[]): void {
  let previousTsMs = Number.NEGATIVE_INFINITY;
  equity.forEach((point, index) => {
    if (!Number.isFinite(point.tsMs) || !Number.isFinite(point.equityUsd) || !Number.isFinite(point.balanceUsd)) {
      throw new RangeError(`${name}: equity point ${index} has a non-finite value`);
    }
    if (point.tsMs < previousTsMs) throw new RangeError(`${name}: equity point ${index} is earlier than the one before it`);
    previousTsMs = point.tsMs;
  });
}

/**
 * Daily simple returns of equity: for every UTC day that has equity points, the last point's equity against the
 * previous such day's last point (days without points, e.g. weekends, are skipped, not counted as flat); the
 * first day is taken against `initialBalanceUsd`.
 * @example
 * dailyReturns([{ tsMs: 0, equityUsd: 1_010, balanceUsd: 1_010 }], 1_000); // [{ dayStartMs: 0, closeEquityUsd: 1010, returnFraction: 0.01 }]
 */
export function dailyReturns(equity: readonly EquityPoint[], initialBalanceUsd: number): DailyReturn[] {
  requireValidEquity("dailyReturns", equity);
  requirePositive("dailyReturns", initialBalanceUsd);
  const closes: { dayStartMs: number; equityUsd: number }[] = [];
  for (const point of equity) {
    const dayStartMs = Math.floor(point.tsMs / DAY_MS) * DAY_MS;
    const last = closes[closes.length - 1];
    if (last !== undefined && last.dayStartMs === dayStartMs) last.equityUsd = point.equityUsd;
    else closes.push({ dayStartMs, equityUsd: point.equityUsd });
  }
  let previousUsd = initialBalanceUsd;
  return closes.map(({ dayStartMs, equityUsd }) => {
    const returnFraction = equityUsd / previousUsd - 1;
    previousUsd = equityUsd;
    return { dayStartMs, closeEquityUsd: equityUsd, returnFraction };
  });
}

function requirePositive(name: string, initialBalanceUsd: number): void {
  if (!(initialBalanceUsd > 0) || !Number.isFinite(initialBalanceUsd)) {
    throw new RangeError(`${name}: initial balance must be a positive number of USD, got ${initialBalanceUsd}`);
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** mean ÷ sample standard deviation (n − 1) × √252; null with fewer than 2 returns or a zero deviation. */
function annualisedSharpe(returns: readonly number[]): number | null {
  if (returns.length < 2) return null;
  const average = mean(returns);
  const variance = returns.reduce((sum, r) => sum + (r - average) ** 2, 0) / (returns.length - 1);
  const deviation = Math.sqrt(variance);
  return deviation >= ZERO_DEVIATION ? (average / deviation) * Math.sqrt(TRADING_DAYS_PER_YEAR) : null;
}

/** mean ÷ √(mean(min(r, 0)²)) × √252; null with fewer than 2 returns or no negative return. */
function annualisedSortino(returns: readonly number[]): number | null {
  if (returns.length < 2) return null;
  const downsideDeviation = Math.sqrt(mean(returns.map((r) => Math.min(r, 0) ** 2)));
  return downsideDeviation >= ZERO_DEVIATION ? (mean(returns) / downsideDeviation) * Math.sqrt(TRADING_DAYS_PER_YEAR) : null;
}

/**
 * Equity's distance below its running peak at every point, percent of the peak (≥ 0). The peak starts at the
 * first point; equity must start positive for the percentage to mean anything.
 * @example
 * drawdownCurve([{ tsMs: 0, equityUsd: 100, balanceUsd: 100 }, { tsMs: 1, equityUsd: 90, balanceUsd: 100 }]);
 * // [{ tsMs: 0, drawdownPct: 0 }, { tsMs: 1, drawdownPct: 10 }]
 */
export function drawdownCurve(equity: readonly EquityPoint[]): DrawdownPoint[] {
  requireValidEquity("drawdownCurve", equity);
  const first = equity[0];
  if (first !== undefined && !(first.equityUsd > 0)) {
    throw new RangeError(`drawdownCurve: equity must start positive, got ${first.equityUsd}`);
  }
  let peakUsd = Number.NEGATIVE_INFINITY;
  return equity.map(({ tsMs, equityUsd }) => {
    peakUsd = Math.max(peakUsd, equityUsd);
    return { tsMs, drawdownPct: ((peakUsd - equityUsd) / peakUsd) * 100 };
  });
}

/** Max drawdown in USD (with its peak and trough times) and in percent, over the equity points. */
function maxDrawdown(equity: readonly EquityPoint[]): {
  usd: number;
  pct: number;
  startMs: number | null;
  endMs: number | null;
} {
  let peakUsd = Number.NEGATIVE_INFINITY;
  let peakTsMs = 0;
  let usd = 0;
  let pct = 0;
  let startMs: number | null = null;
  let endMs: number | null = null;
  for (const { tsMs, equityUsd } of equity) {
    if (equityUsd > peakUsd) {
      peakUsd = equityUsd;
      peakTsMs = tsMs;
      continue;
    }
    const fallUsd = peakUsd - equityUsd;
    if (fallUsd > usd) {
      usd = fallUsd;
      startMs = peakTsMs;
      endMs = tsMs;
    }
    if (peakUsd > 0) pct = Math.max(pct, (fallUsd / peakUsd) * 100);
  }
  return { usd, pct, startMs, endMs };
}

/** Length of the union of [start, end] intervals clipped to [fromMs, toMs], ms: overlapping intervals count once. */
function unionLengthMs(intervals: readonly (readonly [number, number])[], fromMs: number, toMs: number): number {
  const clipped = intervals
    .map(([startMs, endMs]): [number, number] => [Math.max(startMs, fromMs), Math.min(endMs, toMs)])
    .filter(([startMs, endMs]) => endMs > startMs)
    .sort((a, b) => a[0] - b[0]);
  let totalMs = 0;
  let openStartMs = Number.NEGATIVE_INFINITY;
  let openEndMs = Number.NEGATIVE_INFINITY;
  for (const [startMs, endMs] of clipped) {
    if (startMs > openEndMs) {
      if (openEndMs > openStartMs) totalMs += openEndMs - openStartMs;
      openStartMs = startMs;
      openEndMs = endMs;
    } else {
      openEndMs = Math.max(openEndMs, endMs);
    }
  }
  if (openEndMs > openStartMs) totalMs += openEndMs - openStartMs;
  return totalMs;
}

/**
 * Computes every {@link BacktestMetrics} figure from the closed trades, the equity curve (in time order) and the
 * deposit. Pure: the same inputs give the same numbers. Throws a RangeError on an equity series out of time order,
 * with non-finite values, or a non-positive initial balance.
 * @example
 * const metrics = computeMetrics(result.trades, result.equity, 10_000);
 * metrics.profitFactor; // e.g. 1.42, or null when no trade lost
 */
export function computeMetrics(trades: readonly Trade[], equity: readonly EquityPoint[], initialBalanceUsd: number): BacktestMetrics {
  requireValidEquity("computeMetrics", equity);
  requirePositive("computeMetrics", initialBalanceUsd);

  const netPnls = trades.map((trade) => trade.netPnlUsd);
  const winners = netPnls.filter((pnl) => pnl > 0);
  const losers = netPnls.filter((pnl) => pnl < 0);
  const netPnlUsd = netPnls.reduce((sum, pnl) => sum + pnl, 0);
  const grossProfitUsd = winners.reduce((sum, pnl) => sum + pnl, 0);
  const grossLossUsd = losers.reduce((sum, pnl) => sum - pnl, 0);
  const rMultiples = trades.flatMap((trade) => (trade.rMultiple === null ? [] : [trade.rMultiple]));

  const firstPoint = equity[0];
  const lastPoint = equity[equity.length - 1];
  const firstTsMs = firstPoint?.tsMs ?? null;
  const lastTsMs = lastPoint?.tsMs ?? null;
  const finalEquityUsd = lastPoint?.equityUsd ?? initialBalanceUsd + netPnlUsd;

  const returns = dailyReturns(equity, initialBalanceUsd).map((day) => day.returnFraction);
  const drawdown = maxDrawdown(equity);

  let exposurePct: number | null = null;
  if (firstTsMs !== null && lastTsMs !== null && lastTsMs > firstTsMs) {
    const heldMs = unionLengthMs(trades.map((trade) => [trade.entryTsMs, trade.exitTsMs] as const), firstTsMs, lastTsMs);
    exposurePct = (heldMs / (lastTsMs - firstTsMs)) * 100;
  }

  const count = trades.length;
  return {
    initialBalanceUsd,
    finalEquityUsd,
    netPnlUsd,
    grossProfitUsd,
    grossLossUsd,
    returnPct: (finalEquityUsd / initialBalanceUsd - 1) * 100,
    trades: count,
    wins: winners.length,
    losses: losers.length,
    winRatePct: count > 0 ? (winners.length / count) * 100 : null,
    profitFactor: losers.length > 0 ? grossProfitUsd / grossLossUsd : null,
    expectancyUsd: count > 0 ? netPnlUsd / count : null,
    averageWinUsd: winners.length > 0 ? grossProfitUsd / winners.length : null,
    averageLossUsd: losers.length > 0 ? grossLossUsd / losers.length : null,
    averageRMultiple: rMultiples.length > 0 ? mean(rMultiples) : null,
    sharpe: annualisedSharpe(returns),
    sortino: annualisedSortino(returns),
    maxDrawdownUsd: drawdown.usd,
    maxDrawdownPct: drawdown.pct,
    maxDrawdownStartMs: drawdown.startMs,
    maxDrawdownEndMs: drawdown.endMs,
    exposurePct,
    commissionUsd: trades.reduce((sum, trade) => sum + trade.commissionUsd, 0),
    slippageUsd: trades.reduce((sum, trade) => sum + trade.slippageUsd, 0),
    longTrades: trades.filter((trade) => trade.side === "buy").length,
    shortTrades: trades.filter((trade) => trade.side === "sell").length,
    bestTradeUsd: count > 0 ? Math.max(...netPnls) : null,
    worstTradeUsd: count > 0 ? Math.min(...netPnls) : null,
    averageHoldingMinutes: count > 0 ? mean(trades.map((trade) => trade.holdingMs)) / 60_000 : null,
    firstTsMs,
    lastTsMs,
  };
}

/**
 * Thins a time series to at most `maxPoints` for a chart or a report file without hiding its moves: keeps the
 * first and last points and, in each of ⌊(maxPoints − 2) ÷ 2⌋ equal-count buckets of the points between, the
 * bucket's lowest and highest value (in time order; one point when they coincide). The series' global minimum and
 * maximum therefore always survive. A series already within `maxPoints` is returned as a copy.
 * @param maxPoints integer ≥ 4
 */
export function downsampleSeries<T extends { readonly tsMs: number }>(
  points: readonly T[],
  maxPoints: number,
  valueOf: (point: T) => number,
): T[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 4) throw new RangeError(`downsampleSeries: maxPoints must be an integer ≥ 4, got ${maxPoints}`);
  if (points.length <= maxPoints) return points.slice();
  const interior = points.length - 2;
  // interior > maxPoints − 2 ≥ 2 × buckets, so every bucket holds at least two points.
  const buckets = Math.floor((maxPoints - 2) / 2);
  const kept: T[] = [points[0]!];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const from = 1 + Math.floor((bucket * interior) / buckets);
    const to = 1 + Math.floor(((bucket + 1) * interior) / buckets);
    let lowIndex = from;
    let highIndex = from;
    for (let index = from + 1; index < to; index++) {
      const value = valueOf(points[index]!);
      if (value < valueOf(points[lowIndex]!)) lowIndex = index;
      if (value > valueOf(points[highIndex]!)) highIndex = index;
    }
    const first = Math.min(lowIndex, highIndex);
    const second = Math.max(lowIndex, highIndex);
    kept.push(points[first]!);
    if (second !== first) kept.push(points[second]!);
  }
  kept.push(points[points.length - 1]!);
  return kept;
}

/**
 * {@link downsampleSeries} on equity: keeps the first and last points and each bucket's lowest and highest equity,
 * so peaks and troughs (and the max drawdown's ends, unless they share a bucket) stay on the chart.
 * @param maxPoints integer ≥ 4
 * @example
 * downsampleEquity(result.equity, 2_000); // ≤ 2,000 real points of the series
 */
export function downsampleEquity(equity: readonly EquityPoint[], maxPoints: number): EquityPoint[] {
  return downsampleSeries(equity, maxPoints, (point) => point.equityUsd);
}
