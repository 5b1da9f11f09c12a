/** Backtest metrics against values worked out by hand from small trade lists and equity curves. */
import { describe, expect, it } from "vitest";
import {
  computeMetrics,
  dailyReturns,
  downsampleEquity,
  drawdownCurve,
  type EquityPoint,
} from "../../../core/backtest/metrics.js";
import type { Trade } from "../../../core/schemas/trading.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** 2024-01-01T00:00:00Z. */
const DAY1_MS = Date.UTC(2024, 0, 1);
const at = (day: number, hour: number, minute = 0) => DAY1_MS + (day - 1) * DAY_MS + hour * HOUR_MS + minute * 60_000;

/** A long XAUUSD trade of one lot held one hour from 2024-01-01 10:00 UTC, net +100 USD. */
function makeTrade(overrides: Partial<Trade> = {}): Trade {
  const entryTsMs = overrides.entryTsMs ?? at(1, 10);
  const exitTsMs = overrides.exitTsMs ?? entryTsMs + HOUR_MS;
  return {
    id: "position-1", accountId: "backtest", symbol: "XAUUSD", side: "buy", lots: 1, units: 100,
    entryTsMs, entryPrice: 2_000, exitTsMs, exitPrice: 2_001.05, exitReason: "take-profit",
    stopPrice: 1_995, initialStopPrice: 1_995, targetPrice: 2_001.05,
    grossPnlUsd: 105, commissionUsd: 5, slippageUsd: 0, netPnlUsd: 100, maeUsd: -20, mfeUsd: 110, rMultiple: 0.2,
    holdingMs: exitTsMs - entryTsMs, strategy: "ema-cross", signalTsMs: entryTsMs - 60_000, modelVersion: null,
    confidence: null, regime: "trending",
    ...overrides,
  };
}

const point = (tsMs: number, equityUsd: number, balanceUsd = equityUsd): EquityPoint => ({ tsMs, equityUsd, balanceUsd });

const SQRT_252 = Math.sqrt(252);

describe("computeMetrics: trade statistics", () => {
  // Net P&L +300, −100, +200, −150; T1 and T2 overlap from 11:00 to 12:00 on day 1.
  const trades = [
    makeTrade({ id: "t1", entryTsMs: at(1, 10), exitTsMs: at(1, 12), holdingMs: 2 * HOUR_MS, netPnlUsd: 300, commissionUsd: 5, slippageUsd: 2, rMultiple: 1.5 }),
    makeTrade({ id: "t2", side: "sell", entryTsMs: at(1, 11), exitTsMs: at(1, 13), holdingMs: 2 * HOUR_MS, netPnlUsd: -100, commissionUsd: 5, slippageUsd: 1, rMultiple: -0.5 }),
    makeTrade({ id: "t3", entryTsMs: at(2, 9), exitTsMs: at(2, 10), holdingMs: HOUR_MS, netPnlUsd: 200, commissionUsd: 5, slippageUsd: 1, rMultiple: null }),
    makeTrade({ id: "t4", entryTsMs: at(3, 22), exitTsMs: at(3, 23, 30), holdingMs: 1.5 * HOUR_MS, netPnlUsd: -150, commissionUsd: 5, slippageUsd: 3, rMultiple: -0.4 }),
  ];
  const equity = [point(at(1, 0), 10_000), point(at(4, 20), 10_250)];
  const metrics = computeMetrics(trades, equity, 10_000);

  it("counts wins, losses and sides", () => {
    expect(metrics).toMatchObject({ trades: 4, wins: 2, losses: 2, longTrades: 3, shortTrades: 1, winRatePct: 50 });
  });

  it("sums profit and loss: gross profit 500, gross loss 250, profit factor 2, expectancy 250 / 4", () => {
    expect(metrics.netPnlUsd).toBe(250);
    expect(metrics.grossProfitUsd).toBe(500);
    expect(metrics.grossLossUsd).toBe(250);
    expect(metrics.profitFactor).toBe(2);
    expect(metrics.expectancyUsd).toBe(62.5);
    expect(metrics.averageWinUsd).toBe(250);
    expect(metrics.averageLossUsd).toBe(125);
    expect(metrics.bestTradeUsd).toBe(300);
    expect(metrics.worstTradeUsd).toBe(-150);
  });

  it("averages R over the trades that have one: (1.5 − 0.5 − 0.4) / 3", () => {
    expect(metrics.averageRMultiple).toBeCloseTo(0.2, 12);
  });

  it("sums costs and averages holding time: (120 + 120 + 60 + 90) / 4 minutes", () => {
    expect(metrics.commissionUsd).toBe(20);
    expect(metrics.slippageUsd).toBe(7);
    expect(metrics.averageHoldingMinutes).toBe(97.5);
  });

  it("counts overlapping trades once in the exposure: (3 h + 1 h + 1.5 h) / 92 h", () => {
    // Union: day 1 10:00–13:00 (T1 ∪ T2), day 2 09:00–10:00, day 3 22:00–23:30; period day 1 00:00 → day 4 20:00.
    expect(metrics.exposurePct).toBeCloseTo((5.5 / 92) * 100, 10);
    expect(metrics.firstTsMs).toBe(at(1, 0));
    expect(metrics.lastTsMs).toBe(at(4, 20));
  });

  it("clips exposure to the equity period and caps it at 100 %", () => {
    const wide = [makeTrade({ entryTsMs: at(1, 0) - DAY_MS, exitTsMs: at(1, 12) }), makeTrade({ entryTsMs: at(1, 6), exitTsMs: at(3, 0) })];
    expect(computeMetrics(wide, [point(at(1, 0), 1_000), point(at(2, 0), 1_000)], 1_000).exposurePct).toBe(100);
  });

  it("takes return from the final equity point, net P&L from the trades", () => {
    expect(metrics.finalEquityUsd).toBe(10_250);
    expect(metrics.returnPct).toBeCloseTo(2.5, 12);
  });

  it("counts a break-even trade as neither win nor loss", () => {
    const result = computeMetrics([makeTrade({ netPnlUsd: 0 }), makeTrade({ netPnlUsd: 50 })], [], 1_000);
    expect(result).toMatchObject({ trades: 2, wins: 1, losses: 0, winRatePct: 50, profitFactor: null, averageLossUsd: null });
  });
});

describe("computeMetrics: equity statistics", () => {
  // Daily closes 10,200 / 10,098 / 10,400.94 / 10,192.9212: returns +2 %, −1 %, +3 %, −2 % (day 1 against 10,000).
  // Drawdowns: 10,300 (day 1 10:00) → 10,050 (day 2 09:00) = 250 USD, 2.4272 %;
  //            10,400.94 (day 3 12:00) → 10,150 (day 4 08:00) = 250.94 USD, 2.4127 %.
  const equity = [
    point(at(1, 0), 10_000),
    point(at(1, 10), 10_300),
    point(at(1, 14), 10_200),
    point(at(2, 9), 10_050),
    point(at(2, 23), 10_098),
    point(at(3, 12), 10_400.94),
    point(at(4, 8), 10_150),
    point(at(4, 20), 10_192.9212),
  ];
  const metrics = computeMetrics([], equity, 10_000);

  it("takes daily returns from each UTC day's last point", () => {
    const days = dailyReturns(equity, 10_000);
    expect(days.map((day) => day.dayStartMs)).toEqual([at(1, 0), at(2, 0), at(3, 0), at(4, 0)]);
    const expected = [0.02, -0.01, 0.03, -0.02];
    days.forEach((day, index) => expect(day.returnFraction).toBeCloseTo(expected[index]!, 12));
  });

  it("computes Sharpe as mean / sample sd × √252", () => {
    // mean = 0.005; deviations ±0.015, ±0.025; Σ squares = 2 × 0.000225 + 2 × 0.000625 = 0.0017; sd = √(0.0017 / 3).
    const expected = (0.005 / Math.sqrt(0.0017 / 3)) * SQRT_252;
    expect(expected).toBeCloseTo(3.3343, 4);
    expect(metrics.sharpe).toBeCloseTo(expected, 9);
  });

  it("computes Sortino with the downside deviation over all days", () => {
    // min(r, 0)² = 0, 0.0001, 0, 0.0004; mean over 4 days = 0.000125.
    const expected = (0.005 / Math.sqrt(0.000125)) * SQRT_252;
    expect(expected).toBeCloseTo(7.0993, 4);
    expect(metrics.sortino).toBeCloseTo(expected, 9);
  });

  it("dates the USD max drawdown from its peak to its trough, and keeps the deepest percentage separately", () => {
    expect(metrics.maxDrawdownUsd).toBeCloseTo(250.94, 9);
    expect(metrics.maxDrawdownStartMs).toBe(at(3, 12));
    expect(metrics.maxDrawdownEndMs).toBe(at(4, 8));
    expect(metrics.maxDrawdownPct).toBeCloseTo((250 / 10_300) * 100, 9);
  });

  it("gives the drawdown curve in percent below the running peak", () => {
    const curve = drawdownCurve(equity);
    expect(curve.map((p) => p.tsMs)).toEqual(equity.map((p) => p.tsMs));
    const expected = [0, 0, 100 / 103, (250 / 10_300) * 100, (202 / 10_300) * 100, 0, (250.94 / 10_400.94) * 100, ((10_400.94 - 10_192.9212) / 10_400.94) * 100];
    curve.forEach((p, index) => expect(p.drawdownPct).toBeCloseTo(expected[index]!, 9));
  });

  it("skips days without data rather than counting them flat", () => {
    const weekend = [point(at(5, 20), 1_010), point(at(8, 20), 1_030.2)];
    const days = dailyReturns(weekend, 1_000);
    expect(days).toHaveLength(2);
    expect(days[1]!.returnFraction).toBeCloseTo(0.02, 12);
  });
});

describe("computeMetrics: undefined figures are null", () => {
  it("nothing traded and no equity", () => {
    expect(computeMetrics([], [], 5_000)).toEqual({
      initialBalanceUsd: 5_000, finalEquityUsd: 5_000, netPnlUsd: 0, grossProfitUsd: 0, grossLossUsd: 0, returnPct: 0,
      trades: 0, wins: 0, losses: 0, winRatePct: null, profitFactor: null, expectancyUsd: null, averageWinUsd: null,
      averageLossUsd: null, averageRMultiple: null, sharpe: null, sortino: null, maxDrawdownUsd: 0, maxDrawdownPct: 0,
      maxDrawdownStartMs: null, maxDrawdownEndMs: null, exposurePct: null, commissionUsd: 0, slippageUsd: 0,
      longTrades: 0, shortTrades: 0, bestTradeUsd: null, worstTradeUsd: null, averageHoldingMinutes: null,
      firstTsMs: null, lastTsMs: null,
    });
  });

  it("no losing trade: no profit factor; no stops: no R", () => {
    const metrics = computeMetrics([makeTrade({ rMultiple: null }), makeTrade({ netPnlUsd: 40, rMultiple: null })], [], 1_000);
    expect(metrics.profitFactor).toBeNull();
    expect(metrics.averageRMultiple).toBeNull();
    expect(metrics.finalEquityUsd).toBe(1_140);
  });

  it("a losing-only run has profit factor 0", () => {
    expect(computeMetrics([makeTrade({ netPnlUsd: -10 })], [], 1_000).profitFactor).toBe(0);
  });

  it("one day: no Sharpe or Sortino", () => {
    const metrics = computeMetrics([], [point(at(1, 1), 1_000), point(at(1, 20), 1_050)], 1_000);
    expect(metrics.sharpe).toBeNull();
    expect(metrics.sortino).toBeNull();
  });

  it("identical daily returns: zero deviation, no Sharpe; no down day: no Sortino", () => {
    const metrics = computeMetrics([], [point(at(1, 20), 1_010), point(at(2, 20), 1_020.1)], 1_000);
    expect(metrics.sharpe).toBeNull();
    expect(metrics.sortino).toBeNull();
  });

  it("rising equity has no drawdown and no drawdown dates; one instant has no exposure", () => {
    const metrics = computeMetrics([], [point(at(1, 1), 1_000), point(at(1, 2), 1_000), point(at(1, 3), 1_100)], 1_000);
    expect(metrics).toMatchObject({ maxDrawdownUsd: 0, maxDrawdownPct: 0, maxDrawdownStartMs: null, maxDrawdownEndMs: null });
    expect(computeMetrics([makeTrade()], [point(at(1, 1), 1_000)], 1_000).exposurePct).toBeNull();
  });
});

describe("computeMetrics: corrupt input is refused", () => {
  it("equity out of time order, non-finite values, a non-positive balance", () => {
    expect(() => computeMetrics([], [point(at(1, 2), 1_000), point(at(1, 1), 1_000)], 1_000)).toThrow(RangeError);
    expect(() => computeMetrics([], [point(at(1, 2), Number.NaN)], 1_000)).toThrow(RangeError);
    expect(() => computeMetrics([], [], 0)).toThrow(RangeError);
    expect(() => drawdownCurve([point(at(1, 1), 0)])).toThrow(RangeError);
  });
});

describe("downsampleEquity", () => {
  // 10,000 minutes of a gentle wave with one spike up and one crash, far from the ends.
  const series: EquityPoint[] = Array.from({ length: 10_000 }, (_, index) => {
    const equityUsd = index === 3_217 ? 20_000 : index === 7_777 ? 5_000 : 10_000 + 100 * Math.sin(index / 50);
    return point(DAY1_MS + index * 60_000, equityUsd, 10_000);
  });

  it("keeps first, last and the global extremes, in time order, within maxPoints", () => {
    const thinned = downsampleEquity(series, 100);
    expect(thinned.length).toBeLessThanOrEqual(100);
    expect(thinned.length).toBeGreaterThan(90);
    expect(thinned[0]).toBe(series[0]);
    expect(thinned[thinned.length - 1]).toBe(series[series.length - 1]);
    expect(thinned).toContain(series[3_217]);
    expect(thinned).toContain(series[7_777]);
    for (let index = 1; index < thinned.length; index++) expect(thinned[index]!.tsMs).toBeGreaterThan(thinned[index - 1]!.tsMs);
    for (const kept of thinned) expect(series).toContain(kept);
  });

  it("keeps each bucket's lowest and highest point", () => {
    const maxPoints = 200;
    const thinned = downsampleEquity(series, maxPoints);
    const buckets = (maxPoints - 2) / 2;
    const interior = series.length - 2;
    expect(thinned).toHaveLength(maxPoints);
    for (let bucket = 0; bucket < buckets; bucket++) {
      const members = series.slice(1 + Math.floor((bucket * interior) / buckets), 1 + Math.floor(((bucket + 1) * interior) / buckets));
      const values = members.map((p) => p.equityUsd);
      const kept = thinned.filter((p) => members.includes(p)).map((p) => p.equityUsd);
      expect(kept.sort((a, b) => a - b)).toEqual([Math.min(...values), Math.max(...values)]);
    }
  });

  it("keeps the max drawdown of a curve whose peak and trough fall in different buckets", () => {
    const thinned = downsampleEquity(series, 50);
    expect(computeMetrics([], thinned, 10_000).maxDrawdownUsd).toBe(computeMetrics([], series, 10_000).maxDrawdownUsd);
  });

  it("returns a short series unchanged (as a copy) and refuses fewer than 4 points", () => {
    const short = series.slice(0, 10);
    const copy = downsampleEquity(short, 10);
    expect(copy).toEqual(short);
    expect(copy).not.toBe(short);
    expect(() => downsampleEquity(series, 3)).toThrow(RangeError);
    expect(() => downsampleEquity(series, 10.5)).toThrow(RangeError);
  });
});
